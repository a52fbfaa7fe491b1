//! TLS for every outbound connection (the feeds, the prebuilt database, the GitHub API):
//! rustls with ring (it links statically for the musl `FROM scratch` image, unlike aws-lc),
//! the Mozilla roots compiled in (webpki-roots: the image has no CA files), plus the PEM
//! roots of the file `SSL_CERT_FILE` names (GitHub Enterprise Server or a mirror behind a
//! private CA).

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use std::path::Path;
use std::sync::Arc;

/// Why the TLS settings could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The `SSL_CERT_FILE` file is unreadable or holds no certificate.
    #[error("`{path}` (SSL_CERT_FILE): {reason}")]
    Roots {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// rustls refused the configuration.
    #[error("TLS: {0}")]
    Config(String),
}

/// The client configuration: ring, the compiled-in roots and those of `extra_roots`.
pub fn client_config(extra_roots: Option<&Path>) -> Result<rustls::ClientConfig, TlsError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = extra_roots {
        let bad = |reason: &dyn std::fmt::Display| TlsError::Roots {
            path: path.display().to_string(),
            reason: reason.to_string(),
        };
        let mut added = 0;
        for cert in CertificateDer::pem_file_iter(path).map_err(|e| bad(&e))? {
            roots.add(cert.map_err(|e| bad(&e))?).map_err(|e| bad(&e))?;
            added += 1;
        }
        if added == 0 {
            return Err(bad(&"no PEM certificate in the file"));
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `SSL_CERT_FILE` adds its roots; a file without certificates, or a missing one, is an
    /// error naming the file and the variable.
    #[test]
    fn extra_roots() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/github");
        assert!(client_config(None).is_ok());
        assert!(client_config(Some(Path::new(&format!("{dir}/tls/ca.pem")))).is_ok());
        for bad in ["SOURCES.md", "tls/missing.pem"] {
            let path = format!("{dir}/{bad}");
            let err = client_config(Some(Path::new(&path)))
                .expect_err(bad)
                .to_string();
            assert!(err.contains("SSL_CERT_FILE") && err.contains(bad), "{err}");
        }
    }
}
