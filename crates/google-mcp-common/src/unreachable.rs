//! A Google API call that got no HTTP answer: which host, why, and whether waiting
//! helps (a timeout) or the server's API URL setting is probably wrong (an unknown
//! host, a refused connection).

use std::error::Error as _;

/// Why no answer came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoAnswer {
    /// The connection or the answer took too long; usually temporary.
    Timeout,
    /// The host name did not resolve.
    UnknownHost,
    /// Nothing listens at the address (connection refused).
    Refused,
    /// Anything else (TLS, a connection cut off mid-answer).
    Other,
}

impl NoAnswer {
    /// Classifies a transport error by walking its source chain.
    pub fn of(error: &reqwest::Error) -> Self {
        if error.is_timeout() {
            return Self::Timeout;
        }
        let mut source = error.source();
        while let Some(cause) = source {
            if let Some(io) = cause.downcast_ref::<std::io::Error>() {
                match io.kind() {
                    std::io::ErrorKind::ConnectionRefused => return Self::Refused,
                    std::io::ErrorKind::TimedOut => return Self::Timeout,
                    _ => {}
                }
            }
            // hyper-util's connector names resolver failures this way.
            if cause.to_string() == "dns error" {
                return Self::UnknownHost;
            }
            source = cause.source();
        }
        Self::Other
    }
}

/// The URL's host and port only: paths and queries can carry ids or tokens.
pub fn host_of(error: &reqwest::Error) -> String {
    error
        .url()
        .and_then(|url| {
            let host = url.host_str()?;
            Some(match url.port() {
                Some(port) => format!("{host}:{port}"),
                None => host.to_owned(),
            })
        })
        .unwrap_or_else(|| "(unknown host)".to_owned())
}

/// The error and its causes, "a: b: c", for logs and texts.
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        // reqwest repeats a cause's text in its own message at times.
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// The text for the person and the model.
pub fn explain(
    api: &str,
    host: &str,
    url_setting: &str,
    why: NoAnswer,
    source: &reqwest::Error,
) -> String {
    let check = format!(
        "The server's API URL setting ({url_setting}) may be wrong; check it and that this \
         machine can reach {host}."
    );
    match why {
        NoAnswer::Timeout => format!(
            "The {api} at {host} did not answer in time. This is usually temporary; please \
             try again shortly."
        ),
        NoAnswer::UnknownHost => {
            format!(
                "The {api} could not be reached: the host {host} could not be resolved. {check}"
            )
        }
        NoAnswer::Refused => format!(
            "The {api} could not be reached: {host} refused the connection (nothing listens \
             there). {check}"
        ),
        NoAnswer::Other => format!(
            "The {api} at {host} could not be reached ({}). {check}",
            chain(source)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::GoogleApiError;

    /// A local port nothing listens on: bound, then released.
    fn closed_port() -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    }

    async fn no_answer_from(url: &str) -> GoogleApiError {
        let error = reqwest::get(url).await.unwrap_err();
        GoogleApiError::unreachable("Google Ads API", "GOOGLE_ADS_API_URL", error)
    }

    #[tokio::test]
    async fn a_refused_connection_names_the_host_and_the_setting_but_not_the_path_or_query() {
        let port = closed_port();
        let error = no_answer_from(&format!("http://127.0.0.1:{port}/v26/x?token=secret")).await;
        let text = error.explain();
        assert!(
            text.contains(&format!("127.0.0.1:{port} refused the connection")),
            "{text}"
        );
        assert!(text.contains("GOOGLE_ADS_API_URL"), "{text}");
        assert!(!text.contains("usually temporary"), "{text}");
        let logged = chain(&error);
        assert!(
            !logged.contains("secret") && !logged.contains("/v26"),
            "{logged}"
        );
    }

    #[tokio::test]
    async fn an_unknown_host_is_not_called_temporary() {
        let error = no_answer_from("http://no-such-host.invalid/").await;
        let text = error.explain();
        assert!(
            text.contains("the host no-such-host.invalid could not be resolved"),
            "{text}"
        );
        assert!(!text.contains("usually temporary"), "{text}");
    }
}
