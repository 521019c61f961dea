//! An https server on 127.0.0.1 serving client metadata documents, with a certificate
//! from the test CA in `tests/fixtures/cimd` (see its `make.sh`). Each path answers
//! what the test set; every request is counted, so a test can tell a cached document
//! from a fetched one.

use super::app::TestApp;
use super::oauth::RESOURCE;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// One canned answer.
#[derive(Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    /// 200 JSON with `Cache-Control: max-age=<max_age>`.
    pub fn json(body: &serde_json::Value, max_age: u32) -> Self {
        Self {
            status: 200,
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                ("Cache-Control".into(), format!("max-age={max_age}")),
            ],
            body: body.to_string().into_bytes(),
        }
    }
}

pub struct DocumentServer {
    /// `https://127.0.0.1:PORT`.
    pub origin: String,
    replies: Arc<Mutex<HashMap<String, Reply>>>,
    hits: Arc<AtomicUsize>,
}

/// The test CA's certificate, for `OAUTH_CIMD_EXTRA_CA_FILE`.
pub fn ca_file() -> String {
    fixture("ca.pem").display().to_string()
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/cimd")
        .join(name)
}

impl DocumentServer {
    pub async fn start() -> Self {
        let certs = CertificateDer::pem_file_iter(fixture("server.pem"))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let key = PrivateKeyDer::from_pem_file(fixture("server.key")).unwrap();
        let config = ServerConfig::builder_with_provider(Arc::new(
            tokio_rustls::rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!(
            "https://127.0.0.1:{}",
            listener.local_addr().unwrap().port()
        );
        let replies: Arc<Mutex<HashMap<String, Reply>>> = Arc::default();
        let hits = Arc::new(AtomicUsize::new(0));
        let (served, counted) = (Arc::clone(&replies), Arc::clone(&hits));
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (acceptor, served, counted) =
                    (acceptor.clone(), Arc::clone(&served), Arc::clone(&counted));
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(stream).await else {
                        return;
                    };
                    let path = read_request_path(&mut tls).await;
                    counted.fetch_add(1, Ordering::SeqCst);
                    let reply = served.lock().unwrap().get(&path).cloned();
                    let reply = reply.unwrap_or(Reply {
                        status: 404,
                        headers: vec![],
                        body: b"not found".to_vec(),
                    });
                    let _ = tls.write_all(&encode(&reply)).await;
                    let _ = tls.shutdown().await;
                });
            }
        });
        Self {
            origin,
            replies,
            hits,
        }
    }

    /// The `client_id` URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    pub fn set(&self, path: &str, reply: Reply) {
        self.replies.lock().unwrap().insert(path.to_owned(), reply);
    }

    /// Requests received so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

async fn read_request_path(
    tls: &mut tokio_rustls::server::TlsStream<tokio::net::TcpStream>,
) -> String {
    let mut request = Vec::new();
    let mut buffer = [0_u8; 1024];
    while !request.windows(4).any(|window| window == b"\r\n\r\n") {
        match tls.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => request.extend_from_slice(&buffer[..read]),
        }
    }
    let text = String::from_utf8_lossy(&request);
    text.split(' ').nth(1).unwrap_or("/").to_owned()
}

fn encode(reply: &Reply) -> Vec<u8> {
    use std::fmt::Write as _;
    let mut head = format!("HTTP/1.1 {} X\r\nConnection: close\r\n", reply.status);
    for (name, value) in &reply.headers {
        let _ = write!(head, "{name}: {value}\r\n");
    }
    // A reply that sets Transfer-Encoding carries its own framing (no Content-Length).
    if reply
        .headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("transfer-encoding"))
    {
        head.push_str("\r\n");
    } else {
        let _ = write!(head, "Content-Length: {}\r\n\r\n", reply.body.len());
    }
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(&reply.body);
    bytes
}

// ---- The flow around a document client, shared by the tests ----

pub const PATH: &str = "/oauth/client-metadata.json";
pub const REDIRECT: &str = "http://127.0.0.1/callback";
/// A PKCE pair: the challenge is base64url(SHA-256(verifier)).
pub const VERIFIER: &str = "dBjftJeZ4CVP-mJ92K9RRDu4TZXakQOa3xUkoxp6wnY";
const CHALLENGE: &str = "ke6_fpqfpvhWah6magFL7O8IEFZXmszNj1ST_2lRqAI";
const ALICE: &str = "alice@example.com";

pub fn document(client_id: &str) -> Value {
    json!({
        "client_id": client_id,
        "client_name": "Document Client",
        "redirect_uris": [REDIRECT],
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "client_uri": "https://client.example",
    })
}

pub fn authorize_url(app: &TestApp, client_id: &str, redirect: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect)
        .append_pair("code_challenge", CHALLENGE)
        .append_pair("code_challenge_method", "S256")
        .append_pair("resource", RESOURCE)
        .append_pair("state", "st")
        .finish();
    app.url(&format!("/oauth/authorize?{query}"))
}

pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub fn location(app: &TestApp, response: &reqwest::Response) -> String {
    assert_eq!(response.status(), 302, "expected a redirect");
    let location = response.headers()["location"].to_str().unwrap();
    if location.starts_with('/') {
        app.url(location)
    } else {
        location.to_owned()
    }
}

/// The value of a hidden form field on the consent page.
pub fn field(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).unwrap() + marker.len();
    let end = start + page[start..].find('"').unwrap();
    page[start..end]
        .replace("&amp;", "&")
        .replace("&#x27;", "'")
}

/// `GET /oauth/authorize`, signed in at Google as Alice: the consent page.
pub async fn consent_page(app: &TestApp, browser: &reqwest::Client, client_id: &str) -> String {
    let first = browser
        .get(authorize_url(app, client_id, REDIRECT))
        .send()
        .await
        .unwrap();
    let to_google = location(app, &first);
    assert!(
        to_google.starts_with(&app.emulator.auth_url()),
        "{to_google}"
    );
    app.emulator.state().sign_in_as(Some(ALICE.into()));
    let back = browser.get(&to_google).send().await.unwrap();
    let callback = browser.get(location(app, &back)).send().await.unwrap();
    let again = browser.get(location(app, &callback)).send().await.unwrap();
    assert_eq!(again.status(), 200);
    again.text().await.unwrap()
}

/// An error page: 400, no redirect anywhere, the reason in words.
pub async fn assert_page(response: reqwest::Response, words: &str) {
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
    let page = response.text().await.unwrap();
    assert!(page.contains(words), "{words:?} not in {page}");
}
