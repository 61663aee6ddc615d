//! HTTP header fields as trawler keeps them: the crate's own type, whatever the transport.
//!
//! Pages, request and response hooks and transports all speak [`Headers`], so no HTTP
//! client's types reach the plugin API and a transport (awc, a browser, an archive) only
//! converts at its edge. Names are kept in lower case (HTTP field names are
//! case-insensitive); values are bytes, usually text. Order and repeats are kept, as they
//! came. A small `Vec`: responses carry a dozen fields, and a linear scan beats hashing.

use std::fmt;

/// An HTTP field name or value that cannot be sent.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("invalid header {0:?}")]
pub struct InvalidHeader(pub String);

/// An ordered list of HTTP header fields.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Headers {
    fields: Vec<(Box<str>, Box<[u8]>)>,
}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(
                self.fields
                    .iter()
                    .map(|(k, v)| (k, String::from_utf8_lossy(v))),
            )
            .finish()
    }
}

impl Headers {
    /// No fields.
    pub fn new() -> Self {
        Headers::default()
    }

    /// The first value of `name` as text (`None` if absent or not visible ASCII/UTF-8).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.get_bytes(name)
            .and_then(|v| std::str::from_utf8(v).ok())
    }

    /// The first value of `name` as bytes.
    pub fn get_bytes(&self, name: &str) -> Option<&[u8]> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| &**v)
    }

    /// Every value of `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.fields
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| &**v)
    }

    /// Whether `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.get_bytes(name).is_some()
    }

    /// Every field, in order (names in lower case).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.fields.iter().map(|(k, v)| (&**k, &**v))
    }

    /// How many fields there are.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Sets `name` to `value`, replacing every earlier value of it; both are checked as
    /// HTTP requires (a token for the name; no control character but tab in the value).
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), InvalidHeader> {
        check_name(name)?;
        check_value(value.as_bytes()).map_err(|_| InvalidHeader(value.to_string()))?;
        self.fields.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.fields
            .push((name.to_ascii_lowercase().into(), value.as_bytes().into()));
        Ok(())
    }

    /// Adds a field as received (a transport's answer); the name is lower-cased, nothing
    /// else is checked.
    pub fn append_raw(&mut self, name: &str, value: &[u8]) {
        self.fields
            .push((name.to_ascii_lowercase().into(), value.into()));
    }
}

fn check_name(name: &str) -> Result<(), InvalidHeader> {
    // RFC 9110 token characters.
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || !name.bytes().all(token) {
        return Err(InvalidHeader(name.to_string()));
    }
    Ok(())
}

fn check_value(value: &[u8]) -> Result<(), ()> {
    if value
        .iter()
        .all(|&b| b == b'\t' || (b >= 0x20 && b != 0x7f))
    {
        Ok(())
    } else {
        Err(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_case_insensitive_and_order_is_kept() {
        let mut h = Headers::new();
        h.append_raw("Content-Type", b"text/html");
        h.append_raw("Set-Cookie", b"a=1");
        h.append_raw("set-cookie", b"b=2");
        assert_eq!(h.get("content-type"), Some("text/html"));
        assert_eq!(h.get("CONTENT-TYPE"), Some("text/html"));
        assert_eq!(
            h.get_all("Set-Cookie").collect::<Vec<_>>(),
            [&b"a=1"[..], b"b=2"]
        );
        let names: Vec<&str> = h.iter().map(|(k, _)| k).collect();
        assert_eq!(names, ["content-type", "set-cookie", "set-cookie"]);
    }

    #[test]
    fn set_replaces_and_refuses_what_cannot_be_sent() {
        let mut h = Headers::new();
        h.set("X-A", "1").unwrap();
        h.set("x-a", "2").unwrap();
        assert_eq!((h.len(), h.get("x-a")), (1, Some("2")));
        assert!(h.set("bad name", "v").is_err());
        assert!(h.set("", "v").is_err());
        assert_eq!(h.set("x-b", "a\r\nb"), Err(InvalidHeader("a\r\nb".into())));
        assert!(h.set("x-c", "tab\tok").is_ok());
    }
}
