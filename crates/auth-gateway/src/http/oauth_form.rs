//! The body of a token, revocation or introspection request:
//! `application/x-www-form-urlencoded` parameters (RFC 6749 §3.2) and the client's Basic
//! credentials or API key, if it sent them. Any
//! problem is an OAuth error, never the JSON API's shapes.

use super::AppState;
use super::oauth_error::OAuthErrorResponse;
use crate::core::authz::client_auth::BasicCredentials;
use crate::core::authz::oauth_error::OAuthError;
use crate::core::authz::params::Params;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use gateway_proto::API_KEY_HEADER;
use secrecy::SecretString;

/// The parsed form and the client's Basic credentials.
#[derive(Debug)]
pub struct OAuthForm {
    pub params: Params,
    pub basic: Option<BasicCredentials>,
    /// An `Authorization: Basic` header was sent (even one that did not decode).
    pub basic_tried: bool,
    /// The `X-API-Key` header: how an API client may authenticate for token exchange and
    /// introspection, as at the gateway's other endpoints for MCP servers.
    pub api_key: Option<SecretString>,
}

impl FromRequest<AppState> for OAuthForm {
    type Rejection = OAuthErrorResponse;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let headers = request.headers();
        let authorization = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let api_key = headers
            .get(API_KEY_HEADER)
            .and_then(|value| value.to_str().ok())
            .map(|value| SecretString::from(value.to_owned()));
        let basic_tried = authorization.as_deref().is_some_and(|value| {
            value
                .trim_start()
                .get(..6)
                .is_some_and(|s| s.eq_ignore_ascii_case("basic "))
        });
        let form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| {
                value
                    .trim_start()
                    .starts_with("application/x-www-form-urlencoded")
            });
        if !form {
            return Err(OAuthError::invalid_request(
                "the body must be application/x-www-form-urlencoded",
            )
            .into());
        }
        let body = Bytes::from_request(request, state).await.map_err(|_| {
            OAuthError::invalid_request("the body could not be read (at most 16 KiB)")
        })?;
        let fail = |error| OAuthErrorResponse::new(error, basic_tried);
        let basic = BasicCredentials::from_header(authorization.as_deref()).map_err(fail)?;
        let params = Params::parse(&body).map_err(fail)?;
        Ok(Self {
            params,
            basic,
            basic_tried,
            api_key,
        })
    }
}
