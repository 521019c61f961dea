//! The JSON API for MCP servers (`/auth/*`): extract, one core call, map the result.

use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{ApiClient, ApiJson, ApiQuery};
use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use gateway_proto::{
    InitRequest, InitResponse, ProviderGrant, ProvidersResponse, RevokeRequest, RevokeResponse,
    StatusResponse, TokenRequest, TokenResponse,
};
use secrecy::ExposeSecret;
use serde::Deserialize;
use std::time::Duration;

/// `POST /auth/init`.
pub async fn init_sign_in(
    State(state): State<AppState>,
    ApiClient(client): ApiClient,
    ApiJson(request): ApiJson<InitRequest>,
) -> Result<Json<InitResponse>, ApiError> {
    let link = state
        .gateway
        .start_sign_in(
            &client,
            &request.provider,
            &request.user_email,
            request.scopes.as_deref(),
        )
        .await?;
    Ok(Json(InitResponse {
        auth_url: link.auth_url,
        session_id: link.session_id,
        expires_at: link.expires_at,
    }))
}

/// `POST /auth/token`.
pub async fn issue_token(
    State(state): State<AppState>,
    ApiClient(client): ApiClient,
    ApiJson(request): ApiJson<TokenRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let token = state
        .gateway
        .token(
            &client,
            &request.provider,
            &request.user_email,
            request.scopes.as_deref(),
        )
        .await?;
    Ok(Json(TokenResponse {
        access_token: token.access_token.expose_secret().to_owned(),
        token_type: "Bearer".to_owned(),
        expires_at: token.expires_at,
        scopes: token.scopes,
    }))
}

/// Query of `GET /auth/status/{id}`.
#[derive(Debug, Deserialize)]
pub struct StatusQuery {
    /// Seconds to wait for the session to leave `pending` (extension; capped at 60).
    #[serde(default)]
    wait: Option<f64>,
}

/// `GET /auth/status/{session_id}`.
pub async fn get_session_status(
    State(state): State<AppState>,
    ApiClient(client): ApiClient,
    path: Result<Path<String>, PathRejection>,
    ApiQuery(query): ApiQuery<StatusQuery>,
) -> Result<Json<StatusResponse>, ApiError> {
    let Path(session_id) = path.map_err(|rejection| path_error(&rejection))?;
    let wait = match query.wait {
        None => Duration::ZERO,
        Some(seconds) if seconds.is_finite() && seconds >= 0.0 => {
            Duration::from_secs_f64(seconds.min(60.0))
        }
        Some(_) => {
            return Err(ApiError::Unprocessable {
                location: "query",
                message: "wait must be a number of seconds between 0 and 60".into(),
            });
        }
    };
    let view = state
        .gateway
        .session_status(&client, &session_id, wait)
        .await?;
    Ok(Json(StatusResponse {
        status: view.status,
        session_id: view.session_id.to_string(),
        user_email: Some(view.user_email),
        provider: Some(view.provider),
        error: view.error,
        expires_at: Some(view.expires_at),
    }))
}

/// `GET /auth/providers/{user_email}`.
pub async fn list_user_providers(
    State(state): State<AppState>,
    ApiClient(_client): ApiClient,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<ProvidersResponse>, ApiError> {
    let Path(user_email) = path.map_err(|rejection| path_error(&rejection))?;
    let (email, grants) = state.gateway.grants(&user_email).await?;
    Ok(Json(ProvidersResponse {
        user_email: email.to_string(),
        providers: grants
            .into_iter()
            .map(|grant| ProviderGrant {
                provider: grant.provider,
                scopes: grant.scopes,
                authenticated_at: grant.authenticated_at,
                token_expires_at: grant.token_expires_at,
            })
            .collect(),
    }))
}

/// `DELETE /auth/revoke`.
pub async fn revoke_credentials(
    State(state): State<AppState>,
    ApiClient(_client): ApiClient,
    ApiJson(request): ApiJson<RevokeRequest>,
) -> Result<Json<RevokeResponse>, ApiError> {
    let outcome = state
        .gateway
        .revoke(&request.provider, &request.user_email)
        .await?;
    let message = if outcome.revoked_upstream {
        format!(
            "Revoked {} credentials for {}",
            request.provider, request.user_email
        )
    } else {
        format!(
            "Deleted {} credentials for {}; revoking them at the provider failed, so the grant may stay listed in the user's account until it expires",
            request.provider, request.user_email
        )
    };
    Ok(Json(RevokeResponse {
        success: true,
        message,
    }))
}

fn path_error(rejection: &PathRejection) -> ApiError {
    ApiError::Unprocessable {
        location: "path",
        message: rejection.body_text(),
    }
}
