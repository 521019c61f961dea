//! The redirect policy. Every request carries this server's API key, and reqwest strips
//! only the standard credential headers (`Authorization`, `Cookie`) on a redirect to
//! another host, not `X-API-Key`: so a redirect is followed only within the gateway's
//! own origin, and one that leaves it fails before anything is sent there.

use reqwest::redirect::Policy;

/// reqwest's own default limit.
const MAX_REDIRECTS: usize = 10;

/// Follows redirects that stay on `origin` (scheme, host and port), refuses the rest.
pub(crate) fn within(origin: url::Origin) -> Policy {
    Policy::custom(move |attempt| {
        let next = attempt.url().origin();
        if next != origin {
            let to = next.ascii_serialization();
            attempt.error(CrossOrigin { to })
        } else if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error("too many redirects")
        } else {
            attempt.follow()
        }
    })
}

/// Why a redirect was not followed; the origin only, as a path or query may hold secrets.
#[derive(Debug, thiserror::Error)]
#[error("redirect to another origin refused: {to}")]
struct CrossOrigin {
    to: String,
}

/// The origin a failed request was refused a redirect to, when that is why it failed.
pub(crate) fn refused_origin(error: &reqwest::Error) -> Option<String> {
    let mut source = std::error::Error::source(error);
    while let Some(problem) = source {
        if let Some(refused) = problem.downcast_ref::<CrossOrigin>() {
            return Some(refused.to.clone());
        }
        source = problem.source();
    }
    None
}
