//! `Sealed`: a ciphertext as the store keeps it. Making and opening one is the core's key
//! ring's job (`core::crypto`); every other layer only carries it.

/// A ciphertext and the id of the key that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    pub ciphertext: String,
}
