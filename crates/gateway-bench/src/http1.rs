//! A bare HTTP/1 keep-alive connection for `POST /auth/token`: one TCP connection, no
//! pool, headers built once. This is the cheapest client hyper offers, so most of the
//! CPU on the shared cores goes to the gateway.

use anyhow::{Context, Result};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{CONTENT_TYPE, HOST, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;

/// The constant parts of every token request.
#[derive(Clone)]
pub struct TokenRequests {
    address: SocketAddr,
    host: HeaderValue,
    api_key: HeaderValue,
    json: HeaderValue,
}

impl TokenRequests {
    pub fn new(port: u16, api_key: &str) -> Result<Self> {
        Ok(Self {
            address: SocketAddr::from(([127, 0, 0, 1], port)),
            host: HeaderValue::from_str(&format!("127.0.0.1:{port}"))?,
            api_key: HeaderValue::from_str(api_key)?,
            json: HeaderValue::from_static("application/json"),
        })
    }

    /// The JSON body asking for `email`'s Google token, built once per user.
    pub fn body(email: &str) -> Bytes {
        Bytes::from(serde_json::json!({"provider": "google", "user_email": email}).to_string())
    }

    /// Opens a keep-alive connection to the gateway.
    pub async fn connect(&self) -> Result<Connection> {
        let stream = tokio::net::TcpStream::connect(self.address)
            .await
            .with_context(|| format!("connecting to {}", self.address))?;
        // Requests are small and answered at once; Nagle would only add latency.
        stream.set_nodelay(true)?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .context("HTTP/1 handshake")?;
        tokio::spawn(async move {
            // Ends when the sender is dropped or the server closes; errors surface on
            // the next request instead.
            let _ = connection.await;
        });
        Ok(Connection {
            sender,
            template: self.clone(),
        })
    }
}

/// One open connection; requests on it run one after another.
pub struct Connection {
    sender: SendRequest<Full<Bytes>>,
    template: TokenRequests,
}

impl Connection {
    /// Sends `POST /auth/token` with `body` and reads the whole answer.
    pub async fn token(&mut self, body: Bytes) -> Result<(StatusCode, Bytes)> {
        let mut request = Request::new(Full::new(body));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = hyper::Uri::from_static("/auth/token");
        let headers = request.headers_mut();
        headers.insert(HOST, self.template.host.clone());
        headers.insert("x-api-key", self.template.api_key.clone());
        headers.insert(CONTENT_TYPE, self.template.json.clone());
        self.sender.ready().await.context("connection closed")?;
        let response = self.sender.send_request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, body))
    }
}
