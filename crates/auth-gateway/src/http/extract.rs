//! Extractors whose rejections are JSON errors in the API's shapes: the API key, and
//! JSON bodies and queries (malformed → 422 like the original, too large → 413).

use super::error::ApiError;
use super::limits::KeyCheck;
use super::{AppState, MAX_BODY_BYTES};
use crate::core::{Client, CoreError};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use gateway_proto::{API_KEY_HEADER, ErrorCode};
use serde::de::DeserializeOwned;

/// The calling MCP server, authenticated by its `X-API-Key`.
#[derive(Debug)]
pub struct ApiClient(pub Client);

impl FromRequestParts<AppState> for ApiClient {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts.headers.get(API_KEY_HEADER);
        let presented = header.and_then(|value| value.to_str().ok());
        // Tells the rate limiter whether the key may skip the per-IP bucket next time.
        let check = parts.extensions.get::<KeyCheck>();
        match state.gateway.authenticate(presented).await {
            Ok(client) => {
                if let Some(check) = check {
                    check.accepted();
                }
                Ok(Self(client))
            }
            // The core cannot tell a missing key from a wrong one; the hint can.
            Err(CoreError::InvalidApiKey) => {
                if let Some(check) = check {
                    check.refused();
                }
                Err(ApiError::InvalidApiKey {
                    key_sent: header.is_some(),
                })
            }
            Err(error) => Err(error.into()),
        }
    }
}

/// A JSON body.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    ErrorCode::PayloadTooLarge,
                    format!(
                        "Request body is too large: the limit is {} KiB",
                        MAX_BODY_BYTES / 1024
                    ),
                ))
            }
            Err(rejection) => Err(ApiError::unprocessable("body", json_problem(&rejection))),
        }
    }
}

/// A public description of why a body did not parse (serde's text names fields and
/// positions only, never values).
fn json_problem(rejection: &JsonRejection) -> String {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => {
            "Expected a JSON body (Content-Type: application/json)".into()
        }
        JsonRejection::JsonSyntaxError(error) => format!(
            "Malformed JSON: {}",
            std::error::Error::source(error).map_or_else(String::new, ToString::to_string)
        ),
        JsonRejection::JsonDataError(error) => format!(
            "Invalid request body: {}",
            std::error::Error::source(error).map_or_else(String::new, ToString::to_string)
        ),
        _ => "Could not read the request body".into(),
    }
}

/// A URL query.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| Self(value))
            .map_err(|rejection: QueryRejection| {
                ApiError::unprocessable("query", rejection.body_text())
            })
    }
}
