//! The function's secrets: one file per secret in [`SECRETS_PATH`].

use std::io;
use std::path::Path;

/// The directory of the function's secrets: one file per secret, named after
/// it, as in every OpenFaaS function.
pub const SECRETS_PATH: &str = "/var/openfaas/secrets";

/// Returns the function's secret `name`: the content of the file
/// `SECRETS_PATH/name`, as it is (not trimmed).
///
/// # Errors
/// - [`io::ErrorKind::NotFound`], "secret NAME not found": the function has
///   no such secret, also when it has none at all (a Wasm function without
///   secrets has no filesystem, so no [`SECRETS_PATH`]);
/// - [`io::ErrorKind::InvalidInput`]: `name` is empty, `.` or `..`, or has a `/`;
/// - [`io::ErrorKind::InvalidData`]: the secret is not UTF-8;
/// - the read's error otherwise ("secret NAME: reason").
pub fn secret(name: &str) -> io::Result<String> {
    read_secret(Path::new(SECRETS_PATH), name)
}

/// [`secret`] reading from `dir`. A failed read is "not found" when the file
/// is missing or `dir` itself cannot be reached: Rust's std answers a path
/// under no preopen with an uncategorized error of its own.
fn read_secret(dir: &Path, name: &str) -> io::Result<String> {
    if name.is_empty() || name == "." || name == ".." || name.contains('/') {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("secret {:?}: invalid name", name)));
    }
    match std::fs::read(dir.join(name)) {
        Ok(b) => String::from_utf8(b)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, format!("secret {}: not UTF-8", name))),
        Err(e) if e.kind() == io::ErrorKind::NotFound || std::fs::metadata(dir).is_err() => {
            Err(io::Error::new(io::ErrorKind::NotFound, format!("secret {} not found", name)))
        }
        Err(e) => Err(io::Error::new(e.kind(), format!("secret {}: {}", name, e))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// A fresh directory under the system's temporary directory, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> TempDir {
            let p = std::env::temp_dir().join(format!("faas-wasm-fn-{}-{}", tag, std::process::id()));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(&p).unwrap();
            TempDir(p)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn reads_a_secret_as_it_is() {
        let d = TempDir::new("read");
        std::fs::write(d.0.join("api-key"), "s3cr3t\n").unwrap();
        assert_eq!(read_secret(&d.0, "api-key").unwrap(), "s3cr3t\n");
    }

    #[test]
    fn missing_secret_is_not_found_with_or_without_the_directory() {
        let d = TempDir::new("missing");
        std::fs::write(d.0.join("other"), "x").unwrap();
        let gone = d.0.join("no-such-dir");
        for dir in [&d.0, &gone] {
            let e = read_secret(dir, "api-key").unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::NotFound, "{}: {}", dir.display(), e);
            assert_eq!(e.to_string(), "secret api-key not found");
        }
    }

    #[test]
    fn names_outside_the_directory_are_refused() {
        let d = TempDir::new("invalid");
        for name in ["", ".", "..", "../etc/passwd", "a/b"] {
            let e = read_secret(&d.0, name).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{:?}: {}", name, e);
        }
    }

    #[test]
    fn other_errors_keep_their_cause() {
        let d = TempDir::new("other");
        std::fs::create_dir(d.0.join("a-dir")).unwrap();
        let e = read_secret(&d.0, "a-dir").unwrap_err();
        assert_ne!(e.kind(), io::ErrorKind::NotFound);
        assert!(e.to_string().starts_with("secret a-dir: "), "{}", e);
    }
}
