//! A counting reverse proxy in front of the gateway: how many requests reached it.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The proxy's address and its request counter.
pub struct CountingProxy {
    /// `http://127.0.0.1:PORT` of the proxy.
    pub url: String,
    count: Arc<AtomicUsize>,
}

#[derive(Clone)]
struct Forward {
    upstream: String,
    http: reqwest::Client,
    count: Arc<AtomicUsize>,
}

impl CountingProxy {
    /// Starts a proxy on port 0 forwarding everything to `upstream`.
    pub async fn start(upstream: &str) -> Self {
        let count = Arc::new(AtomicUsize::new(0));
        let state = Forward {
            upstream: upstream.to_owned(),
            http: reqwest::Client::new(),
            count: count.clone(),
        };
        let app = axum::Router::new().fallback(forward).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, count }
    }

    /// Requests forwarded so far.
    pub fn requests(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }
}

async fn forward(State(state): State<Forward>, request: Request) -> Response {
    state.count.fetch_add(1, Ordering::SeqCst);
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let path = parts.uri.path_and_query().map_or("/", |path| path.as_str());
    let mut headers = parts.headers;
    headers.remove(axum::http::header::HOST);
    let answer = state
        .http
        .request(parts.method, format!("{}{path}", state.upstream))
        .headers(headers)
        .body(body)
        .send()
        .await
        .unwrap();
    let mut response = Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        response = response.header(name, value);
    }
    response
        .body(Body::from(answer.bytes().await.unwrap()))
        .unwrap()
}
