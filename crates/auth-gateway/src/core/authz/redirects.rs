//! Redirect URI matching for the authorization endpoint. OAuth 2.1 §4.1.1 and RFC 9700
//! §4.1.3 require exact string comparison against a registered URI; the one exception is
//! RFC 8252 §7.3: a native app's loopback redirect (`http://127.0.0.1`, `http://[::1]`,
//! `http://localhost`) matches on any port, because the app listens on whichever port the
//! system gave it.

use url::{Host, Url};

/// Whether `given` (from an authorization or token request) may be used as a redirect
/// for a client that registered `registered`.
pub fn redirect_uri_matches(registered: &[String], given: &str) -> bool {
    registered.iter().any(|uri| uri == given) || loopback_match(registered, given)
}

/// Whether `uri` is a loopback `http` redirect (RFC 8252 §7.3).
pub fn is_loopback_redirect(uri: &Url) -> bool {
    uri.scheme() == "http"
        && match uri.host() {
            Some(Host::Ipv4(ip)) => ip.is_loopback(),
            Some(Host::Ipv6(ip)) => ip.is_loopback(),
            Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
            None => false,
        }
}

/// `given` equals a registered loopback URI in everything but the port.
fn loopback_match(registered: &[String], given: &str) -> bool {
    let Ok(given) = Url::parse(given) else {
        return false;
    };
    if !is_loopback_redirect(&given) {
        return false;
    }
    registered
        .iter()
        .filter_map(|uri| Url::parse(uri).ok())
        .filter(is_loopback_redirect)
        .any(|mut uri| {
            // Compare with the port taken out of both: the rest must be identical.
            let mut other = given.clone();
            uri.set_port(None).is_ok()
                && other.set_port(None).is_ok()
                && uri.as_str() == other.as_str()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registered(uris: &[&str]) -> Vec<String> {
        uris.iter().map(|uri| (*uri).to_owned()).collect()
    }

    #[test]
    fn only_an_exact_match_counts_for_a_web_redirect() {
        let list = registered(&["https://claude.ai/api/mcp/auth_callback"]);
        assert!(redirect_uri_matches(
            &list,
            "https://claude.ai/api/mcp/auth_callback"
        ));
        for other in [
            "https://claude.ai/api/mcp/auth_callback/",
            "https://claude.ai/api/mcp/auth_callback?x=1",
            "https://CLAUDE.ai/api/mcp/auth_callback",
            "https://claude.ai:443/api/mcp/auth_callback",
            "https://claude.ai.evil.example/api/mcp/auth_callback",
            "http://claude.ai/api/mcp/auth_callback",
        ] {
            assert!(!redirect_uri_matches(&list, other), "{other}");
        }
    }

    #[test]
    fn a_loopback_redirect_matches_on_any_port_and_nothing_else() {
        let list = registered(&["http://127.0.0.1/callback", "http://localhost:3000/cb"]);
        assert!(redirect_uri_matches(
            &list,
            "http://127.0.0.1:51234/callback"
        ));
        assert!(redirect_uri_matches(&list, "http://127.0.0.1/callback"));
        assert!(redirect_uri_matches(&list, "http://localhost:4000/cb"));
        for other in [
            "http://127.0.0.1:51234/other",
            "http://127.0.0.1:51234/callback?x=1",
            "http://localhost:4000/callback",
            "https://127.0.0.1:51234/callback",
            "http://10.0.0.1:51234/callback",
        ] {
            assert!(!redirect_uri_matches(&list, other), "{other}");
        }
    }
}
