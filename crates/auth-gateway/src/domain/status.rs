//! The statuses stored rows carry, spelled as the schema spells them.

/// A status column held a value this version does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} status {value:?}")]
pub struct UnknownStatus {
    pub kind: &'static str,
    pub value: String,
}

/// Where a sign-in session stands in storage. `Exchanging` is the claimed state between
/// the callback winning the session and the code exchange finishing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    Pending,
    Exchanging,
    Completed,
    Failed,
}

impl SessionState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Exchanging => "exchanging",
            Self::Completed => "completed",
            Self::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Result<Self, UnknownStatus> {
        match text {
            "pending" => Ok(Self::Pending),
            "exchanging" => Ok(Self::Exchanging),
            "completed" => Ok(Self::Completed),
            "failed" => Ok(Self::Failed),
            other => Err(UnknownStatus {
                kind: "session",
                value: other.to_owned(),
            }),
        }
    }
}

/// Whether a stored grant can still be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialStatus {
    Active,
    /// The provider rejected the refresh token; only a new sign-in helps.
    NeedsReauth,
}

impl CredentialStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::NeedsReauth => "needs_reauth",
        }
    }

    pub fn parse(text: &str) -> Result<Self, UnknownStatus> {
        match text {
            "active" => Ok(Self::Active),
            "needs_reauth" => Ok(Self::NeedsReauth),
            other => Err(UnknownStatus {
                kind: "credential",
                value: other.to_owned(),
            }),
        }
    }
}
