//! Unbound `log-queries` and `log-replies` lines.
//!
//! ```text
//! [1700000000] unbound[1234:0] info: 192.168.1.10 api.openai.com. A IN
//! [1700000000] unbound[1234:0] info: 192.168.1.10 api.openai.com. A IN NOERROR 0.031337 0 94
//! ```
//! The time is `[epoch]`, `Mon DD HH:MM:SS` (log-time-ascii) or ISO 8601 (log-time-iso); via
//! syslog the line is `... unbound: [pid:thread] info: ...`. With `log-tag-queryreply` the
//! level word is `query` / `reply` instead of `info`. A reply line adds rcode, time to
//! resolve, cached flag and response size (and with `log-destaddr` the local address).

use super::bind::{is_class, is_ip_text};
use crate::observation::{ObsKind, Observation};
use crate::parse::syslog;
use crate::parse::{Format, FormatCtx, LineKind, LineParser, ParseError, Sink, line_vote};
use crate::time::{Timestamp, parse_epoch, parse_u64};

pub static FORMAT: Format = Format {
    id: "dns.unbound",
    description: "Unbound log-queries / log-replies (log file or syslog)",
    probe,
    new_parser,
    splittable: true,
};

const NOT_UNBOUND: ParseError = ParseError("unbound: not an unbound log line");

fn probe(head: &[u8]) -> u8 {
    line_vote(
        head,
        |_| false,
        |line| matches!(split(line, 1970), Ok(Some(u)) if level(u.msg).is_some()),
    )
}

fn new_parser(ctx: &FormatCtx) -> Box<dyn LineParser> {
    Box::new(UnboundParser {
        year: ctx.default_year,
    })
}

struct UnboundParser {
    year: i32,
}

/// An Unbound line with its envelope removed.
struct Unbound<'a> {
    time: Option<Timestamp>,
    /// `info: ...`, `query: ...`.
    msg: &'a [u8],
}

/// `Ok(None)` for another program's line in a shared syslog stream.
fn split(line: &[u8], year: i32) -> Result<Option<Unbound<'_>>, ParseError> {
    let (time, program, pid, msg) = if let Some(rest) = line.strip_prefix(b"[") {
        let close =
            memchr::memchr(b']', rest).ok_or(ParseError("unbound: expected [epoch] time"))?;
        let time =
            parse_epoch(&rest[..close]).ok_or(ParseError("unbound: expected [epoch] time"))?;
        let rest = rest.get(close + 2..).unwrap_or_default();
        let (program, pid, msg) = syslog::split_tag(rest, false).ok_or(ParseError(
            "unbound: expected ident[pid:thread] after the time",
        ))?;
        (Some(time), program, pid, msg)
    } else {
        let env = syslog::strip(line, year);
        let program = env.program.ok_or(NOT_UNBOUND)?;
        (env.time, program, env.pid, env.message)
    };
    // `log-identity` may rename the program; the `pid:thread` pair still marks Unbound.
    let threaded = pid.is_some_and(|p| memchr::memchr(b':', p).is_some());
    if program != b"unbound" && !threaded {
        return Ok(None);
    }
    Ok(Some(Unbound { time, msg }))
}

/// The level word and what follows it: (`info`, `192.168.1.10 a. A IN`).
fn level(msg: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = memchr::memmem::find(msg, b": ")?;
    let word = &msg[..colon];
    let known = matches!(
        word,
        b"info" | b"query" | b"reply" | b"notice" | b"debug" | b"warning" | b"error"
    ) || word == b"fatal error"
        || word == b"assertion failure";
    known.then(|| (word, &msg[colon + 2..]))
}

impl LineParser for UnboundParser {
    fn parse_line(&mut self, line: &[u8], sink: &mut Sink<'_>) -> Result<LineKind, ParseError> {
        let Some(u) = split(line, self.year)? else {
            return Ok(LineKind::Meta);
        };
        let Some((word, body)) = level(u.msg) else {
            // Very old releases print no level word; nothing to read from those.
            return Ok(LineKind::Record);
        };
        let tagged = word == b"query" || word == b"reply";
        if !tagged && word != b"info" {
            return Ok(LineKind::Record);
        }
        let mut f = [&b""[..]; 9];
        let mut n = 0;
        for field in body.split(|&c| c == b' ').filter(|f| !f.is_empty()) {
            if n == f.len() {
                break;
            }
            f[n] = field;
            n += 1;
        }
        let [ip, name, _qtype, class, rcode, secs, cached, size, _] = f;
        // FORMERR replies carry no question: `ip - - - FORMERR - - -`.
        if tagged && n >= 2 && name == b"-" {
            return Ok(LineKind::Record);
        }
        let question = n >= 4 && is_ip_text(ip) && !name.is_empty() && is_class(class);
        if question && n == 4 && word != b"reply" {
            sink(&Observation {
                kind: ObsKind::DnsQuery,
                time: u.time,
                host: Some(name),
                client: Some(ip),
                ..Observation::default()
            });
        } else if question
            && n >= 8
            && word != b"query"
            && rcode.iter().all(|c| c.is_ascii_alphanumeric())
            && memchr::memchr(b'.', secs).is_some()
            && matches!(cached, b"0" | b"1")
        {
            let bytes = parse_u64(size).ok_or(ParseError("unbound: expected reply size"))?;
            sink(&Observation {
                kind: ObsKind::DnsResponse,
                time: u.time,
                host: Some(name),
                client: Some(ip),
                bytes_in: Some(bytes),
                ..Observation::default()
            });
        } else if word == b"query" {
            return Err(ParseError(
                "unbound: expected 'ip name type class' after query:",
            ));
        } else if word == b"reply" {
            return Err(ParseError(
                "unbound: expected 'ip name type class rcode time cached size' after reply:",
            ));
        }
        // Other info lines (start of service, resolving, statistics) carry no question.
        Ok(LineKind::Record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observation::{Action, OwnedObservation};
    use crate::parse::parse_text;
    use crate::parse::test_support::{parse_err, parse_ok};
    use crate::time::parse_iso8601;

    const CTX: FormatCtx = FormatCtx { default_year: 2024 };

    fn obs(
        kind: ObsKind,
        time: &str,
        host: &str,
        client: &str,
        bytes_in: Option<u64>,
    ) -> OwnedObservation {
        OwnedObservation {
            kind,
            time: (!time.is_empty()).then(|| parse_iso8601(time.as_bytes()).unwrap().0),
            host: Some(host.into()),
            client: Some(client.into()),
            bytes_in,
            action: Action::Unknown,
            ..OwnedObservation::default()
        }
    }

    fn one(text: &str) -> Vec<OwnedObservation> {
        parse_ok(&FORMAT, &CTX, text)
    }

    fn err(line: &[u8]) -> ParseError {
        parse_err(&FORMAT, &CTX, line)
    }

    use ObsKind::{DnsQuery as Q, DnsResponse as R};

    #[test]
    fn envelopes() {
        let t = "2023-11-14T22:13:20Z";
        assert_eq!(
            one("[1700000000] unbound[1234:0] info: 192.168.1.10 api.anthropic.com. A IN"),
            vec![obs(Q, t, "api.anthropic.com.", "192.168.1.10", None)]
        );
        assert_eq!(
            one("Nov 14 22:13:20 unbound[1234:3] info: 192.168.1.10 chatgpt.com. AAAA IN"),
            vec![obs(
                Q,
                "2024-11-14T22:13:20Z",
                "chatgpt.com.",
                "192.168.1.10",
                None
            )]
        );
        assert_eq!(
            one(
                "2023-11-14T23:13:20.250+01:00 unbound[1234:1f] query: 2001:db8::5 chat.deepseek.com. HTTPS IN"
            ),
            vec![obs(
                Q,
                "2023-11-14T22:13:20.25Z",
                "chat.deepseek.com.",
                "2001:db8::5",
                None
            )]
        );
        assert_eq!(
            one(
                "<30>Nov 14 22:13:20 resolver1 unbound: [1234:0] info: 10.0.0.8 example.org. MX IN"
            ),
            vec![obs(
                Q,
                "2024-11-14T22:13:20Z",
                "example.org.",
                "10.0.0.8",
                None
            )]
        );
        // journald keeps the pid in the tag and Unbound repeats it with the thread.
        assert_eq!(
            one(
                "Nov 14 22:13:20 resolver1 unbound[1234]: [1234:0] query: 10.0.0.8 example.org. A IN"
            ),
            vec![obs(
                Q,
                "2024-11-14T22:13:20Z",
                "example.org.",
                "10.0.0.8",
                None
            )]
        );
        // log-identity renamed the program.
        assert_eq!(
            one("[1700000000] resolver[77:0] info: 10.0.0.8 example.org. A IN"),
            vec![obs(Q, t, "example.org.", "10.0.0.8", None)]
        );
    }

    #[test]
    fn replies() {
        let t = "2023-11-14T22:13:20Z";
        assert_eq!(
            one(
                "[1700000000] unbound[1234:0] info: 192.168.1.10 api.anthropic.com. A IN NOERROR 0.031337 0 94"
            ),
            vec![obs(R, t, "api.anthropic.com.", "192.168.1.10", Some(94))]
        );
        assert_eq!(
            one(
                "[1700000000] unbound[1234:0] reply: 192.168.1.10 copilot-proxy.githubusercontent.com. A IN NOERROR 0.000000 1 120 on udp 192.168.1.1 53"
            ),
            vec![obs(
                R,
                t,
                "copilot-proxy.githubusercontent.com.",
                "192.168.1.10",
                Some(120)
            )]
        );
        assert_eq!(
            one(
                "[1700000000] unbound[1234:0] reply: 192.168.1.10 nx.example. A IN NXDOMAIN 0.120000 0 101"
            ),
            vec![obs(R, t, "nx.example.", "192.168.1.10", Some(101))]
        );
        assert_eq!(
            one("[1700000000] unbound[1234:0] reply: 192.168.1.10 - - - FORMERR - - - "),
            vec![]
        );
    }

    #[test]
    fn records_without_observations() {
        for line in [
            "[1700000000] unbound[1234:0] notice: init module 0: validator",
            "[1700000000] unbound[1234:0] info: start of service (unbound 1.17.1).",
            "[1700000000] unbound[1234:0] info: resolving chatgpt.com. A IN",
            "[1700000000] unbound[1234:0] info: response for chatgpt.com. A IN",
            "[1700000000] unbound[1234:0] info:    0.000000    0.000001 3",
            "[1700000000] unbound[1234:0] debug: cache memory msg=66072 rrset=66072",
            "[1700000000] unbound[1234:0] error: could not open autotrust file",
            "[1700000000] unbound[1234]: very old line without level",
        ] {
            let mut p = new_parser(&CTX);
            assert_eq!(
                p.parse_line(line.as_bytes(), &mut |_| panic!("{line}")),
                Ok(LineKind::Record),
                "{line}"
            );
        }
        let mut p = new_parser(&CTX);
        assert_eq!(
            p.parse_line(
                b"Nov 14 22:13:20 host sshd[1]: Accepted publickey",
                &mut |_| panic!()
            ),
            Ok(LineKind::Meta)
        );
    }

    #[test]
    fn malformed_lines() {
        assert_eq!(err(b"hello world"), NOT_UNBOUND);
        assert_eq!(
            err(b"[17000x] unbound[1:0] info: a"),
            ParseError("unbound: expected [epoch] time")
        );
        assert_eq!(
            err(b"[1700000000"),
            ParseError("unbound: expected [epoch] time")
        );
        assert_eq!(
            err(b"[1700000000] "),
            ParseError("unbound: expected ident[pid:thread] after the time")
        );
        assert_eq!(
            err(b"[1700000000] unbound[1:0] query: 10.0.0.1 chatgpt.com."),
            ParseError("unbound: expected 'ip name type class' after query:")
        );
        assert_eq!(
            err(b"[1700000000] unbound[1:0] reply: 10.0.0.1 chatgpt.com. A IN NOERROR 0.1 0"),
            ParseError(
                "unbound: expected 'ip name type class rcode time cached size' after reply:"
            )
        );
        assert_eq!(
            err(b"[1700000000] unbound[1:0] reply: 10.0.0.1 chatgpt.com. A IN NOERROR 0.1 0 big"),
            ParseError("unbound: expected reply size")
        );
        // Non-UTF-8 in the name still parses.
        let (o, e) = parse_text(
            &FORMAT,
            &CTX,
            b"[1700000000] unbound[1:0] info: 10.0.0.1 caf\xc3(.example. A IN",
        );
        assert_eq!(e, vec![]);
        assert_eq!(o.len(), 1);
    }

    #[test]
    fn fixture_and_probe() {
        let text = include_bytes!("../../../tests/data/dns/unbound.log");
        let (o, e) = parse_text(&FORMAT, &CTX, text);
        assert_eq!(e, vec![]);
        assert_eq!(
            super::super::bind::fixture_rows(&o),
            include_str!("../../../tests/data/dns/unbound.log.expected")
        );
        assert!(probe(text) >= 90);
        for other in [
            &b"1157689312.049   5006 10.105.21.199 TCP_MISS/200 19763 CONNECT login.yahoo.com:443 badeyek DIRECT/209.73.177.115 -\n"[..],
            b"Jan 20 00:00:00 dnsmasq[812]: query[A] chatgpt.com from 192.168.1.34\n",
            b"client @0x7f91b8005490 127.0.0.1#62536 (www.example.com): query: www.example.com IN AAAA +E(0)K (127.0.0.1)\n",
            b"<30>Mar  9 23:59:59 ib named[17742]: client 192.168.0.1#59735 (a.example): query: a.example IN TXT + (192.168.0.1)\n",
            b"#separator \\x09\n#fields\tts\tuid\n",
            br#"{"ts":1591367999.305988,"uid":"C1","query":"chatgpt.com"}"#,
        ] {
            assert!(probe(other) < 50, "{}", String::from_utf8_lossy(other));
        }
    }
}
