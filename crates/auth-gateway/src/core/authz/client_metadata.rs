//! Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document, MCP
//! 2025-11-25): what a `client_id` URL must look like ("Client Identifier"), what its document must say
//! ("Client Metadata"), and how long a fetched document is trusted. Pure checks; the fetch is
//! `upstream::ClientMetadataFetcher`, the cache is [`super::client_directory`].

use super::client_auth::METHOD_NONE;
use super::registration::{RegistrationRequest, check_redirect_uris, validate};
use crate::upstream::CacheHint;
use chrono::Duration;
use serde::Deserialize;
use url::Url;

/// Longest `client_id` URL accepted: as long as a redirect URI may be.
pub const MAX_CLIENT_ID_URL_LEN: usize = 2000;

/// Whether `client_id` is meant as a metadata document URL rather than an id the
/// gateway issued (random base64url, never with "https://").
pub fn is_document_url(client_id: &str) -> bool {
    client_id
        .get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
}

/// The `client_id` URL, checked by the draft's "Client Identifier" section: https, a path, no fragment, no user info, no
/// `.`/`..` segments. It must also be in its canonical form (what `Url` prints back):
/// the document's `client_id` is compared with it as a string ("Client Metadata"), and two spellings
/// of one URL must not become two clients.
pub fn document_url(client_id: &str) -> Result<Url, String> {
    if client_id.len() > MAX_CLIENT_ID_URL_LEN {
        return Err(format!(
            "it is longer than {MAX_CLIENT_ID_URL_LEN} characters"
        ));
    }
    let raw_path = client_id
        .get(8..)
        .and_then(|rest| rest.find('/').map(|at| &rest[at..]))
        .unwrap_or_default();
    let raw_path = raw_path.split(['?', '#']).next().unwrap_or_default();
    if raw_path
        .split('/')
        .any(|segment| segment == "." || segment == "..")
    {
        return Err("its path has . or .. segments".into());
    }
    let url = Url::parse(client_id).map_err(|_| "it is not a URL".to_owned())?;
    if url.scheme() != "https" {
        return Err("it is not https".into());
    }
    if url.fragment().is_some() {
        return Err("it has a fragment".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("it has user information".into());
    }
    if url.path() == "/" || url.path().is_empty() {
        return Err("it has no path".into());
    }
    if url.as_str() != client_id {
        return Err(format!("it is not in canonical form ({url})"));
    }
    Ok(url)
}

/// The document's fields the gateway uses ("Client Metadata": those of RFC 7591 §2).
/// Others are ignored, except the secrets, which are looked for separately.
#[derive(Debug, Deserialize)]
struct Document {
    client_id: String,
    #[serde(default)]
    redirect_uris: Vec<String>,
    token_endpoint_auth_method: Option<String>,
    grant_types: Option<Vec<String>>,
    response_types: Option<Vec<String>>,
    client_name: Option<String>,
}

/// What a valid document says: the name and redirect URIs of a public client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientMetadata {
    pub client_name: Option<String>,
    pub redirect_uris: Vec<String>,
}

/// Checks a fetched document against its URL ("Client Metadata", security considerations).
pub fn validate_document(url: &str, body: &[u8]) -> Result<ClientMetadata, String> {
    let fields: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(body).map_err(|_| "it is not a JSON object".to_owned())?;
    // "client_secret" and "client_secret_expires_at" MUST NOT appear: a secret
    // published at a URL is no secret.
    if fields.keys().any(|name| name.starts_with("client_secret")) {
        return Err("it contains a client secret; a metadata document must not".into());
    }
    let document: Document =
        serde_json::from_value(serde_json::Value::Object(fields)).map_err(|error| {
            let why: String = error.to_string().chars().take(200).collect();
            format!("its fields are malformed: {why}")
        })?;
    // The draft: the client_id in the document MUST equal the URL it was fetched from, by
    // simple string comparison; otherwise one site could speak for another's client.
    if document.client_id != url {
        return Err("its client_id is not the URL it was fetched from".into());
    }
    // The draft: no shared-secret authentication; the gateway supports only `none` for them.
    let method = document
        .token_endpoint_auth_method
        .as_deref()
        .unwrap_or(METHOD_NONE);
    if method != METHOD_NONE {
        return Err(format!(
            "token_endpoint_auth_method must be none, not {method:?}"
        ));
    }
    check_redirect_uris(&document.redirect_uris).map_err(|error| error.description)?;
    let checked = validate(RegistrationRequest {
        redirect_uris: document.redirect_uris,
        token_endpoint_auth_method: Some(METHOD_NONE.to_owned()),
        grant_types: document.grant_types,
        response_types: document.response_types,
        client_name: document.client_name,
    })
    .map_err(|error| error.description)?;
    Ok(ClientMetadata {
        client_name: checked.client_name,
        redirect_uris: checked.redirect_uris,
    })
}

/// Shortest time a document is trusted: also what `no-store` gets, since the request
/// in hand needs it at least once and a fetch per request would let one browser make
/// the gateway hammer a site.
const MIN_CACHE: Duration = Duration::minutes(5);
/// Longest: a client that changes its redirect URIs sees them honored within a day.
const MAX_CACHE: Duration = Duration::hours(24);
/// When the server says nothing (the draft leaves the policy to the server).
const DEFAULT_CACHE: Duration = Duration::hours(1);

/// How long a document fetched with this hint is used before it is fetched again.
pub fn cache_lifetime(hint: CacheHint) -> Duration {
    match hint {
        CacheHint::NoStore => MIN_CACHE,
        CacheHint::Unspecified => DEFAULT_CACHE,
        CacheHint::MaxAge(seconds) => i64::try_from(seconds)
            .ok()
            .and_then(Duration::try_seconds)
            .unwrap_or(MAX_CACHE)
            .clamp(MIN_CACHE, MAX_CACHE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://client.example/oauth/metadata.json";

    #[test]
    fn client_id_urls_follow_section_3() {
        assert!(document_url(URL).is_ok());
        assert!(document_url("https://client.example/m?v=1").is_ok());
        for bad in [
            "http://client.example/m",
            "https://client.example",
            "https://client.example/",
            "https://client.example/m#x",
            "https://user:pw@client.example/m",
            "https://client.example/a/../m",
            "https://client.example/./m",
            "https://CLIENT.example/m",
            "https://client.example:443/m",
        ] {
            assert!(document_url(bad).is_err(), "{bad}");
        }
        assert!(document_url(&format!("https://c.example/{}", "a".repeat(2000))).is_err());
        assert!(is_document_url("HTTPS://x") && !is_document_url("abc"));
    }

    #[test]
    fn documents_follow_section_4() {
        let good = serde_json::json!({"client_id": URL, "client_name": "C",
            "redirect_uris": ["https://client.example/cb"], "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
            "client_uri": "https://client.example", "logo_uri": "https://client.example/l.png"});
        let metadata = validate_document(URL, good.to_string().as_bytes()).unwrap();
        assert_eq!(metadata.redirect_uris, ["https://client.example/cb"]);
        let with = |key: &str, value: serde_json::Value| {
            let mut document = good.clone();
            document[key] = value;
            validate_document(URL, document.to_string().as_bytes())
        };
        assert!(with("client_id", "https://other.example/m".into()).is_err());
        assert!(with("client_secret", "s".into()).is_err());
        assert!(with("token_endpoint_auth_method", "client_secret_basic".into()).is_err());
        assert!(with("redirect_uris", serde_json::json!([])).is_err());
        assert!(
            with(
                "redirect_uris",
                serde_json::json!(["http://evil.example/cb"])
            )
            .is_err()
        );
        assert!(with("response_types", serde_json::json!(["token"])).is_err());
        assert!(validate_document(URL, b"[1]").is_err());
    }

    #[test]
    fn cache_lifetimes_are_bounded() {
        assert_eq!(cache_lifetime(CacheHint::NoStore), MIN_CACHE);
        assert_eq!(cache_lifetime(CacheHint::Unspecified), DEFAULT_CACHE);
        assert_eq!(cache_lifetime(CacheHint::MaxAge(10)), MIN_CACHE);
        assert_eq!(
            cache_lifetime(CacheHint::MaxAge(600)),
            Duration::minutes(10)
        );
        assert_eq!(cache_lifetime(CacheHint::MaxAge(u64::MAX)), MAX_CACHE);
    }
}
