//! The authorization endpoint's query and the token endpoint's form: parsing, the
//! repeated-parameter rule, the resource and PKCE checks. Must never panic.
#![no_main]

use auth_gateway::core::authz::authorize::request::RawRequest;
use auth_gateway::core::authz::params::Params;
use auth_gateway::store::ResourceRecord;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = Params::parse(data);
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(request) = RawRequest::parse(query) else {
        return;
    };
    let _ = request.resource_uri();
    let resource = ResourceRecord {
        uri: "https://ads.example.com/mcp".into(),
        client_name: "ads".into(),
        provider: "google".into(),
        scopes: vec!["https://www.googleapis.com/auth/adwords".into()],
        display_name: "Google Ads".into(),
        created_at: chrono::DateTime::UNIX_EPOCH,
    };
    let _ = request.checked(&resource);
    let _ = request.verified_client(None);
});
