//! BIND 9 query log (`category queries`), RPZ rewrites, and Infoblox NIOS, which is BIND with
//! its own query+response lines and RPZ hits as CEF.
//!
//! ```text
//! [time ][category: ][severity: ]client [@0x…] ip#port[/key k][ (qname)]: [view v: ][UDP: ]query: qname CLASS TYPE flags (server)[ [ECS …]]
//! client @0x… ::1#54175 (x): rpz QNAME NXDOMAIN rewrite x/AAAA/IN via x.rpz
//! ```
//! Optionally inside a syslog envelope (`named[pid]:`). Every other named line (transfers,
//! notify, query-errors, lame-servers) is a record without an observation.

use crate::observation::{Action, ObsKind, Observation};
use crate::parse::syslog;
use crate::parse::{Format, FormatCtx, LineKind, LineParser, ParseError, Sink, line_vote};
use crate::time::{Timestamp, parse_bind_time, parse_iso8601, parse_syslog_time};
use memchr::memmem::Finder;

pub static FORMAT: Format = Format {
    id: "dns.bind",
    description: "BIND 9 named query log and RPZ rewrites (plain or syslog), Infoblox NIOS",
    probe,
    new_parser,
    splittable: true,
};

const NOT_BIND: ParseError = ParseError("bind: not a named log line");

fn probe(head: &[u8]) -> u8 {
    line_vote(
        head,
        |_| false,
        |line| {
            let env = syslog::strip(line, 1970);
            match env.program {
                Some(p) => is_named(p),
                // BIND's print-time layout is its own; any channel's line counts.
                None if parse_bind_time(env.message).is_some() => true,
                None => {
                    let m = env.message;
                    memchr::memmem::find(m, b"client ").is_some_and(|c| {
                        let after = &m[c..];
                        memchr::memchr(b'#', after).is_some()
                            && (memchr::memmem::find(after, b" query: ").is_some()
                                || memchr::memmem::find(after, b": rpz ").is_some())
                    })
                }
            }
        },
    )
}

fn new_parser(ctx: &FormatCtx) -> Box<dyn LineParser> {
    Box::new(BindParser {
        year: ctx.default_year,
        client: Finder::new(b"client ").into_owned(),
        query: Finder::new(b" query: ").into_owned(),
        rpz: Finder::new(b": rpz ").into_owned(),
        disabled_rpz: Finder::new(b": disabled rpz ").into_owned(),
    })
}

struct BindParser {
    year: i32,
    client: Finder<'static>,
    query: Finder<'static>,
    rpz: Finder<'static>,
    disabled_rpz: Finder<'static>,
}

impl LineParser for BindParser {
    fn parse_line(&mut self, line: &[u8], sink: &mut Sink<'_>) -> Result<LineKind, ParseError> {
        let env = syslog::strip(line, self.year);
        if let Some(p) = env.program {
            if !is_named(p) {
                // Another daemon's line in a shared syslog stream: not a record of this format.
                return Ok(LineKind::Meta);
            }
        }
        let msg = env.message;
        if let Some(cef) = memchr::memmem::find(msg, b"CEF:") {
            return Ok(infoblox_cef(&msg[cef..], env.time, sink));
        }
        // A line that is not a query or RPZ line is still a record when it is recognisably
        // named's (tagged, timestamped or with a category); otherwise it is not BIND at all.
        let other = || {
            let known = env.program.is_some()
                || env.time.is_some()
                || prefix_time(msg, self.year).is_some()
                || category_prefix(msg);
            if known {
                Ok(LineKind::Record)
            } else {
                Err(NOT_BIND)
            }
        };
        let Some(c) = self.client.find(msg) else {
            return other();
        };
        let time = prefix_time(&msg[..c], self.year).or(env.time);
        let mut rest = &msg[c + 7..];
        if rest.starts_with(b"@0x") {
            let sp =
                memchr::memchr(b' ', rest).ok_or(ParseError("bind: truncated after client"))?;
            rest = &rest[sp + 1..];
        }
        let hash = memchr::memchr(b'#', rest);
        let query = self.query.find(rest);
        let ip = match hash {
            Some(h) if is_ip_text(&rest[..h]) => &rest[..h],
            // `client` in free text (a warning, a limit), not a client prefix.
            _ if query.is_none() => return other(),
            _ => return Err(ParseError("bind: expected client ip#port")),
        };
        if let Some(q) = query {
            let host = query_name(&rest[q + 8..])?;
            sink(&Observation {
                kind: ObsKind::DnsQuery,
                time,
                host: Some(host),
                client: Some(ip),
                ..Observation::default()
            });
        } else if let Some(r) = self.rpz.find(rest) {
            rpz(&rest[r + 6..], false, ip, time, sink);
        } else if let Some(r) = self.disabled_rpz.find(rest) {
            rpz(&rest[r + 15..], true, ip, time, sink);
        }
        Ok(LineKind::Record)
    }
}

/// `named`, `named-pkcs11`, and the package names some systems log under.
fn is_named(program: &[u8]) -> bool {
    program.starts_with(b"named") || program == b"bind" || program == b"bind9"
}

/// BIND's own print-time somewhere in the prefix before `client` (Infoblox puts a category
/// first): `02-May-2023 13:33:40.299`, ISO 8601, or the pre-9.3 `Feb 25 11:09:43.651`.
fn prefix_time(prefix: &[u8], year: i32) -> Option<Timestamp> {
    let mut at = 0;
    // The time is the first or (after an Infoblox category) the second token; a few more
    // cover category and severity, without scanning a whole free-text line.
    for _ in 0..4 {
        if at >= prefix.len() {
            break;
        }
        let p = &prefix[at..];
        if let Some((t, _)) = parse_bind_time(p)
            .or_else(|| parse_iso8601(p))
            .or_else(|| parse_syslog_time(p, year))
        {
            return Some(t);
        }
        at += memchr::memchr(b' ', p)? + 1;
    }
    None
}

/// `general: ...`: a print-category prefix, so a BIND channel line without a client.
fn category_prefix(msg: &[u8]) -> bool {
    let end = msg
        .iter()
        .position(|&c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'_'))
        .unwrap_or(0);
    end > 0 && msg[end..].starts_with(b": ")
}

/// After `query: `: the name runs up to the class token (it may hold unescaped spaces).
fn query_name(q: &[u8]) -> Result<&[u8], ParseError> {
    let mut from = memchr::memchr(b' ', q).ok_or(ParseError("bind: truncated query"))?;
    loop {
        let next = &q[from + 1..];
        let end = memchr::memchr(b' ', next).unwrap_or(next.len());
        if is_class(&next[..end]) {
            if end == next.len() || next.get(end + 1).is_none_or(|&c| c == b' ') {
                return Err(ParseError("bind: expected a type after the class"));
            }
            return Ok(&q[..from]);
        }
        if end == next.len() {
            return Err(ParseError("bind: expected a class after the query name"));
        }
        from += 1 + end;
    }
}

pub(super) fn is_class(t: &[u8]) -> bool {
    matches!(t, b"IN" | b"CH" | b"HS" | b"ANY" | b"NONE")
        || t.strip_prefix(b"CLASS")
            .is_some_and(|n| !n.is_empty() && n.iter().all(u8::is_ascii_digit))
}

/// `QNAME NXDOMAIN rewrite name/TYPE/CLASS via ...` after `rpz `.
fn rpz(b: &[u8], disabled: bool, client: &[u8], time: Option<Timestamp>, sink: &mut Sink<'_>) {
    let mut words = b.split(|&c| c == b' ');
    let (Some(_trigger), Some(policy), Some(b"rewrite"), Some(target)) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return;
    };
    // The name is printed as `name/TYPE/CLASS`; names may hold `/` themselves.
    let mut host = target;
    for _ in 0..2 {
        if let Some(s) = memchr::memrchr(b'/', host) {
            host = &host[..s];
        }
    }
    if host.is_empty() {
        return;
    }
    sink(&Observation {
        kind: ObsKind::DnsQuery,
        time,
        host: Some(host),
        client: Some(client),
        action: rpz_action(policy, disabled),
        ..Observation::default()
    });
}

fn rpz_action(policy: &[u8], disabled: bool) -> Action {
    if disabled {
        // A disabled zone only reports what it would have done.
        Action::Unknown
    } else if policy.eq_ignore_ascii_case(b"PASSTHRU") {
        Action::Allowed
    } else {
        Action::Blocked
    }
}

/// Infoblox logs RPZ hits as CEF: `CEF:0|Infoblox|NIOS|ver|RPZ-QNAME|NXDOMAIN|7|... src=ip ...
/// msg="rpz QNAME NXDOMAIN rewrite name [A] via ..."`.
fn infoblox_cef(cef: &[u8], time: Option<Timestamp>, sink: &mut Sink<'_>) -> LineKind {
    let mut fields = [&b""[..]; 7];
    let mut rest = cef;
    for f in &mut fields {
        let Some(p) = memchr::memchr(b'|', rest) else {
            return LineKind::Record;
        };
        *f = &rest[..p];
        rest = &rest[p + 1..];
    }
    if fields[1] != b"Infoblox" || !fields[4].starts_with(b"RPZ-") {
        return LineKind::Record;
    }
    let client = cef_value(rest, b"src=").filter(|v| is_ip_text(v));
    let Some(m) = memchr::memmem::find(rest, b"msg=\"") else {
        return LineKind::Record;
    };
    let msg = &rest[m + 5..];
    let msg = &msg[..memchr::memchr(b'"', msg).unwrap_or(msg.len())];
    let Some(r) = memchr::memmem::find(msg, b"rewrite ") else {
        return LineKind::Record;
    };
    let name = &msg[r + 8..];
    let name = &name[..memchr::memchr(b' ', name).unwrap_or(name.len())];
    if !name.is_empty() {
        sink(&Observation {
            kind: ObsKind::DnsQuery,
            time,
            host: Some(name),
            client,
            action: rpz_action(fields[5], msg.starts_with(b"disabled")),
            ..Observation::default()
        });
    }
    LineKind::Record
}

/// The value of a CEF extension key (space-delimited values only, as Infoblox writes `src`).
fn cef_value<'a>(ext: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let mut from = 0;
    while let Some(i) = memchr::memmem::find(&ext[from..], key) {
        let at = from + i;
        if at == 0 || ext[at - 1] == b' ' {
            let v = &ext[at + key.len()..];
            return Some(&v[..memchr::memchr(b' ', v).unwrap_or(v.len())]);
        }
        from = at + 1;
    }
    None
}

/// An IPv4 or IPv6 address as text (an IPv6 zone `%eth0` allowed). Shape only: it tells a
/// client field from a word, it does not validate octets.
pub(super) fn is_ip_text(b: &[u8]) -> bool {
    let addr = match memchr::memchr(b'%', b) {
        Some(p) if b.contains(&b':') => &b[..p],
        _ => b,
    };
    if addr.is_empty() || addr.len() > 45 {
        return false;
    }
    if addr.contains(&b':') {
        addr.iter().filter(|&&c| c == b':').count() >= 2
            && addr
                .iter()
                .all(|c| c.is_ascii_hexdigit() || *c == b':' || *c == b'.')
    } else {
        addr.iter().filter(|&&c| c == b'.').count() == 3
            && addr.iter().all(|c| c.is_ascii_digit() || *c == b'.')
            && !addr.starts_with(b".")
            && !addr.ends_with(b".")
            && !addr.windows(2).any(|w| w == b"..")
    }
}

/// Test helper: each observation as one line `kind time host client bytes_in action` (`-` for
/// none), asserting the fields DNS logs never carry are empty. Fixtures keep their expected
/// observations in a `.expected` file beside them in this form.
#[cfg(test)]
pub(super) fn fixture_rows(obs: &[crate::observation::OwnedObservation]) -> String {
    let mut out = String::new();
    for o in obs {
        assert_eq!(
            (&o.path, &o.user_agent, &o.user, o.bytes_out),
            (&None, &None, &None, None)
        );
        let dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
        out += &format!(
            "{} {} {} {} {} {}\n",
            o.kind.as_str(),
            dash(o.time.map(|t| t.to_string())),
            dash(o.host.clone()),
            dash(o.client.clone()),
            dash(o.bytes_in.map(|b| b.to_string())),
            o.action.as_str()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observation::OwnedObservation;
    use crate::parse::parse_text;
    use crate::parse::test_support::{parse_err, parse_ok};

    const CTX: FormatCtx = FormatCtx { default_year: 2024 };

    fn q(time: &str, host: &str, client: &str, action: Action) -> OwnedObservation {
        OwnedObservation {
            kind: ObsKind::DnsQuery,
            time: (!time.is_empty()).then(|| {
                let (t, n) = parse_iso8601(time.as_bytes()).unwrap();
                assert_eq!(n, time.len());
                t
            }),
            host: Some(host.into()),
            client: (!client.is_empty()).then(|| client.into()),
            action,
            ..OwnedObservation::default()
        }
    }

    fn one(text: &str) -> Vec<OwnedObservation> {
        parse_ok(&FORMAT, &CTX, text)
    }

    fn err(line: &[u8]) -> ParseError {
        parse_err(&FORMAT, &CTX, line)
    }

    #[test]
    fn logstash_spec_fixture() {
        let text = include_bytes!("../../../tests/data/dns/logstash-patterns-bind9-spec.log");
        let (obs, errors) = parse_text(&FORMAT, &CTX, text);
        assert_eq!(errors, vec![]);
        assert_eq!(
            obs,
            vec![
                q(
                    "2018-02-17T23:06:56.326Z",
                    "test.example.com",
                    "172.26.0.1",
                    Action::Unknown
                ),
                q(
                    "2018-06-30T15:50:00.999Z",
                    "91.2.10.170.in-addr.internal",
                    "192.168.10.48",
                    Action::Unknown
                ),
                q("", "ci.elastic.co", "127.0.0.1", Action::Unknown),
            ]
        );
    }

    #[test]
    fn query_line_variants() {
        let u = Action::Unknown;
        // ARM example: @0x, flags +E(0)K, AAAA.
        assert_eq!(
            one(
                "client @0x7f91b8005490 127.0.0.1#62536 (www.example.com): query: www.example.com IN AAAA +E(0)K (127.0.0.1)"
            ),
            vec![q("", "www.example.com", "127.0.0.1", u)]
        );
        // View, category and severity, BIND time.
        assert_eq!(
            one(
                "02-May-2023 13:33:40.299 queries: info: client @0x2c11226c 127.0.0.1#59751 (chatgpt.com): view internal: query: chatgpt.com IN A +E(0)K (127.0.0.1)"
            ),
            vec![q("2023-05-02T13:33:40.299Z", "chatgpt.com", "127.0.0.1", u)]
        );
        // Very old 9.x: no echo, no flags.
        assert_eq!(
            one("client 10.0.0.3#1035: query: 3.example.com.nl IN A"),
            vec![q("", "3.example.com.nl", "10.0.0.3", u)]
        );
        // Syslog envelope, IPv6 client, CH class, TCP flag.
        assert_eq!(
            one(
                "<30>Nov 27 11:53:09 192.168.0.1 named[15242]: client @0x7fec7c11dab0 2001:db8::17#40026 (version.bind): query: version.bind CH TXT +T (192.168.0.1)"
            ),
            vec![q("2024-11-27T11:53:09Z", "version.bind", "2001:db8::17", u)]
        );
        // Echo with a space, TSIG signer, ECS tail, HS class.
        assert_eq!(
            one(
                "client @0x1 10.1.1.1#5300/key tsig-k (odd name.example): query: odd\\032name.example HS A -ED (10.0.0.53) [ECS 1.2.3.0/24/0]"
            ),
            vec![q("", "odd\\032name.example", "10.1.1.1", u)]
        );
        // The query name itself holding a raw space: read up to the class.
        assert_eq!(
            one("client 10.1.1.1#5300 (a b.example): query: a b.example IN A + (10.0.0.53)"),
            vec![q("", "a b.example", "10.1.1.1", u)]
        );
        // ISO 8601 print-time, CLASS number, zone-scoped IPv6 client.
        assert_eq!(
            one(
                "2024-03-01T10:00:00.5+01:00 client fe80::1%eth0#5353: query: api.anthropic.com CLASS3 A +"
            ),
            vec![q(
                "2024-03-01T09:00:00.5Z",
                "api.anthropic.com",
                "fe80::1%eth0",
                u
            )]
        );
        // Pre-9.3 syslog-style print-time.
        assert_eq!(
            one("Feb 25 11:09:43.651 client 10.0.0.3#1035: query: chat.deepseek.com IN A"),
            vec![q(
                "2024-02-25T11:09:43.651Z",
                "chat.deepseek.com",
                "10.0.0.3",
                u
            )]
        );
        // RFC 5424 envelope.
        assert_eq!(
            one(
                "<13>1 2024-01-02T03:04:05.123Z ns1 named 123 - - client @0x1 10.0.0.9#1 (copilot-proxy.githubusercontent.com): query: copilot-proxy.githubusercontent.com IN HTTPS +E(0)D (10.0.0.53)"
            ),
            vec![q(
                "2024-01-02T03:04:05.123Z",
                "copilot-proxy.githubusercontent.com",
                "10.0.0.9",
                u
            )]
        );
    }

    #[test]
    fn infoblox_variants() {
        let u = Action::Unknown;
        assert_eq!(
            one(
                "<30>Mar 11 23:51:31 ib.example named[11042]: 07-Apr-2022 08:08:10.043 client 192.168.0.1#57398 UDP: query: chatgpt.com IN A response: NOERROR +ED chatgpt.com 28800 IN A 104.18.32.47;"
            ),
            vec![q(
                "2022-04-07T08:08:10.043Z",
                "chatgpt.com",
                "192.168.0.1",
                u
            )]
        );
        // Category before the time, a colon after the port.
        assert_eq!(
            one(
                "<30>Apr 14 16:17:20 10.50.1.227 named[2588]: infoblox-responses: 14-Apr-2022 16:17:20.046 client 192.168.1.90#57738: UDP: query: example.org IN A response: REFUSED -"
            ),
            vec![q(
                "2022-04-14T16:17:20.046Z",
                "example.org",
                "192.168.1.90",
                u
            )]
        );
        // View number, answer text containing `query: ` words, unpadded syslog day.
        assert_eq!(
            one(
                r#"<30>May 9 11:54:36 a1.example 10.0.0.2 named[12261]: 09-May-2023 11:54:36.185 client 10.0.0.7#59605: view 12: TCP: query: t.example IN TXT response: NOERROR + t.example. 3600 IN TXT "a query: b";"#
            ),
            vec![q("2023-05-09T11:54:36.185Z", "t.example", "10.0.0.7", u)]
        );
        assert_eq!(
            one(
                r#"<30>Mar 11 23:51:31 ib named[28468]: CEF:0|Infoblox|NIOS|8.6.2|RPZ-QNAME|NXDOMAIN|7|app=DNS dst=192.168.0.1 src=192.168.0.9 spt=51424 view=_default qtype=A msg="rpz QNAME NXDOMAIN rewrite chat.deepseek.com [A] via chat.deepseek.com.rpz.example" CAT=RPZ"#
            ),
            vec![q(
                "2024-03-11T23:51:31Z",
                "chat.deepseek.com",
                "192.168.0.9",
                Action::Blocked
            )]
        );
        assert_eq!(
            one(
                r#"<30>Mar 11 23:51:31 ib named[28468]: CEF:0|Infoblox|NIOS|8.6.2|RPZ-QNAME|PASSTHRU|7|src=192.168.0.9 msg="rpz QNAME PASSTHRU rewrite ok.example [A] via ok.example.rpz""#
            ),
            vec![q(
                "2024-03-11T23:51:31Z",
                "ok.example",
                "192.168.0.9",
                Action::Allowed
            )]
        );
        assert_eq!(
            one(
                r#"<30>Mar 11 23:51:31 ib named[1]: CEF:0|Infoblox|NIOS|8.6.2|DNS-TUNNEL|x|7|src=1.2.3.4"#
            ),
            vec![]
        );
    }

    #[test]
    fn rpz_lines() {
        assert_eq!(
            one(
                "client @0x7faf8e004a00 ::1#54175 (use-application-dns.net): rpz QNAME NXDOMAIN rewrite use-application-dns.net/AAAA/IN via use-application-dns.net.mozilla.rpz"
            ),
            vec![q("", "use-application-dns.net", "::1", Action::Blocked)]
        );
        assert_eq!(
            one(
                "03-Jan-2024 10:00:00.000 rpz: info: client @0x1 10.0.0.5#1234 (api.anthropic.com): view internal: rpz QNAME Local-Data rewrite api.anthropic.com/A/IN via api.anthropic.com.ai-block.rpz"
            ),
            vec![q(
                "2024-01-03T10:00:00Z",
                "api.anthropic.com",
                "10.0.0.5",
                Action::Blocked
            )]
        );
        assert_eq!(
            one(
                "client @0x1 10.0.0.5#1234 (intranet.example): rpz QNAME PASSTHRU rewrite intranet.example/A/IN via intranet.example.allow.rpz"
            ),
            vec![q("", "intranet.example", "10.0.0.5", Action::Allowed)]
        );
        assert_eq!(
            one(
                "client @0x1 10.0.0.5#1234 (chatgpt.com): disabled rpz QNAME NXDOMAIN rewrite chatgpt.com/A/IN via chatgpt.com.test.rpz"
            ),
            vec![q("", "chatgpt.com", "10.0.0.5", Action::Unknown)]
        );
        // Not a rewrite: no observation.
        assert_eq!(
            one("client @0x1 10.0.0.5#1234 (x.example): rpz QNAME stop on qresult in rpz zone"),
            vec![]
        );
    }

    #[test]
    fn other_named_lines_are_records() {
        let text = b"<30>Mar 11 23:51:31 ib named[27014]: rpz: rpz1.example: reload start
<30>Mar  9 23:59:59 ib named[17742]: client @0x7f1dd4114af0 192.168.0.1#59735 (config.example): query failed (REFUSED) for config.example/IN/TXT at query.c:10288
<30>Mar 11 23:51:31 ib named[29914]: client @0x7ff42c168b50 192.168.0.1#50460 (test.example): rewriting query name 'test.example' to 'q.test.example', type A
<30>Mar 11 23:51:31 ib named[15242]: transfer of 'test.example/IN' from 192.168.0.1#53: Transfer status: success
02-May-2023 13:33:40.299 lame-servers: info: lame server resolving 'x.example' (in 'example'?): 192.0.2.1#53
02-May-2023 13:33:40.299 general: warning: client limit reached
general: info: zone example/IN: loaded serial 5
";
        let mut p = new_parser(&CTX);
        for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let kind = p.parse_line(line, &mut |_| panic!("no observation expected"));
            assert_eq!(
                kind,
                Ok(LineKind::Record),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
        // Another daemon in the same syslog stream.
        assert_eq!(
            p.parse_line(
                b"Mar  9 23:59:59 ib dhcpd[1]: DHCPACK on 10.0.0.2",
                &mut |_| panic!()
            ),
            Ok(LineKind::Meta)
        );
    }

    #[test]
    fn malformed_lines() {
        assert_eq!(err(b"hello world"), NOT_BIND);
        assert_eq!(err(b"\xff\xfe garbage"), NOT_BIND);
        assert_eq!(
            err(b"client 10.0.0.3#1035: query: 3.example.com.nl"),
            ParseError("bind: truncated query")
        );
        assert_eq!(
            err(b"client 10.0.0.3#1035: query: 3.example.com.nl IN"),
            ParseError("bind: expected a type after the class")
        );
        assert_eq!(
            err(b"client 10.0.0.3#1035: query: a.example A +"),
            ParseError("bind: expected a class after the query name")
        );
        assert_eq!(
            err(b"client www.example#1035: query: a.example IN A"),
            ParseError("bind: expected client ip#port")
        );
        assert_eq!(
            err(b"client @0x7f91b8005490"),
            ParseError("bind: truncated after client")
        );
        // Non-UTF-8 bytes inside a well-formed line still parse.
        let (obs, errors) = parse_text(
            &FORMAT,
            &CTX,
            b"client 10.0.0.3#1035 (caf\xe9.example): query: caf\xe9.example IN A +",
        );
        assert_eq!(errors, vec![]);
        assert_eq!(obs[0].host.as_deref(), Some("caf\u{fffd}.example"));
    }

    #[test]
    fn variants_fixture() {
        let text = include_bytes!("../../../tests/data/dns/bind-variants.log");
        let (obs, errors) = parse_text(&FORMAT, &CTX, text);
        assert_eq!(errors, vec![]);
        assert_eq!(
            fixture_rows(&obs),
            include_str!("../../../tests/data/dns/bind-variants.log.expected")
        );
    }

    #[test]
    fn probe_scores() {
        let own = include_bytes!("../../../tests/data/dns/bind-variants.log");
        assert!(probe(own) >= 90);
        let spec = include_bytes!("../../../tests/data/dns/logstash-patterns-bind9-spec.log");
        assert_eq!(probe(spec), 100);
        for other in [
            &b"1157689312.049   5006 10.105.21.199 TCP_MISS/200 19763 CONNECT login.yahoo.com:443 badeyek DIRECT/209.73.177.115 -\n"[..],
            b"Jan 20 00:00:00 dnsmasq[812]: query[A] chatgpt.com from 192.168.1.34\nJan 20 00:00:00 dnsmasq[812]: reply chatgpt.com is 104.18.32.47\n",
            b"[1700000000] unbound[1234:0] info: 192.168.1.10 api.openai.com. A IN\n[1700000000] unbound[1234:0] query: 192.168.1.10 api.openai.com. A IN\n",
            b"#separator \\x09\n#fields\tts\tuid\tid.orig_h\n1591367999.305988\tC1\t10.0.0.1\n",
            br#"{"ts":1591367999.305988,"uid":"C1","id.orig_h":"10.0.0.1","query":"chatgpt.com"}"#,
        ] {
            assert!(probe(other) < 50, "{}", String::from_utf8_lossy(other));
        }
    }

    #[test]
    fn ip_text_shapes() {
        for ok in [
            "10.0.0.1",
            "::1",
            "2001:db8::1",
            "fe80::1%eth0",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_ip_text(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "",
            "host",
            "1.2.3",
            "1..2.3",
            "a:b",
            "10.0.0.1.",
            "dead:beef:zz",
        ] {
            assert!(!is_ip_text(bad.as_bytes()), "{bad}");
        }
    }
}
