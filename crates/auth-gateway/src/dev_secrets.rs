//! Development convenience: a missing encryption key or API key is generated once and
//! kept in the data directory (mode 0600), so `cargo run` works with no configuration.
//! Production never gets here: missing keys stop startup (see `config`).

use secrecy::{ExposeSecret, SecretString};
use std::io::Write as _;
use std::path::Path;

/// A secret and whether it was created just now (then it is shown once).
#[derive(Debug)]
pub struct Resolved {
    pub secret: SecretString,
    pub generated: bool,
}

/// Returns `configured`, or the secret saved in `dir/file_name`, or a new one saved there.
pub fn resolve(
    configured: Option<&SecretString>,
    dir: &Path,
    file_name: &str,
) -> std::io::Result<Resolved> {
    if let Some(secret) = configured {
        return Ok(Resolved {
            secret: secret.clone(),
            generated: false,
        });
    }
    let path = dir.join(file_name);
    if let Ok(saved) = std::fs::read_to_string(&path) {
        let saved = saved.trim();
        if !saved.is_empty() {
            return Ok(Resolved {
                secret: SecretString::from(saved.to_owned()),
                generated: false,
            });
        }
    }
    create_private_dir(dir)?;
    let secret = crate::core::random::token();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path)?;
    file.write_all(secret.expose_secret().as_bytes())?;
    Ok(Resolved {
        secret,
        generated: true,
    })
}

/// Creates the data directory readable by its owner only (it holds keys and the
/// SQLite database).
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// `path` as one shell word, quoted only when it has to be, for hints people paste.
pub fn shell_word(path: &Path) -> String {
    let text = path.display().to_string();
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c));
    if plain {
        text
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::{resolve, shell_word};
    use secrecy::ExposeSecret;
    use std::path::Path;

    #[test]
    fn paths_are_quoted_for_the_shell_only_when_needed() {
        assert_eq!(
            shell_word(Path::new(".auth-gateway/api.key")),
            ".auth-gateway/api.key"
        );
        assert_eq!(
            shell_word(Path::new("/my dir/api.key")),
            "'/my dir/api.key'"
        );
        assert_eq!(
            shell_word(Path::new("/it's/api.key")),
            "'/it'\\''s/api.key'"
        );
    }

    #[test]
    fn a_generated_secret_is_saved_privately_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = resolve(None, dir.path(), "api.key").unwrap();
        assert!(first.generated);
        let second = resolve(None, dir.path(), "api.key").unwrap();
        assert!(!second.generated);
        assert_eq!(first.secret.expose_secret(), second.secret.expose_secret());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("api.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
