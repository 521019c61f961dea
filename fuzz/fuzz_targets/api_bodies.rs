//! The JSON bodies of the gateway's API, as its extractor reads them, and the dynamic
//! client registration document.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<gateway_proto::InitRequest>(data);
    let _ = serde_json::from_slice::<gateway_proto::TokenRequest>(data);
    if let Ok(request) =
        serde_json::from_slice::<auth_gateway::core::authz::registration::RegistrationRequest>(data)
    {
        let _ = auth_gateway::core::authz::registration::validate(request);
    }
});
