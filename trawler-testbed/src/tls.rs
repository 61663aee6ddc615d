//! The testbed's https identity (feature `tls`): a CA made at start and a server
//! certificate it signed for every host's address, so a crawler that trusts the CA (its
//! PEM is [`Testbed::ca_pem`](crate::Testbed::ca_pem)) checks the certificate as it would
//! on the web. HTTP/2 and HTTP/1.1 are offered by ALPN (actix-web adds both).

use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::io;
use std::sync::Arc;

/// A CA (PEM) and the server config of a certificate it signed for 127.0.0.1 to
/// 127.0.0.`hosts` and `localhost`.
pub(crate) fn identity(hosts: usize) -> io::Result<(String, rustls::ServerConfig)> {
    let err = |e: rcgen::Error| io::Error::other(format!("testbed: making the certificate: {e}"));
    let ca_key = KeyPair::generate().map_err(err)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).map_err(err)?;
    let mut names = vec!["localhost".to_string()];
    names.extend((1..=hosts).map(|h| format!("127.0.0.{h}")));
    let leaf_key = KeyPair::generate().map_err(err)?;
    let leaf = (CertificateParams::new(names).map_err(err)?)
        .signed_by(&leaf_key, &ca, &ca_key)
        .map_err(err)?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| {
            b.with_no_client_auth()
                .with_single_cert(vec![CertificateDer::from(leaf.der().to_vec())], key)
        })
        .map_err(|e| io::Error::other(format!("testbed: the TLS config: {e}")))?;
    Ok((ca.pem(), server))
}
