//! The two clock formats of an archive: `WARC-Date` (ISO 8601 in UTC, microseconds, as WARC/1.1
//! allows) and the 14-digit `YYYYMMDDhhmmss` timestamp of CDXJ index lines.
//!
//! A few lines of calendar arithmetic (days to civil date) rather than a date crate: nothing
//! else in the archive needs time zones or parsing.

use std::time::{SystemTime, UNIX_EPOCH};

/// A UTC instant split into calendar fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u64,
    minute: u64,
    second: u64,
    micros: u32,
}

fn civil(at: SystemTime) -> Civil {
    // Instants before 1970 cannot come from a crawl; they are clamped to the epoch.
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX / 2);
    let rem = secs % 86_400;
    // Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    Civil {
        year,
        month: u32::try_from(month).unwrap_or(1),
        day: u32::try_from(day).unwrap_or(1),
        hour: rem / 3600,
        minute: rem / 60 % 60,
        second: rem % 60,
        micros: since.subsec_micros(),
    }
}

/// `2026-12-01T15:32:47.123456Z`
pub(crate) fn warc_date(at: SystemTime) -> String {
    let c = civil(at);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second, c.micros
    )
}

/// `20261201153247`
pub fn timestamp14(at: SystemTime) -> String {
    let c = civil(at);
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: u64, micros: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_micros(micros)
    }

    #[test]
    fn known_instants() {
        assert_eq!(warc_date(at(0, 0)), "1970-01-01T00:00:00.000000Z");
        // 2000-02-29 (leap day of a century leap year) 12:34:56 UTC.
        assert_eq!(warc_date(at(951_827_696, 7)), "2000-02-29T12:34:56.000007Z");
        // 2024-12-31 23:59:59 UTC, then one second later.
        assert_eq!(timestamp14(at(1_735_689_599, 0)), "20241231235959");
        assert_eq!(timestamp14(at(1_735_689_600, 0)), "20250101000000");
        // 2100-03-01 is not preceded by a leap day.
        assert_eq!(timestamp14(at(4_107_542_400, 0)), "21000301000000");
    }

    #[test]
    fn before_the_epoch_is_clamped() {
        let before = UNIX_EPOCH - Duration::from_secs(5);
        assert_eq!(timestamp14(before), "19700101000000");
    }
}
