//! Syslog envelopes: the header a daemon's message gets when it goes through syslog (or a
//! log file that imitates it), split off so parsers see only the daemon's own message.
//!
//! Layouts read (the `<PRI>` is optional everywhere):
//! - RFC 3164: `<30>Mar  9 23:59:59 host named[17742]: msg` (no year: the caller's
//!   default year is used; a single-digit day without padding is accepted too);
//! - the same with an RFC 3339 time (rsyslog's file format): `2024-01-02T03:04:05.1+01:00 host dnsmasq[1]: msg`;
//! - ctime style (OpenWrt `logread`): `Thu Oct  2 13:58:01 2026 daemon.info dnsmasq[1]: msg`;
//! - RFC 5424: `<13>1 2024-01-02T03:04:05.123Z host named 123 - - msg`.
//!
//! Up to three host-like tokens may precede the tag (some relays insert a second address).
//! A tag is `prog[pid]:`, `prog[pid]` or, after a host, `prog:`. Unbound's own
//! `[pid:thread]` after a bare `unbound:` tag is taken as the pid.

use crate::time::{Timestamp, parse_iso8601, parse_syslog_time};

/// A line split into its syslog header and the daemon's message.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Envelope<'a> {
    pub time: Option<Timestamp>,
    pub host: Option<&'a [u8]>,
    /// The tag's program name (`named`, `dnsmasq`, `pihole-FTL`, `unbound`).
    pub program: Option<&'a [u8]>,
    /// What the tag's brackets held: `17742`, or Unbound's `1234:0`.
    pub pid: Option<&'a [u8]>,
    /// The rest of the line: the whole line when there is no envelope.
    pub message: &'a [u8],
}

/// Splits the syslog envelope off `line`. Never fails: a line without a recognised header
/// comes back whole as the message, with every other field `None`.
pub fn strip(line: &[u8], default_year: i32) -> Envelope<'_> {
    let body = skip_pri(line);
    if let Some(env) = rfc5424(body) {
        return env;
    }
    let Some((time, used)) = leading_time(body, default_year) else {
        return Envelope {
            message: line,
            ..Envelope::default()
        };
    };
    let rest = trim_start(&body[used..]);
    let mut env = Envelope {
        time: Some(time),
        message: rest,
        ..Envelope::default()
    };
    let mut host = None;
    let mut at = rest;
    for i in 0..4 {
        if let Some((program, pid, msg)) = split_tag(at, i > 0) {
            env.host = host;
            env.program = Some(program);
            env.pid = pid;
            env.message = msg;
            unbound_thread(&mut env);
            return env;
        }
        let end = memchr::memchr(b' ', at).unwrap_or(at.len());
        let token = &at[..end];
        if token.is_empty() || token.ends_with(b":") || i == 3 {
            break;
        }
        host = host.or(Some(token));
        at = trim_start(&at[end..]);
    }
    env
}

/// A syslog tag split into (program, pid, message after the tag).
pub type Tag<'a> = (&'a [u8], Option<&'a [u8]>, &'a [u8]);

/// A tag at the start of `b`: `prog[pid]:`, `prog[pid]`, or (when `bare_ok`) `prog:`, then a
/// space or the end.
pub fn split_tag(b: &[u8], bare_ok: bool) -> Option<Tag<'_>> {
    let end = b
        .iter()
        .position(|&c| !(c.is_ascii_alphanumeric() || b"_-./@".contains(&c)))
        .unwrap_or(b.len());
    if end == 0 || end > 64 {
        return None;
    }
    let program = &b[..end];
    let (pid, mut after) = match b.get(end) {
        Some(b'[') => {
            let close = memchr::memchr(b']', &b[end..])? + end;
            let pid = &b[end + 1..close];
            if pid.is_empty() || !pid.iter().all(|c| c.is_ascii_hexdigit() || *c == b':') {
                return None;
            }
            let mut after = close + 1;
            if b.get(after) == Some(&b':') {
                after += 1;
            }
            (Some(pid), after)
        }
        Some(b':') if bare_ok => (None, end + 1),
        _ => return None,
    };
    match b.get(after) {
        None => {}
        Some(b' ') => after += 1,
        Some(_) => return None,
    }
    Some((program, pid, b.get(after..).unwrap_or_default()))
}

/// Unbound through syslog writes `unbound: [1234:0] info: ...`: the pid and thread follow the tag.
fn unbound_thread(env: &mut Envelope<'_>) {
    let m = env.message;
    if m.first() != Some(&b'[') {
        return;
    }
    let Some(close) = memchr::memchr(b']', m) else {
        return;
    };
    let inner = &m[1..close];
    let Some(colon) = memchr::memchr(b':', inner) else {
        return;
    };
    let digits = |s: &[u8], hex: bool| {
        !s.is_empty()
            && s.iter()
                .all(|c| c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()))
    };
    if digits(&inner[..colon], false)
        && digits(&inner[colon + 1..], true)
        && m.get(close + 1) == Some(&b' ')
    {
        env.pid = Some(inner);
        env.message = &m[close + 2..];
    }
}

fn skip_pri(b: &[u8]) -> &[u8] {
    if b.first() != Some(&b'<') {
        return b;
    }
    match b.iter().take(5).position(|&c| c == b'>') {
        Some(i) if i > 1 && b[1..i].iter().all(u8::is_ascii_digit) => &b[i + 1..],
        _ => b,
    }
}

fn trim_start(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|&&c| c == b' ').count();
    &b[n..]
}

/// The first space-separated token of `b` and what follows it (leading spaces skipped).
fn token(b: &[u8]) -> (&[u8], &[u8]) {
    let end = memchr::memchr(b' ', b).unwrap_or(b.len());
    (&b[..end], trim_start(&b[end..]))
}

fn nil(t: &[u8]) -> Option<&[u8]> {
    (t != b"-" && !t.is_empty()).then_some(t)
}

/// `1 TIMESTAMP HOST APP PROCID MSGID SD [MSG]` after the PRI.
fn rfc5424(b: &[u8]) -> Option<Envelope<'_>> {
    let (version, rest) = token(b);
    if version.is_empty() || version.len() > 2 || !version.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let (ts, rest) = token(rest);
    let time = if ts == b"-" {
        None
    } else {
        let (t, used) = parse_iso8601(ts)?;
        if used != ts.len() {
            return None;
        }
        Some(t)
    };
    let (host, rest) = token(rest);
    let (app, rest) = token(rest);
    let (procid, rest) = token(rest);
    let (msgid, rest) = token(rest);
    if msgid.is_empty() {
        return None;
    }
    let msg = skip_structured_data(rest)?;
    let msg = msg.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(msg);
    let mut env = Envelope {
        time,
        host: nil(host),
        program: nil(app),
        pid: nil(procid),
        message: msg,
    };
    unbound_thread(&mut env);
    Some(env)
}

/// Skips `-` or one or more `[id k="v" ...]` elements (values may escape `\]` and `\"`).
fn skip_structured_data(b: &[u8]) -> Option<&[u8]> {
    if b.first() == Some(&b'-') {
        return matches!(b.get(1), None | Some(b' ')).then(|| b.get(2..).unwrap_or_default());
    }
    let mut i = 0;
    while b.get(i) == Some(&b'[') {
        let mut quoted = false;
        i += 1;
        loop {
            match *b.get(i)? {
                b'\\' if quoted => i += 1,
                b'"' => quoted = !quoted,
                b']' if !quoted => break,
                _ => {}
            }
            i += 1;
        }
        i += 1;
    }
    if i == 0 {
        return None;
    }
    match b.get(i) {
        None => Some(&[]),
        Some(b' ') => Some(&b[i + 1..]),
        Some(_) => None,
    }
}

/// A header time at the start of `b`: RFC 3164, ctime with year, or RFC 3339.
fn leading_time(b: &[u8], year: i32) -> Option<(Timestamp, usize)> {
    match b.first() {
        Some(c) if c.is_ascii_digit() => {
            let (t, used) = parse_iso8601(b)?;
            // A bare date-time is a header only when a space follows it.
            (b.get(used) == Some(&b' ')).then_some((t, used))
        }
        Some(c) if c.is_ascii_alphabetic() => {
            if let Some(r) = rfc3164_time(b, year) {
                return Some(r);
            }
            // `Thu Oct  2 13:58:01 2026`
            if b.get(3) != Some(&b' ') || !b[..3].iter().all(u8::is_ascii_alphabetic) {
                return None;
            }
            let (_, used) = rfc3164_time(&b[4..], year)?;
            let y = b.get(4 + used + 1..4 + used + 5)?;
            if b.get(4 + used) != Some(&b' ') || !y.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let y = y.iter().fold(0i32, |a, &c| a * 10 + i32::from(c - b'0'));
            let (t, _) = rfc3164_time(&b[4..], y)?;
            Some((t, 4 + used + 5))
        }
        _ => None,
    }
}

/// `Mmm dd HH:MM:SS`, also with the day unpadded (`Oct 4 10:18:07`), as some relays write it.
fn rfc3164_time(b: &[u8], year: i32) -> Option<(Timestamp, usize)> {
    if let Some(r) = parse_syslog_time(b, year) {
        return Some(r);
    }
    let unpadded = b.get(3) == Some(&b' ')
        && b.get(4).is_some_and(u8::is_ascii_digit)
        && b.get(5) == Some(&b' ');
    if !unpadded {
        return None;
    }
    // Re-pad into a stack buffer: `Oct  4 10:18:07[.ffffff]`.
    let mut buf = [b' '; 32];
    let tail = &b[4..b.len().min(31)];
    buf[..4].copy_from_slice(&b[..4]);
    buf[5..5 + tail.len()].copy_from_slice(tail);
    let (t, used) = parse_syslog_time(&buf[..5 + tail.len()], year)?;
    Some((t, used - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(b: Option<&[u8]>) -> Option<&str> {
        b.map(|b| std::str::from_utf8(b).unwrap())
    }

    fn parts(
        line: &str,
    ) -> (
        Option<String>,
        Option<&str>,
        Option<&str>,
        Option<&str>,
        &str,
    ) {
        let e = strip(line.as_bytes(), 2024);
        (
            e.time.map(|t| t.to_string()),
            s(e.host),
            s(e.program),
            s(e.pid),
            std::str::from_utf8(e.message).unwrap(),
        )
    }

    #[test]
    fn rfc3164_variants() {
        assert_eq!(
            parts("<30>Mar  9 23:59:59 infoblox.localdomain named[17742]: client x"),
            (
                Some("2024-03-09T23:59:59Z".into()),
                Some("infoblox.localdomain"),
                Some("named"),
                Some("17742"),
                "client x"
            )
        );
        assert_eq!(
            parts("Feb 25 11:09:43 host named[123]: queries: info: q"),
            (
                Some("2024-02-25T11:09:43Z".into()),
                Some("host"),
                Some("named"),
                Some("123"),
                "queries: info: q"
            )
        );
        // Unpadded day and two host tokens.
        assert_eq!(
            parts("<30>Oct 4 10:18:07 a1.foo.com 89.160.20.112 named[10750]: m"),
            (
                Some("2024-10-04T10:18:07Z".into()),
                Some("a1.foo.com"),
                Some("named"),
                Some("10750"),
                "m"
            )
        );
        // No host (dnsmasq's own log file).
        assert_eq!(
            parts("Jan 20 00:00:00 dnsmasq[812]: query[A] chatgpt.com from 10.0.0.2"),
            (
                Some("2024-01-20T00:00:00Z".into()),
                None,
                Some("dnsmasq"),
                Some("812"),
                "query[A] chatgpt.com from 10.0.0.2"
            )
        );
    }

    #[test]
    fn unbound_tags() {
        assert_eq!(
            parts("Mar  9 23:59:59 ns1 unbound: [1234:0] info: 10.0.0.1 a. A IN"),
            (
                Some("2024-03-09T23:59:59Z".into()),
                Some("ns1"),
                Some("unbound"),
                Some("1234:0"),
                "info: 10.0.0.1 a. A IN"
            )
        );
        // log-time-ascii: the tag has no colon.
        assert_eq!(
            parts("Nov 14 22:13:20 unbound[99:a] info: start of service"),
            (
                Some("2024-11-14T22:13:20Z".into()),
                None,
                Some("unbound"),
                Some("99:a"),
                "info: start of service"
            )
        );
        assert_eq!(
            parts("2023-11-14T22:13:20.123+01:00 unbound[99:0] reply: x"),
            (
                Some("2023-11-14T21:13:20.123Z".into()),
                None,
                Some("unbound"),
                Some("99:0"),
                "reply: x"
            )
        );
    }

    #[test]
    fn rfc5424_and_ctime() {
        assert_eq!(
            parts("<13>1 2024-01-02T03:04:05.123Z host named 123 - - client q"),
            (
                Some("2024-01-02T03:04:05.123Z".into()),
                Some("host"),
                Some("named"),
                Some("123"),
                "client q"
            )
        );
        assert_eq!(
            parts(r#"<14>1 - h unbound - - [x@1 a="q\]" b="2"][y@2] [1:0] info: m"#),
            (None, Some("h"), Some("unbound"), Some("1:0"), "info: m")
        );
        assert_eq!(
            parts("Thu Oct  2 13:58:01 2026 daemon.info dnsmasq[1234]: reply a is 1.2.3.4"),
            (
                Some("2026-10-02T13:58:01Z".into()),
                Some("daemon.info"),
                Some("dnsmasq"),
                Some("1234"),
                "reply a is 1.2.3.4"
            )
        );
    }

    #[test]
    fn not_envelopes() {
        // BIND's own print-time and print-category: a time, but `queries:` is no tag.
        assert_eq!(
            parts("Feb 25 11:09:43.651 queries: info: client q"),
            (
                Some("2024-02-25T11:09:43.651Z".into()),
                None,
                None,
                None,
                "queries: info: client q"
            )
        );
        assert_eq!(
            parts("02-May-2023 13:33:40.299 queries: info: client q"),
            (
                None,
                None,
                None,
                None,
                "02-May-2023 13:33:40.299 queries: info: client q"
            )
        );
        assert_eq!(parts("<bad>Mar"), (None, None, None, None, "<bad>Mar"));
        assert_eq!(parts(""), (None, None, None, None, ""));
        assert_eq!(parts("<13>1 "), (None, None, None, None, "<13>1 "));
        assert_eq!(parts("Mar 9 "), (None, None, None, None, "Mar 9 "));
        assert_eq!(split_tag(b"named[12", false), None);
        assert_eq!(split_tag(b"x[]: m", false), None);
        assert_eq!(split_tag(b"kernel: m", false), None);
        assert_eq!(
            split_tag(b"kernel: m", true),
            Some((&b"kernel"[..], None, &b"m"[..]))
        );
    }
}
