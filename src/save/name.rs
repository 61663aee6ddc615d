//! One URL component (host, path segment, last segment with its query) made a file name that
//! is safe and distinct on every common filesystem.
//!
//! The name is ASCII only: letters, digits and `-_.=&+,@` are kept, every other byte
//! (including `%`, `~`, `/`, `\`, `:`, NUL and all of UTF-8 beyond ASCII) becomes `%XX`. That
//! makes the mapping injective, and leaves `~` free to mark the suffixes added below. On top:
//!
//! - a leading or trailing `.` is escaped: no `.`, `..`, hidden files, or names Windows trims;
//! - Windows device names (`CON`, `nul.txt`, `COM1`, ...) get their first letter escaped;
//! - a name with capital letters gets `~` and 8 hex digits of a hash of it, so `About` and
//!   `about` stay two files where case is ignored (macOS, Windows);
//! - a name longer than [`MAX_NAME`] bytes is cut and gets `~` and 16 hex digits of a hash of
//!   the whole, keeping a short extension.

use xxhash_rust::xxh3::xxh3_64;

/// Longest name produced, in bytes (filesystems allow 255; room is left for a temporary name).
pub const MAX_NAME: usize = 200;

const DEVICES: [&str; 4] = ["con", "prn", "aux", "nul"];

fn keep(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'=' | b'&' | b'+' | b',' | b'@')
}

fn push_escaped(out: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(char::from(HEX[usize::from(b >> 4)]));
    out.push(char::from(HEX[usize::from(b & 15)]));
}

fn is_device(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or("").to_ascii_lowercase();
    DEVICES.contains(&stem.as_str())
        || ((stem.starts_with("com") || stem.starts_with("lpt"))
            && stem.len() == 4
            && stem.as_bytes()[3].is_ascii_digit())
}

/// The extension of an encoded name (`.html`), if short and plain.
fn extension(name: &str) -> &str {
    match name.rfind('.') {
        Some(dot) if dot > 0 && name.len() - dot <= 9 => {
            let ext = &name[dot..];
            if ext[1..].bytes().all(|b| b.is_ascii_alphanumeric()) && ext.len() > 1 {
                ext
            } else {
                ""
            }
        }
        _ => "",
    }
}

/// The file name for the raw bytes of one component; see the module docs.
pub(super) fn encode(raw: &[u8]) -> String {
    let mut name = String::with_capacity(raw.len() + 8);
    let last = raw.len().saturating_sub(1);
    for (i, &b) in raw.iter().enumerate() {
        let edge_dot = b == b'.' && (i == 0 || i == last);
        if keep(b) && !edge_dot {
            name.push(char::from(b));
        } else {
            push_escaped(&mut name, b);
        }
    }
    if is_device(&name) {
        let first = name.as_bytes()[0];
        name.replace_range(..1, "");
        let mut escaped = String::new();
        push_escaped(&mut escaped, first);
        name.insert_str(0, &escaped);
    }
    let capitals = raw.iter().any(u8::is_ascii_uppercase);
    // The case suffix takes 9 bytes; a name it would push past the limit is cut instead.
    if name.len() > MAX_NAME || (capitals && name.len() + 9 > MAX_NAME) {
        let ext = extension(&name).to_owned();
        let mut cut = MAX_NAME - 17 - ext.len();
        // Never cut an escape in two.
        while name.as_bytes()[cut.saturating_sub(2)..cut].contains(&b'%') {
            cut -= 1;
        }
        name.truncate(cut);
        name.push_str(&format!("~{:016x}{ext}", xxh3_64(raw)));
    } else if capitals {
        let ext = extension(&name).to_owned();
        name.truncate(name.len() - ext.len());
        name.push_str(&format!("~{:08x}{ext}", xxh3_64(raw) >> 32));
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_are_kept() {
        assert_eq!(encode(b"index.html"), "index.html");
        assert_eq!(encode(b"a-b_c=1&d+e,f@g"), "a-b_c=1&d+e,f@g");
        assert_eq!(encode(b"file.tar.gz"), "file.tar.gz");
    }

    #[test]
    fn dangerous_bytes_are_escaped() {
        assert_eq!(encode(b".."), "%2E%2E");
        assert_eq!(encode(b"."), "%2E");
        assert_eq!(encode(b".htaccess"), "%2Ehtaccess");
        assert_eq!(encode(b"name."), "name%2E");
        assert_eq!(encode(b"a/b\\c"), "a%2Fb%5Cc");
        assert_eq!(encode(b"nul\0byte"), "nul%00byte");
        assert_eq!(encode(b"50%~x y"), "50%25%7Ex%20y");
        assert_eq!(
            encode("é?:*|\"<>".as_bytes()),
            "%C3%A9%3F%3A%2A%7C%22%3C%3E"
        );
    }

    #[test]
    fn windows_devices_are_defused() {
        assert_eq!(encode(b"con"), "%63on");
        assert_eq!(encode(b"aux.txt"), "%61ux.txt");
        assert_eq!(encode(b"com1"), "%63om1");
        assert_eq!(encode(b"lpt9.log"), "%6Cpt9.log");
        assert_eq!(encode(b"console"), "console");
        assert_eq!(encode(b"com10"), "com10");
        let upper = encode(b"NUL");
        assert!(upper.starts_with("%4EUL~"), "{upper}");
    }

    #[test]
    fn capitals_get_a_suffix_that_tells_case_variants_apart() {
        let names: Vec<String> = ["About.html", "ABOUT.html", "about.html", "aBout.html"]
            .iter()
            .map(|n| encode(n.as_bytes()))
            .collect();
        assert_eq!(names[2], "about.html");
        assert!(
            names[0].starts_with("About~") && names[0].ends_with(".html"),
            "{}",
            names[0]
        );
        let mut folded: Vec<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
        folded.sort();
        folded.dedup();
        assert_eq!(folded.len(), 4, "{names:?}");
    }

    #[test]
    fn long_names_are_cut_with_a_hash() {
        let a = encode(format!("{}a.html", "x".repeat(400)).as_bytes());
        let b = encode(format!("{}b.html", "x".repeat(400)).as_bytes());
        assert!(a.len() <= MAX_NAME && b.len() <= MAX_NAME);
        assert_ne!(a, b);
        assert!(a.ends_with(".html"));
        // Escapes are never cut in two.
        let escaped = encode("é".repeat(200).as_bytes());
        assert!(escaped.len() <= MAX_NAME);
        let body = escaped.split('~').next().unwrap();
        assert!(
            body.len().is_multiple_of(3) && body.bytes().step_by(3).all(|b| b == b'%'),
            "{body}"
        );
    }
}
