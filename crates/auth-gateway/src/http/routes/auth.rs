//! The JSON API for MCP servers (`/auth/*`): extract, one core call, map the result.

use crate::core::flows::credentials::IssuedToken;
use crate::core::{CoreError, SignInReason};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{ApiClient, ApiJson, ApiQuery};
use crate::http::middleware::{record_fields, record_outcome};
#[allow(unused_imports)] // named by the OpenAPI annotations
use crate::http::openapi::{ApiKeyErrorBody, ErrorBody, ForbiddenBody, ValidationErrorBody};
use crate::monitoring::TokenOutcome;
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

/// `POST /auth/init`: start a sign-in; show `auth_url` to the user.
#[utoipa::path(post, path = "/auth/init", tag = "auth",
    security(("api_key" = [])),
    request_body = InitRequest,
    responses(
        (status = 200, description = "Sign-in started", body = InitResponse),
        (status = 400, description = "Unknown provider, invalid email or scope", body = ErrorBody),
        (status = 403, description = "Invalid API key, or the key may not use this provider (forbidden_provider) or scope (scope_not_allowed), or may obtain tokens only by token exchange (verified_users_only)", body = ForbiddenBody),
        (status = 413, description = "Body over 16 KiB", body = ErrorBody),
        (status = 422, description = "Malformed body", body = ValidationErrorBody),
        (status = 429, description = "Rate limited; see Retry-After", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ))]
pub async fn init_sign_in(
    State(state): State<AppState>,
    ApiClient(client): ApiClient,
    ApiJson(request): ApiJson<InitRequest>,
) -> Result<Json<InitResponse>, ApiError> {
    record_fields(&client.name, &request.user_email, &request.provider);
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

/// `POST /auth/token`: a valid access token, refreshed first when needed.
#[utoipa::path(post, path = "/auth/token", tag = "auth",
    security(("api_key" = [])),
    request_body = TokenRequest,
    responses(
        (status = 200, description = "A valid access token", body = TokenResponse),
        (status = 400, description = "Unknown provider, invalid email or scope", body = ErrorBody),
        (status = 401, description = "needs_reauth, refresh_failed or insufficient_scope: sign in again at auth_url", body = ErrorBody),
        (status = 403, description = "Invalid API key, or the key may not use this provider (forbidden_provider) or scope (scope_not_allowed), or may obtain tokens only by token exchange (verified_users_only)", body = ForbiddenBody),
        (status = 404, description = "not_authenticated: sign in at auth_url", body = ErrorBody),
        (status = 413, description = "Body over 16 KiB", body = ErrorBody),
        (status = 422, description = "Malformed body", body = ValidationErrorBody),
        (status = 429, description = "Rate limited; see Retry-After", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "provider_unavailable and the stored token expired", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ))]
pub async fn issue_token(
    State(state): State<AppState>,
    ApiClient(client): ApiClient,
    ApiJson(request): ApiJson<TokenRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    record_fields(&client.name, &request.user_email, &request.provider);
    let result = state
        .gateway
        .token(
            &client,
            &request.provider,
            &request.user_email,
            request.scopes.as_deref(),
            request.force_refresh,
        )
        .await;
    record_token_result(&state, &request.provider, &result);
    let token = result?;
    Ok(Json(TokenResponse {
        access_token: token.access_token.expose_secret().to_owned(),
        token_type: "Bearer".to_owned(),
        expires_at: token.expires_at,
        scopes: token.scopes,
    }))
}

/// Counts a token request's outcome in the metrics and names it in the access log.
fn record_token_result(state: &AppState, provider: &str, result: &Result<IssuedToken, CoreError>) {
    let outcome = token_outcome(result);
    record_outcome(outcome.as_str());
    // Only known providers get past the core, so the label set stays bounded.
    let provider = match outcome {
        TokenOutcome::Error => "other",
        _ => provider,
    };
    state.metrics.token_outcome(provider, outcome);
}

/// What became of a token request, for metrics and the access log.
fn token_outcome(result: &Result<IssuedToken, CoreError>) -> TokenOutcome {
    match result {
        Ok(token) if token.refreshed => TokenOutcome::Refreshed,
        Ok(_) => TokenOutcome::Served,
        Err(CoreError::SignInRequired { reason, .. }) => match reason {
            SignInReason::NotAuthenticated => TokenOutcome::NotAuthenticated,
            SignInReason::NeedsReauth => TokenOutcome::NeedsReauth,
            SignInReason::RefreshFailed => TokenOutcome::RefreshFailed,
            SignInReason::InsufficientScope { .. } => TokenOutcome::InsufficientScope,
        },
        Err(CoreError::ProviderUnavailable { .. }) => TokenOutcome::ProviderUnavailable,
        Err(_) => TokenOutcome::Error,
    }
}

/// Query of `GET /auth/status/{id}`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatusQuery {
    /// Seconds to wait for the session to leave `pending` (extension; capped at 60).
    #[serde(default)]
    wait: Option<f64>,
}

/// `GET /auth/status/{session_id}`: where a sign-in stands; `?wait=` long-polls.
#[utoipa::path(get, path = "/auth/status/{session_id}", tag = "auth",
    security(("api_key" = [])),
    params(("session_id" = String, Path, description = "From /auth/init or a sign-in error"), StatusQuery),
    responses(
        (status = 200, description = "The session's status", body = StatusResponse),
        (status = 403, description = "Invalid API key", body = ApiKeyErrorBody),
        (status = 404, description = "Unknown session", body = ErrorBody),
        (status = 422, description = "Malformed wait", body = ValidationErrorBody),
        (status = 429, description = "This client has MAX_LONG_POLLS_PER_CLIENT waits running; see Retry-After", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ))]
pub async fn get_session_status(
    State(state): State<AppState>,
    ApiClient(client): ApiClient,
    path: Result<Path<String>, PathRejection>,
    ApiQuery(query): ApiQuery<StatusQuery>,
) -> Result<Json<StatusResponse>, ApiError> {
    let Path(session_id) = path.map_err(|rejection| path_error(&rejection))?;
    let wait = wait_duration(query.wait)?;
    let _waiting = state.long_polls.enter(&client.name, wait)?;
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

/// `?wait=` as a duration, capped at 60 seconds.
fn wait_duration(wait: Option<f64>) -> Result<Duration, ApiError> {
    match wait {
        None => Ok(Duration::ZERO),
        Some(seconds) if seconds.is_finite() && seconds >= 0.0 => {
            Ok(Duration::from_secs_f64(seconds.min(60.0)))
        }
        Some(_) => Err(ApiError::unprocessable(
            "query",
            "wait must be a number of seconds between 0 and 60",
        )),
    }
}

/// `GET /auth/providers/{user_email}`: the providers a user has signed in to.
#[utoipa::path(get, path = "/auth/providers/{user_email}", tag = "auth",
    security(("api_key" = [])),
    params(("user_email" = String, Path, description = "The user's email address")),
    responses(
        (status = 200, description = "The user's grants", body = ProvidersResponse),
        (status = 400, description = "Invalid email", body = ErrorBody),
        (status = 403, description = "Invalid API key", body = ApiKeyErrorBody),
    ))]
pub async fn list_user_providers(
    State(state): State<AppState>,
    ApiClient(client): ApiClient,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<ProvidersResponse>, ApiError> {
    let Path(user_email) = path.map_err(|rejection| path_error(&rejection))?;
    let (email, grants) = state.gateway.grants(&client, &user_email).await?;
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

/// `DELETE /auth/revoke`: delete a grant here and revoke it at the provider.
#[utoipa::path(delete, path = "/auth/revoke", tag = "auth",
    security(("api_key" = [])),
    request_body = RevokeRequest,
    responses(
        (status = 200, description = "Deleted (and revoked upstream when the provider answered)", body = RevokeResponse),
        (status = 400, description = "Unknown provider or invalid email", body = ErrorBody),
        (status = 403, description = "Invalid API key, or the key may not use this provider (forbidden_provider) or scope (scope_not_allowed)", body = ForbiddenBody),
        (status = 404, description = "Nothing stored for this user and provider", body = ErrorBody),
        (status = 422, description = "Malformed body", body = ValidationErrorBody),
    ))]
pub async fn revoke_credentials(
    State(state): State<AppState>,
    ApiClient(client): ApiClient,
    ApiJson(request): ApiJson<RevokeRequest>,
) -> Result<Json<RevokeResponse>, ApiError> {
    let outcome = state
        .gateway
        .revoke(&client, &request.provider, &request.user_email)
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
    ApiError::unprocessable("path", rejection.body_text())
}
