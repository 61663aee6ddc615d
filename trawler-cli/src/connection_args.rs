//! The flags about connections: HTTP/2, extra trusted CAs, cookies; and how they map
//! onto the builder.

use clap::Args;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use trawler::CrawlConfigBuilder;

/// `trawler crawl`'s connection flags.
#[derive(Debug, Args)]
pub(crate) struct ConnectionArgs {
    /// Offer HTTP/2 to https servers (ALPN); those that take it get their requests
    /// multiplexed on one connection per worker.
    #[arg(long)]
    pub(crate) http2: bool,
    /// Trust the CA certificates in FILE (PEM, or one DER certificate) for https, besides
    /// the built-in Mozilla roots. May be repeated.
    #[arg(long = "ca-cert", value_name = "FILE", value_parser = ca_certs)]
    pub(crate) ca_certs: Vec<CaCerts>,
    /// Keep no cookie: by default the cookies answers set are kept and sent back (RFC
    /// 6265), as a browser does.
    #[arg(long)]
    pub(crate) no_cookies: bool,
}

/// The certificates of one `--ca-cert` file, DER-encoded.
#[derive(Debug, Clone)]
pub(crate) struct CaCerts(Vec<Vec<u8>>);

impl ConnectionArgs {
    /// The builder with these flags applied.
    pub(crate) fn apply(&self, mut b: CrawlConfigBuilder) -> CrawlConfigBuilder {
        for der in self.ca_certs.iter().flat_map(|c| &c.0) {
            b = b.add_root_certificate(der.clone());
        }
        b.http2(self.http2).cookies(!self.no_cookies)
    }
}

/// Reads a `--ca-cert` file: PEM (every certificate in it) or one DER certificate.
fn ca_certs(path: &str) -> Result<CaCerts, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    if !bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        return Ok(CaCerts(vec![bytes]));
    }
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .map(|c| c.map(|c| c.to_vec()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{path} is not valid PEM: {e}"))?;
    match certs.is_empty() {
        true => Err(format!("{path} holds no CERTIFICATE")),
        false => Ok(CaCerts(certs)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_and_der_files_are_read_and_bad_ones_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, bytes: &[u8]| {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            p.to_str().unwrap().to_string()
        };
        let pem = "-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n";
        let two = file("two.pem", format!("{pem}{pem}").as_bytes());
        assert_eq!(
            ca_certs(&two).unwrap().0,
            vec![vec![1, 2, 3], vec![1, 2, 3]]
        );
        assert_eq!(
            ca_certs(&file("one.der", &[9, 9])).unwrap().0,
            vec![vec![9, 9]]
        );
        let key = file(
            "key.pem",
            b"-----BEGIN PRIVATE KEY-----\nAQID\n-----END PRIVATE KEY-----\n",
        );
        assert!(ca_certs(&key).unwrap_err().contains("no CERTIFICATE"));
        assert!(
            ca_certs("/nonexistent/ca.pem")
                .unwrap_err()
                .contains("cannot read")
        );
    }
}
