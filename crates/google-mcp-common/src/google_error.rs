//! `GoogleApiError`: a failed Google API call, parsed from Google's error body
//! (`{"error":{code,message,status,details}}` with `GoogleAdsFailure` or `ErrorInfo`
//! details) into a text a person can act on.

use crate::unreachable::{self, NoAnswer};
use serde::Deserialize;
use std::fmt::Write as _;

/// A Google API call that did not return data.
#[derive(Debug, thiserror::Error)]
pub enum GoogleApiError {
    /// Google answered with an error status.
    #[error("{api} answered HTTP {}", .status.http_status)]
    Status {
        /// Which API answered ("Google Ads API").
        api: &'static str,
        /// What Google said.
        status: Box<GoogleStatus>,
    },
    /// No HTTP answer came (unknown host, refused connection, TLS, timeout).
    #[error("{api} at {host} could not be reached")]
    Unreachable {
        /// Which API.
        api: &'static str,
        /// The URL's host and port (never its path or query).
        host: String,
        /// The variable that sets this API's URL (`GOOGLE_ADS_API_URL`).
        url_setting: &'static str,
        /// Why no answer came.
        why: NoAnswer,
        /// The transport error, without its URL.
        #[source]
        source: reqwest::Error,
    },
    /// Google answered 2xx with a body that is not what the API documents.
    #[error("unexpected answer from {api}: {problem}")]
    UnexpectedResponse {
        /// Which API.
        api: &'static str,
        /// What could not be read.
        problem: String,
    },
}

/// Google's error body, flattened.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoogleStatus {
    /// The HTTP status code.
    pub http_status: u16,
    /// The canonical status name (`PERMISSION_DENIED`, `INVALID_ARGUMENT`, ...).
    pub status: Option<String>,
    /// Google's top-level message (or the start of a non-JSON body).
    pub message: String,
    /// Each error of a `GoogleAdsFailure` detail.
    pub errors: Vec<DetailError>,
    /// `ErrorInfo.reason` values and legacy `errors[].reason` values
    /// (`ACCESS_TOKEN_SCOPE_INSUFFICIENT`, ...).
    pub reasons: Vec<String>,
    /// The `request-id` response header or the failure's `requestId`, for support.
    pub request_id: Option<String>,
}

/// One error of a `GoogleAdsFailure`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DetailError {
    /// The error family, the single key of `errorCode` (`queryError`).
    pub family: String,
    /// The code within the family (`UNRECOGNIZED_FIELD`).
    pub code: String,
    /// Google's message.
    pub message: String,
    /// The value that triggered it, when given.
    pub trigger: Option<String>,
    /// The field path (`operations[0].query`), when given.
    pub location: Option<String>,
}

impl GoogleApiError {
    /// An error from a non-success response's status, `request-id` header and body.
    pub fn from_response(
        api: &'static str,
        http_status: u16,
        request_id: Option<String>,
        body: &str,
    ) -> Self {
        let mut status = parse_body(body).unwrap_or_else(|| GoogleStatus {
            message: body.trim().chars().take(300).collect(),
            ..GoogleStatus::default()
        });
        status.http_status = http_status;
        status.request_id = request_id.or(status.request_id);
        Self::Status {
            api,
            status: Box::new(status),
        }
    }

    /// An error for a call that got no HTTP answer, logged at WARN with the host and
    /// the error chain (never the URL's path or query, never a token).
    pub fn unreachable(
        api: &'static str,
        url_setting: &'static str,
        error: reqwest::Error,
    ) -> Self {
        let host = unreachable::host_of(&error);
        let why = NoAnswer::of(&error);
        let source = error.without_url();
        tracing::warn!(
            api,
            host,
            ?why,
            error = unreachable::chain(&source),
            "no answer from a Google API"
        );
        Self::Unreachable {
            api,
            host,
            url_setting,
            why,
            source,
        }
    }

    /// The HTTP status, for errors Google answered.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(status.http_status),
            _ => None,
        }
    }

    /// The parsed error body, for errors Google answered.
    pub fn status(&self) -> Option<&GoogleStatus> {
        match self {
            Self::Status { status, .. } => Some(status),
            _ => None,
        }
    }

    /// True for HTTP 401: Google did not accept the access token.
    pub fn is_unauthenticated(&self) -> bool {
        self.http_status() == Some(401)
    }

    /// True when an error code (`USER_PERMISSION_DENIED`) or a reason
    /// (`ACCESS_TOKEN_SCOPE_INSUFFICIENT`) of the body equals `code`.
    pub fn has_code(&self, code: &str) -> bool {
        self.status().is_some_and(|status| {
            status.errors.iter().any(|error| error.code == code)
                || status.reasons.iter().any(|reason| reason == code)
        })
    }

    /// The whole error as a text for the person and the model: what Google said,
    /// each detail with its field location, and what it means.
    pub fn explain(&self) -> String {
        match self {
            Self::Status { api, status } => status.explain(api),
            Self::Unreachable {
                api,
                host,
                url_setting,
                why,
                source,
            } => unreachable::explain(api, host, url_setting, *why, source),
            Self::UnexpectedResponse { api, problem } => {
                format!("The {api} sent an answer this server could not read ({problem}).")
            }
        }
    }
}

impl GoogleStatus {
    fn explain(&self, api: &str) -> String {
        let mut text = format!("{api} error (HTTP {}", self.http_status);
        if let Some(status) = &self.status {
            let _ = write!(text, " {status}");
        }
        text.push(')');
        if !self.message.is_empty() {
            let _ = write!(text, ": {}", self.message);
        }
        for error in &self.errors {
            let _ = write!(
                text,
                "\n- {}.{}: {}",
                error.family, error.code, error.message
            );
            if let Some(trigger) = &error.trigger {
                let _ = write!(text, " (value: {trigger})");
            }
            if let Some(location) = &error.location {
                let _ = write!(text, " (at {location})");
            }
        }
        if let Some(meaning) = self.meaning() {
            let _ = write!(text, "\n\n{meaning}");
        }
        if let Some(id) = &self.request_id {
            let _ = write!(text, "\n(Google request id: {id})");
        }
        text
    }

    /// What the error means for the person, for the cases they can act on.
    fn meaning(&self) -> Option<&'static str> {
        let has = |reason: &str| {
            self.reasons.iter().any(|r| r == reason) || self.errors.iter().any(|e| e.code == reason)
        };
        if has("ACCESS_TOKEN_SCOPE_INSUFFICIENT") {
            return Some(
                "The Google sign-in does not include the access this API needs. Sign in again \
                 and grant all requested permissions.",
            );
        }
        match (self.http_status, self.status.as_deref()) {
            (401, _) | (_, Some("UNAUTHENTICATED")) => Some(
                "Google did not accept the access token (expired or revoked, or the account \
                 cannot use this API). Signing in again usually fixes this.",
            ),
            (403, _) | (_, Some("PERMISSION_DENIED")) => Some(
                "The signed-in Google account is not allowed to access this. Check the ID, and \
                 that this account (or a manager account it goes through) has been granted access.",
            ),
            (429, _) | (_, Some("RESOURCE_EXHAUSTED")) => Some(
                "Google's quota or rate limit was reached. Wait a minute before trying again, \
                 and ask for less data per call.",
            ),
            (400, _) | (_, Some("INVALID_ARGUMENT")) => {
                Some("The request was not valid; correct it as described above and try again.")
            }
            (404, _) | (_, Some("NOT_FOUND")) => Some(
                "Google did not find this. Check the ID; if every call fails this way, the API \
                 version may be retired.",
            ),
            (500..=599, _) => Some("Google had a temporary problem. Please try again shortly."),
            _ => None,
        }
    }
}

#[derive(Deserialize)]
struct Envelope {
    error: serde_json::Value,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Body {
    message: String,
    status: Option<String>,
    details: Vec<serde_json::Value>,
    /// The legacy `errors: [{message, domain, reason}]` array some APIs add.
    errors: Vec<LegacyError>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LegacyError {
    reason: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Detail {
    errors: Vec<AdsError>,
    reason: Option<String>,
    request_id: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct AdsError {
    error_code: serde_json::Map<String, serde_json::Value>,
    message: String,
    trigger: Option<serde_json::Map<String, serde_json::Value>>,
    location: Option<Location>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Location {
    field_path_elements: Vec<FieldPathElement>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct FieldPathElement {
    field_name: String,
    index: Option<u64>,
}

/// Google's JSON error body, or `None` when the body is something else.
fn parse_body(body: &str) -> Option<GoogleStatus> {
    let envelope: Envelope = serde_json::from_str(body).ok()?;
    // OAuth-style bodies: {"error": "invalid_token", "error_description": "..."}.
    if let serde_json::Value::String(code) = &envelope.error {
        let description = serde_json::from_str::<serde_json::Value>(body)
            .ok()
            .and_then(|value| value["error_description"].as_str().map(str::to_owned));
        return Some(GoogleStatus {
            message: description.unwrap_or_else(|| code.clone()),
            reasons: vec![code.clone()],
            ..GoogleStatus::default()
        });
    }
    let parsed: Body = serde_json::from_value(envelope.error).ok()?;
    let mut status = GoogleStatus {
        status: parsed.status,
        message: parsed.message,
        reasons: parsed.errors.into_iter().filter_map(|e| e.reason).collect(),
        ..GoogleStatus::default()
    };
    for detail in parsed.details {
        let Ok(detail) = serde_json::from_value::<Detail>(detail) else {
            continue;
        };
        status.reasons.extend(detail.reason);
        status.request_id = status.request_id.or(detail.request_id);
        status
            .errors
            .extend(detail.errors.into_iter().map(AdsError::flatten));
    }
    status.reasons.dedup();
    Some(status)
}

impl AdsError {
    fn flatten(self) -> DetailError {
        // errorCode has exactly one key naming the family: {"queryError": "UNRECOGNIZED_FIELD"}.
        let (family, code) = self
            .error_code
            .into_iter()
            .next()
            .map(|(family, code)| (family, code.as_str().unwrap_or_default().to_owned()))
            .unwrap_or_default();
        let trigger = self
            .trigger
            .and_then(|trigger| trigger.into_iter().next())
            .map(|(_, value)| {
                value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_owned)
            });
        let location = self
            .location
            .map(|location| {
                location
                    .field_path_elements
                    .iter()
                    .map(|element| match element.index {
                        Some(index) => format!("{}[{index}]", element.field_name),
                        None => element.field_name.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join(".")
            })
            .filter(|path| !path.is_empty());
        DetailError {
            family,
            code,
            message: self.message,
            trigger,
            location,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUERY_ERROR: &str = r#"{"error":{"code":400,"message":"Request contains an invalid argument.",
      "status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure",
      "errors":[{"errorCode":{"queryError":"UNRECOGNIZED_FIELD"},"message":"Unrecognized field in the query: 'campaign.nme'.",
      "trigger":{"stringValue":"campaign.nme"},"location":{"fieldPathElements":[{"fieldName":"query"}]}}],
      "requestId":"OZ5_72C"}]}}"#;

    #[test]
    fn a_gaql_error_names_the_code_the_message_and_the_location() {
        let error = GoogleApiError::from_response("Google Ads API", 400, None, QUERY_ERROR);
        let text = error.explain();
        assert!(
            text.starts_with("Google Ads API error (HTTP 400 INVALID_ARGUMENT)"),
            "{text}"
        );
        assert!(
            text.contains("queryError.UNRECOGNIZED_FIELD: Unrecognized field"),
            "{text}"
        );
        assert!(text.contains("(value: campaign.nme) (at query)"), "{text}");
        assert!(text.contains("request id: OZ5_72C"), "{text}");
        assert!(error.has_code("UNRECOGNIZED_FIELD"));
    }

    #[test]
    fn a_missing_scope_is_explained_as_a_sign_in_problem() {
        let body = r#"{"error":{"code":403,"message":"Request had insufficient authentication scopes.",
          "status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo",
          "reason":"ACCESS_TOKEN_SCOPE_INSUFFICIENT","domain":"googleapis.com"}]}}"#;
        let error = GoogleApiError::from_response("Google Analytics Data API", 403, None, body);
        assert!(error.has_code("ACCESS_TOKEN_SCOPE_INSUFFICIENT"));
        assert!(error.explain().contains("does not include the access"));
    }

    #[test]
    fn a_non_json_body_is_kept_as_the_message() {
        let error = GoogleApiError::from_response(
            "Google Ads API",
            502,
            Some("r1".into()),
            "<html>Bad Gateway</html>",
        );
        let text = error.explain();
        assert!(
            text.contains("HTTP 502): <html>Bad Gateway</html>"),
            "{text}"
        );
        assert!(text.contains("temporary problem"), "{text}");
        assert!(!error.is_unauthenticated());
    }

    #[test]
    fn a_401_is_unauthenticated() {
        let body = r#"{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}"#;
        let error = GoogleApiError::from_response("Google Ads API", 401, None, body);
        assert!(error.is_unauthenticated());
        assert!(error.explain().contains("Signing in again"));
    }
}
