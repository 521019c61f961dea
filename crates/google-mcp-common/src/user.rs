//! Whose Google account a tool call uses. A server started for one person
//! (`MCP_USER_EMAIL`) acts only for that person, whatever a model puts in `user_email`;
//! a shared server (no `MCP_USER_EMAIL`) needs the argument on every call.

use crate::failure::ToolFailure;

/// The environment variable naming the one user a server acts for.
pub const USER_EMAIL_VAR: &str = "MCP_USER_EMAIL";

/// Decides the user of each tool call from the server's configuration and the
/// optional `user_email` argument.
///
/// ```
/// use google_mcp_common::UserPolicy;
///
/// let single = UserPolicy::single_user("ana@example.com");
/// assert_eq!(single.resolve(None).unwrap(), "ana@example.com");
/// assert_eq!(single.resolve(Some("ANA@example.com")).unwrap(), "ana@example.com");
/// assert!(single.resolve(Some("bob@example.com")).is_err());
///
/// let shared = UserPolicy::shared();
/// assert!(shared.resolve(None).is_err());
/// assert_eq!(shared.resolve(Some(" bob@example.com ")).unwrap(), "bob@example.com");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserPolicy {
    configured: Option<String>,
    /// Gateway mode: the user is the one the access token names, never an argument.
    verified: bool,
}

impl UserPolicy {
    /// From `MCP_USER_EMAIL` (unset or blank: a shared server).
    pub fn from_env() -> Self {
        Self::from_value(std::env::var(USER_EMAIL_VAR).ok().as_deref())
    }

    /// From the value of `MCP_USER_EMAIL` (blank counts as unset).
    pub fn from_value(value: Option<&str>) -> Self {
        match value.map(str::trim).filter(|email| !email.is_empty()) {
            Some(email) => Self::single_user(email),
            None => Self::shared(),
        }
    }

    /// A server that acts only for `email`.
    pub fn single_user(email: impl Into<String>) -> Self {
        Self {
            configured: Some(email.into().trim().to_owned()),
            verified: false,
        }
    }

    /// A server for several users: every call names its user.
    pub fn shared() -> Self {
        Self {
            configured: None,
            verified: false,
        }
    }

    /// A server behind the gateway's resource guard: each call's user is the verified
    /// user of its request ([`UserPolicy::resolve_call`]).
    pub fn verified() -> Self {
        Self {
            configured: None,
            verified: true,
        }
    }

    /// Whether users come from verified access tokens (tools then offer no
    /// `user_email`).
    pub fn is_verified(&self) -> bool {
        self.verified
    }

    /// The user a tool call acts for: in gateway mode the verified user of the request
    /// (a `user_email` argument naming someone else is refused), otherwise as
    /// [`UserPolicy::resolve`].
    pub fn resolve_call(
        &self,
        call: &mcp_auth_client::ToolCall,
        argument: Option<&str>,
    ) -> Result<String, ToolFailure> {
        if !self.verified {
            return self.resolve(argument);
        }
        let Some(user) = mcp_auth_client::resource::VerifiedUser::from_call(call) else {
            // Only reachable if the guard was left out of the router: fail closed.
            return Err(ToolFailure::message(
                "Refused: this server verifies its callers, but the request carried no verified user.",
            ));
        };
        match argument.map(str::trim).filter(|email| !email.is_empty()) {
            Some(asked) if !asked.eq_ignore_ascii_case(&user.email) => {
                Err(ToolFailure::message(format!(
                    "Refused: you are signed in as {}, so this server cannot use the Google \
                     account of {asked}. Leave out user_email.",
                    user.email
                )))
            }
            _ => Ok(user.email),
        }
    }

    /// The configured user of a single-user server.
    pub fn configured_user(&self) -> Option<&str> {
        self.configured.as_deref()
    }

    /// The user a call acts for.
    ///
    /// Single-user server: the argument must be absent or the configured email (case
    /// does not matter); anything else is refused, so a model can never pick another
    /// person's credentials. Shared server: the argument is required.
    pub fn resolve(&self, argument: Option<&str>) -> Result<String, ToolFailure> {
        if self.verified {
            return Err(ToolFailure::message(
                "Refused: this server acts only for the verified user of each request.",
            ));
        }
        let argument = argument.map(str::trim).filter(|email| !email.is_empty());
        match (&self.configured, argument) {
            (Some(configured), None) => Ok(configured.clone()),
            (Some(configured), Some(asked)) if asked.eq_ignore_ascii_case(configured) => {
                Ok(configured.clone())
            }
            (Some(configured), Some(asked)) => Err(ToolFailure::message(format!(
                "Refused: this server acts only for {configured}, so it cannot use the Google \
                 account of {asked}. Leave out user_email (or pass {configured})."
            ))),
            (None, Some(asked)) if looks_like_email(asked) => Ok(asked.to_owned()),
            (None, Some(asked)) => Err(ToolFailure::message(format!(
                "user_email must be an email address (got {asked:?})."
            ))),
            (None, None) => Err(ToolFailure::message(
                "user_email is required: this server is shared by several people, so every \
                 call must say whose Google account to use (the email the user signs in with).",
            )),
        }
    }

    /// One sentence for the server's instructions telling the model how to fill
    /// `user_email`.
    pub fn instructions(&self) -> String {
        if self.verified {
            return "Every call acts for the signed-in user (the gateway's access token says who)."
                .to_owned();
        }
        match &self.configured {
            Some(email) => format!(
                "This server acts only for {email}; leave user_email out (any other value is refused)."
            ),
            None => "Pass user_email (the email address the user signs in to Google with) on every call."
                .to_owned(),
        }
    }
}

/// A plausibility check only; the gateway validates emails for real.
fn looks_like_email(value: &str) -> bool {
    let mut parts = value.splitn(2, '@');
    let local = parts.next().unwrap_or_default();
    let domain = parts.next().unwrap_or_default();
    !local.is_empty() && domain.contains('.') && !value.contains(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_user_server_refuses_another_persons_email() {
        let policy = UserPolicy::from_value(Some(" ana@example.com "));
        let refused = policy.resolve(Some("mallory@example.com")).unwrap_err();
        let text = refused.text().unwrap();
        assert!(text.contains("acts only for ana@example.com"), "{text}");
        assert!(text.contains("mallory@example.com"), "{text}");
    }

    #[test]
    fn a_blank_variable_means_a_shared_server() {
        assert_eq!(UserPolicy::from_value(Some("  ")), UserPolicy::shared());
        assert_eq!(UserPolicy::from_value(None), UserPolicy::shared());
    }

    #[test]
    fn a_shared_server_needs_a_plausible_email() {
        let policy = UserPolicy::shared();
        assert!(policy.resolve(Some("not an email")).is_err());
        assert!(policy.resolve(Some("")).is_err());
        assert_eq!(policy.resolve(Some("a@b.io")).unwrap(), "a@b.io");
    }
}
