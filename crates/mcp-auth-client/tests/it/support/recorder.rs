//! Two small HTTP origins for the redirect tests: one that records the API keys it is
//! sent and answers `/auth/token` with a token, and one that redirects everything to
//! another origin.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::{Arc, Mutex};

/// Records the `X-API-Key` of every request; `POST /auth/token` answers a token and
/// `/moved/{path}` answers 307 to `/{path}` on the same origin.
pub struct HeaderRecorder {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    keys: Arc<Mutex<Vec<String>>>,
}

impl HeaderRecorder {
    pub async fn start() -> Self {
        let keys = Arc::new(Mutex::new(Vec::new()));
        let app = axum::Router::new()
            .fallback(record)
            .with_state(Arc::clone(&keys));
        let url = serve(app).await;
        Self { url, keys }
    }

    /// The API keys received so far, in order.
    pub fn api_keys_seen(&self) -> Vec<String> {
        self.keys.lock().unwrap().clone()
    }
}

async fn record(State(keys): State<Arc<Mutex<Vec<String>>>>, request: Request) -> Response {
    if let Some(key) = request.headers().get(gateway_proto::API_KEY_HEADER) {
        keys.lock()
            .unwrap()
            .push(key.to_str().unwrap_or("<not text>").to_owned());
    }
    let path = request.uri().path();
    if let Some(rest) = path.strip_prefix("/moved") {
        return redirect_to(rest);
    }
    if path != "/auth/token" {
        return StatusCode::NOT_FOUND.into_response();
    }
    axum::Json(serde_json::json!({
        "access_token": "ya29.recorded",
        "token_type": "Bearer",
        "expires_at": "2099-01-01T00:00:00Z",
        "scopes": ["openid"],
    }))
    .into_response()
}

/// Answers every request with 307 to the same path at `target` (another origin).
pub struct Redirector {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Redirector {
    pub async fn start(target: &str) -> Self {
        let target = target.to_owned();
        let app = axum::Router::new().fallback(move |request: Request| {
            let location = format!("{target}{}", request.uri().path());
            async move { redirect_to(&location) }
        });
        Self {
            url: serve(app).await,
        }
    }
}

fn redirect_to(location: &str) -> Response {
    let mut response = StatusCode::TEMPORARY_REDIRECT.into_response();
    response
        .headers_mut()
        .insert(header::LOCATION, HeaderValue::from_str(location).unwrap());
    response
}

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}
