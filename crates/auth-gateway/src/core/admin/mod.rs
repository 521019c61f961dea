//! Operator work, run from the command line or asked by probes: API client keys
//! ([`clients`]), which keys the stored ciphertexts use ([`key_rotation`]), the
//! re-encryption sweep ([`reencrypt`]), the import from the original gateway ([`legacy_import`]), and
//! what `/ready` and `/metrics` report ([`health`]).

pub mod clients;
pub mod health;
pub mod key_rotation;
pub mod legacy_import;
pub mod reencrypt;
