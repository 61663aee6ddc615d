//! The TLS client setup: rustls with ring, Mozilla's roots, plus roots the user trusts.
//!
//! By default awc builds its own rustls config with the webpki (Mozilla) roots, so https
//! works on a fresh machine with no system OpenSSL or certificate store. A crawl of an
//! intranet or a test server signed by a private CA needs that CA added; the config is
//! then built here once per crawl and shared by every fetcher's connector.

use crate::error::ConfigError;
use rustls::pki_types::CertificateDer;
use std::sync::Arc;

/// ALPN protocols offered: HTTP/1.1 only, or HTTP/2 first when it is on.
const ALPN: [&[u8]; 1] = [b"http/1.1"];
const ALPN_H2: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// Checks that `der` is a certificate rustls accepts as a trust anchor.
pub(crate) fn check_root(der: &[u8]) -> Result<(), ConfigError> {
    let mut store = rustls::RootCertStore::empty();
    store
        .add(CertificateDer::from(der.to_vec()))
        .map_err(|e| ConfigError::BadCertificate(e.to_string()))
}

/// The client config trusting the webpki roots and `extra`, offering HTTP/2 when `http2`.
pub(crate) fn client_config(
    extra: &[Vec<u8>],
    http2: bool,
) -> Result<Arc<rustls::ClientConfig>, ConfigError> {
    let mut roots = actix_tls::connect::rustls_0_23::webpki_roots_cert_store();
    for der in extra {
        roots
            .add(CertificateDer::from(der.clone()))
            .map_err(|e| ConfigError::BadCertificate(e.to_string()))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ConfigError::BadCertificate(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let alpn: &[&[u8]] = if http2 { &ALPN_H2 } else { &ALPN };
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_not_a_root() {
        assert!(matches!(
            check_root(b"not a certificate"),
            Err(ConfigError::BadCertificate(_))
        ));
        assert!(client_config(&[b"junk".to_vec()], false).is_err());
    }

    #[test]
    fn http_2_is_offered_when_asked_for() {
        let config = client_config(&[], false).unwrap();
        assert_eq!(config.alpn_protocols, [b"http/1.1".to_vec()]);
        let config = client_config(&[], true).unwrap();
        assert_eq!(
            config.alpn_protocols,
            [b"h2".to_vec(), b"http/1.1".to_vec()]
        );
    }
}
