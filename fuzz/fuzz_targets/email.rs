//! Email parsing and the normalisation the gateway and the client library share: a
//! parsed address normalises to itself.
#![no_main]

use auth_gateway::domain::Email;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(normalized) = gateway_proto::normalize_email(text) {
        assert_eq!(
            gateway_proto::normalize_email(&normalized).as_deref(),
            Ok(normalized.as_str())
        );
    }
    if let Ok(email) = Email::parse(text) {
        assert_eq!(Email::parse(email.as_str()).map(|e| e.as_str().to_owned()).ok().as_deref(), Some(email.as_str()));
    }
});
