//! Resource URIs and redirect URIs: canonicalisation must be idempotent, and matching
//! must never accept what differs from every registered URI but the loopback port.
#![no_main]

use auth_gateway::core::authz::redirects::redirect_uri_matches;
use auth_gateway::core::authz::resources::{canonical_uri, resource_scope};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(canonical) = canonical_uri(text) {
        // A canonical URI is its own canonical form.
        assert_eq!(canonical_uri(&canonical).ok().as_deref(), Some(canonical.as_str()));
        let _ = resource_scope(&canonical);
    }
    let (registered, given) = text.split_once('\n').unwrap_or((text, text));
    let list = vec![registered.to_owned()];
    if redirect_uri_matches(&list, given) && registered != given {
        // Only a loopback redirect may differ, and then only in its port.
        let a = url::Url::parse(registered).expect("a match parses");
        let b = url::Url::parse(given).expect("a match parses");
        assert_eq!(a.scheme(), "http");
        assert_eq!(a.host_str(), b.host_str());
        assert_eq!(a.path(), b.path());
        assert_eq!(a.query(), b.query());
    }
});
