//! Timestamps: microseconds since the Unix epoch, UTC, plus the parsers for the layouts logs
//! print. Written by hand (no calendar crate) because the hot path needs only a few
//! fixed layouts and must not allocate.

use std::fmt;

/// Microseconds since 1970-01-01T00:00:00Z.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn from_secs(s: i64) -> Self {
        Timestamp(s * 1_000_000)
    }

    /// From civil UTC fields; `None` when a field is out of range.
    pub fn from_civil(
        y: i32,
        mo: u32,
        d: u32,
        h: u32,
        mi: u32,
        s: u32,
        micros: u32,
    ) -> Option<Self> {
        if !(1..=12).contains(&mo)
            || d == 0
            || d > days_in_month(y, mo)
            || h > 23
            || mi > 59
            || s > 60
            || micros > 999_999
        {
            return None;
        }
        let days = days_from_civil(y, mo, d);
        let secs = days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s);
        Some(Timestamp(secs * 1_000_000 + i64::from(micros)))
    }

    /// Civil UTC fields: (year, month, day, hour, minute, second, microsecond).
    pub fn to_civil(self) -> (i32, u32, u32, u32, u32, u32, u32) {
        let secs = self.0.div_euclid(1_000_000);
        let micros = self.0.rem_euclid(1_000_000) as u32;
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400) as u32;
        let (y, m, d) = civil_from_days(days);
        (y, m, d, sod / 3600, sod / 60 % 60, sod % 60, micros)
    }

    pub fn year(self) -> i32 {
        self.to_civil().0
    }
}

/// RFC 3339 in UTC with microseconds only when they are not zero, e.g. `2024-01-02T03:04:05.123Z`.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s, us) = self.to_civil();
        write!(f, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}")?;
        if us != 0 {
            if us % 1000 == 0 {
                write!(f, ".{:03}", us / 1000)?;
            } else {
                write!(f, ".{us:06}")?;
            }
        }
        f.write_str("Z")
    }
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

// Howard Hinnant's days-from-civil algorithm (public domain description).
fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y as i32, m, d)
}

/// Parses an unsigned decimal of at most 18 digits; `None` on anything else.
pub fn parse_u64(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 18 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u64::from(c - b'0');
    }
    Some(v)
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let s = b.get(at..at + n)?;
    let mut v = 0u32;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

/// Fraction digits after a `.`: returns (microseconds, digits consumed).
fn fraction(b: &[u8]) -> (u32, usize) {
    let mut us = 0u32;
    let mut n = 0;
    while n < b.len() && b[n].is_ascii_digit() {
        if n < 6 {
            us = us * 10 + u32::from(b[n] - b'0');
        }
        n += 1;
    }
    for _ in n.min(6)..6 {
        us *= 10;
    }
    (us, n)
}

/// Epoch seconds with an optional fraction: `1157689312.049`, `1591367999.305988`, `1700000000`.
pub fn parse_epoch(b: &[u8]) -> Option<Timestamp> {
    let (int, frac) = match memchr::memchr(b'.', b) {
        Some(i) => (&b[..i], &b[i + 1..]),
        None => (b, &b""[..]),
    };
    let secs = parse_u64(int)?;
    let (us, n) = fraction(frac);
    // Up to 9999-12-31T23:59:59Z: a larger value is a corrupt field, not a date.
    if n != frac.len() || secs > 253_402_300_799 {
        return None;
    }
    Some(Timestamp(secs as i64 * 1_000_000 + i64::from(us)))
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// `Jan` → 1 (case-insensitive).
pub fn month_from_abbrev(b: &[u8]) -> Option<u32> {
    let b = b.get(..3)?;
    MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(b))
        .map(|i| i as u32 + 1)
}

/// `HH:MM:SS[.frac]` at the start of `b`: (h, m, s, micros, bytes consumed).
fn clock(b: &[u8]) -> Option<(u32, u32, u32, u32, usize)> {
    let h = digits(b, 0, 2)?;
    let m = digits(b, 3, 2)?;
    let s = digits(b, 6, 2)?;
    if b[2] != b':' || b[5] != b':' {
        return None;
    }
    if b.get(8) == Some(&b'.') || b.get(8) == Some(&b',') {
        let (us, n) = fraction(&b[9..]);
        if n == 0 {
            return None;
        }
        return Some((h, m, s, us, 9 + n));
    }
    Some((h, m, s, 0, 8))
}

/// BIND's default `dd-Mon-yyyy HH:MM:SS.mmm` (e.g. `02-May-2023 13:33:40.299`), read as UTC.
/// Returns the timestamp and the bytes consumed.
pub fn parse_bind_time(b: &[u8]) -> Option<(Timestamp, usize)> {
    let d = digits(b, 0, 2)?;
    if b.get(2) != Some(&b'-') || b.get(6) != Some(&b'-') || b.get(11) != Some(&b' ') {
        return None;
    }
    let mo = month_from_abbrev(b.get(3..6)?)?;
    let y = digits(b, 7, 4)? as i32;
    let (h, mi, s, us, n) = clock(b.get(12..)?)?;
    Some((Timestamp::from_civil(y, mo, d, h, mi, s, us)?, 12 + n))
}

/// RFC 3164 syslog `Mmm dd HH:MM:SS[.frac]` (day space-padded), which carries no year:
/// `year` supplies it. Returns the timestamp and the bytes consumed.
pub fn parse_syslog_time(b: &[u8], year: i32) -> Option<(Timestamp, usize)> {
    let mo = month_from_abbrev(b.get(..3)?)?;
    if b.get(3) != Some(&b' ') {
        return None;
    }
    let (d, at) = match (b.get(4), b.get(5)) {
        (Some(b' '), Some(c)) if c.is_ascii_digit() => (u32::from(c - b'0'), 6),
        (Some(c1), Some(c2)) if c1.is_ascii_digit() && c2.is_ascii_digit() => {
            (u32::from(c1 - b'0') * 10 + u32::from(c2 - b'0'), 6)
        }
        _ => return None,
    };
    if b.get(at) != Some(&b' ') {
        return None;
    }
    let (h, mi, s, us, n) = clock(b.get(at + 1..)?)?;
    Some((
        Timestamp::from_civil(year, mo, d, h, mi, s, us)?,
        at + 1 + n,
    ))
}

/// ISO 8601 / RFC 3339: `2024-01-02T03:04:05[.frac][Z|±HH:MM|±HHMM]` (a space may replace
/// `T`; no zone reads as UTC). Returns the timestamp and the bytes consumed.
pub fn parse_iso8601(b: &[u8]) -> Option<(Timestamp, usize)> {
    let y = digits(b, 0, 4)? as i32;
    let mo = digits(b, 5, 2)?;
    let d = digits(b, 8, 2)?;
    if b[4] != b'-' || b[7] != b'-' || !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let (h, mi, s, us, n) = clock(b.get(11..)?)?;
    let mut at = 11 + n;
    let mut ts = Timestamp::from_civil(y, mo, d, h, mi, s, us)?;
    match b.get(at) {
        Some(b'Z' | b'z') => at += 1,
        Some(&sign @ (b'+' | b'-')) => {
            let (off, used) = zone_offset(&b[at + 1..])?;
            let off = if sign == b'+' { off } else { -off };
            ts = Timestamp(ts.0 - off * 1_000_000);
            at += 1 + used;
        }
        _ => {}
    }
    Some((ts, at))
}

/// `HH:MM`, `HHMM` or `HH` → seconds and bytes consumed.
fn zone_offset(b: &[u8]) -> Option<(i64, usize)> {
    let h = digits(b, 0, 2)?;
    let (m, used) = if b.get(2) == Some(&b':') {
        (digits(b, 3, 2)?, 5)
    } else if let Some(m) = digits(b, 2, 2) {
        (m, 4)
    } else {
        (0, 2)
    };
    if h > 23 || m > 59 {
        return None;
    }
    Some((i64::from(h * 3600 + m * 60), used))
}

/// Common Log Format `10/Oct/2000:13:55:36 -0700` (without the brackets).
pub fn parse_clf_time(b: &[u8]) -> Option<(Timestamp, usize)> {
    let d = digits(b, 0, 2)?;
    if b.get(2) != Some(&b'/') || b.get(6) != Some(&b'/') || b.get(11) != Some(&b':') {
        return None;
    }
    let mo = month_from_abbrev(b.get(3..6)?)?;
    let y = digits(b, 7, 4)? as i32;
    let (h, mi, s, us, n) = clock(b.get(12..)?)?;
    let mut at = 12 + n;
    let mut ts = Timestamp::from_civil(y, mo, d, h, mi, s, us)?;
    if b.get(at) == Some(&b' ') && matches!(b.get(at + 1), Some(b'+' | b'-')) {
        let sign = b[at + 1];
        let (off, used) = zone_offset(&b[at + 2..])?;
        let off = if sign == b'+' { off } else { -off };
        ts = Timestamp(ts.0 - off * 1_000_000);
        at += 2 + used;
    }
    Some((ts, at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip_and_display() {
        let t = Timestamp::from_civil(2024, 2, 29, 23, 59, 58, 123_000).unwrap();
        assert_eq!(t.to_string(), "2024-02-29T23:59:58.123Z");
        assert_eq!(Timestamp(0).to_string(), "1970-01-01T00:00:00Z");
        assert!(Timestamp::from_civil(2023, 2, 29, 0, 0, 0, 0).is_none());
    }

    #[test]
    fn epoch_variants() {
        assert_eq!(
            parse_epoch(b"1157689312.049").unwrap().to_string(),
            "2006-09-08T04:21:52.049Z"
        );
        assert_eq!(
            parse_epoch(b"1591367999.305988").unwrap().0,
            1_591_367_999_305_988
        );
        assert_eq!(
            parse_epoch(b"1700000000").unwrap(),
            Timestamp::from_secs(1_700_000_000)
        );
        assert!(parse_epoch(b"17x").is_none());
        assert!(parse_epoch(b"").is_none());
    }

    #[test]
    fn bind_syslog_iso_clf() {
        let (t, n) = parse_bind_time(b"02-May-2023 13:33:40.299 queries").unwrap();
        assert_eq!(
            (t.to_string().as_str(), n),
            ("2023-05-02T13:33:40.299Z", 24)
        );
        let (t, n) = parse_syslog_time(b"Feb  5 11:09:43 host", 2024).unwrap();
        assert_eq!((t.to_string().as_str(), n), ("2024-02-05T11:09:43Z", 15));
        let (t, _) = parse_iso8601(b"2023-09-18T06:13:33.903924+0000").unwrap();
        assert_eq!(t.to_string(), "2023-09-18T06:13:33.903924Z");
        let (t, _) = parse_iso8601(b"2023-09-18T08:13:33+02:00").unwrap();
        assert_eq!(t.to_string(), "2023-09-18T06:13:33Z");
        let (t, n) = parse_clf_time(b"10/Oct/2000:13:55:36 -0700]").unwrap();
        assert_eq!((t.to_string().as_str(), n), ("2000-10-10T20:55:36Z", 26));
    }
}
