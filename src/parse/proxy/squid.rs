//! Squid `access.log`: the native `logformat squid` and the Apache-like `common` and
//! `combined` logformats, which Squid ends with its own `%Ss:%Sh` tag.
//!
//! ```text
//! squid     %ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt
//! common    %>a %[ui %[un [%tl] "%rm %ru HTTP/%rv" %>Hs %<st %Ss:%Sh
//! combined  %>a %[ui %[un [%tl] "%rm %ru HTTP/%rv" %>Hs %<st "%{Referer}>h" "%{User-Agent}>h" %Ss:%Sh
//! ```

use crate::observation::{Action, ObsKind, Observation};
use crate::parse::url::split_url;
use crate::parse::{Format, FormatCtx, LineKind, LineParser, ParseError, Sink, line_vote};
use crate::time::{Timestamp, parse_clf_time, parse_epoch, parse_u64};
use memchr::memchr;

pub static FORMAT: Format = Format {
    id: "proxy.squid",
    description: "Squid access.log, native format (logformat squid)",
    probe: probe_native,
    new_parser: new_native,
    splittable: true,
};

pub static FORMAT_CLF: Format = Format {
    id: "proxy.squid-clf",
    description: "Squid access.log, common or combined format (ending in %Ss:%Sh)",
    probe: probe_clf,
    new_parser: new_clf,
    splittable: true,
};

const E_TIME: ParseError = ParseError("squid: bad timestamp");
const E_FIELDS: ParseError = ParseError("squid: expected 10 fields");
const E_CODE: ParseError = ParseError("squid: expected result/status in field 4");
const E_SIZE: ParseError = ParseError("squid: bad reply size");

const E_CLF_HEAD: ParseError = ParseError("squid-clf: expected client, ident and user");
const E_CLF_TIME: ParseError = ParseError("squid-clf: bad [time]");
const E_CLF_REQUEST: ParseError = ParseError("squid-clf: expected quoted request");
const E_CLF_TRAILER: ParseError = ParseError("squid-clf: expected %Ss:%Sh trailer");
const E_CLF_QUOTED: ParseError = ParseError("squid-clf: bad quoted referer/user-agent");
const E_CLF_STATUS: ParseError = ParseError("squid-clf: bad status or size");

fn new_native(_: &FormatCtx) -> Box<dyn LineParser> {
    Box::new(NativeParser)
}

fn new_clf(_: &FormatCtx) -> Box<dyn LineParser> {
    Box::new(ClfParser)
}

#[inline]
fn is_sep(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Cursor over fields separated by runs of spaces (the native format pads `%6tr`).
/// A byte loop: fields are short, so it beats a memchr call per field.
struct Fields<'a> {
    line: &'a [u8],
    pos: usize,
}

impl<'a> Fields<'a> {
    #[inline]
    fn next_field(&mut self) -> Option<&'a [u8]> {
        let b = self.line;
        let mut i = self.pos;
        while i < b.len() && is_sep(b[i]) {
            i += 1;
        }
        let start = i;
        while i < b.len() && !is_sep(b[i]) {
            i += 1;
        }
        self.pos = i;
        (i > start).then(|| &b[start..i])
    }

    fn rest(&self) -> &'a [u8] {
        self.line.get(self.pos..).unwrap_or_default()
    }
}

/// Maps Squid's result code (`%Ss`) and HTTP status to an action. Only Squid's own
/// `*_DENIED*` codes are blocks: a `TCP_MISS/403` is the origin refusing (Cloudflare
/// challenges do this to chatgpt.com), which says nothing about policy.
fn action(result: &[u8], status: Option<u64>) -> Action {
    if result.windows(6).any(|w| w == b"DENIED") {
        return if status == Some(407) {
            Action::AuthRequired
        } else {
            Action::Blocked
        };
    }
    match status {
        Some(407) => Action::AuthRequired,
        Some(100..=399) => Action::Allowed,
        _ => Action::Unknown,
    }
}

struct Target<'a> {
    kind: ObsKind,
    host: &'a [u8],
    path: Option<&'a [u8]>,
}

/// What a request names; `None` when it names no host (Squid's `error:invalid-request`
/// pseudo-URLs, `-`, origin-form paths).
#[inline]
fn target<'a>(method: &[u8], url: &'a [u8]) -> Option<Target<'a>> {
    if url.starts_with(b"error:") {
        return None;
    }
    if method == b"CONNECT" {
        return (url != b"-").then_some(Target {
            kind: ObsKind::HttpConnect,
            host: url,
            path: None,
        });
    }
    let parts = split_url(url);
    Some(Target {
        kind: ObsKind::HttpRequest,
        host: parts.host?,
        path: parts.path,
    })
}

fn dash_none(v: &[u8]) -> Option<&[u8]> {
    (v != b"-").then_some(v)
}

/// Index of the first `"` in `b` not escaped by an odd run of backslashes.
fn closing_quote(b: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(j) = b.get(from..).and_then(|s| memchr(b'"', s)) {
        let k = from + j;
        let slashes = b[..k].iter().rev().take_while(|&&c| c == b'\\').count();
        if slashes % 2 == 0 {
            return Some(k);
        }
        from = k + 1;
    }
    None
}

/// A product token with a version (`Mozilla/5.0 …`, `curl/8.5.0`, `OpenAI/Python 1.3`):
/// Referers (`https://…`), Host headers and `-` don't look like this.
fn looks_like_user_agent(v: &[u8]) -> bool {
    let Some(slash) = memchr(b'/', v) else {
        return false;
    };
    let product = &v[..slash];
    product.first().is_some_and(u8::is_ascii_alphabetic)
        && product
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || b"-_.+".contains(&c))
        && v.get(slash + 1).is_some_and(u8::is_ascii_alphanumeric)
}

/// The first quoted field among the ones admins append after `%mt` that is clearly a
/// User-Agent; anything else there (X-Forwarded-For, Referer, Host) is ignored.
fn trailing_user_agent(mut rest: &[u8]) -> Option<&[u8]> {
    loop {
        let start = rest.iter().position(|&c| !is_sep(c))?;
        rest = &rest[start..];
        if rest[0] == b'"' {
            let body = &rest[1..];
            let end = closing_quote(body)?;
            let v = &body[..end];
            if looks_like_user_agent(v) {
                return Some(v);
            }
            rest = &body[end + 1..];
        } else {
            let end = rest.iter().position(|&c| is_sep(c)).unwrap_or(rest.len());
            rest = &rest[end..];
        }
    }
}

struct NativeParser;

impl LineParser for NativeParser {
    fn parse_line(&mut self, line: &[u8], sink: &mut Sink<'_>) -> Result<LineKind, ParseError> {
        let mut f = Fields { line, pos: 0 };
        let time = f.next_field().and_then(parse_epoch).ok_or(E_TIME)?;
        let (
            Some(_elapsed),
            Some(client),
            Some(code),
            Some(size),
            Some(method),
            Some(url),
            Some(user),
            Some(_hier),
            Some(_mime),
        ) = (
            f.next_field(),
            f.next_field(),
            f.next_field(),
            f.next_field(),
            f.next_field(),
            f.next_field(),
            f.next_field(),
            f.next_field(),
            f.next_field(),
        )
        else {
            return Err(E_FIELDS);
        };
        let slash = memchr(b'/', code).ok_or(E_CODE)?;
        let (result, status) = (&code[..slash], parse_u64(&code[slash + 1..]));
        let bytes_in = if size == b"-" {
            None
        } else {
            Some(parse_u64(size).ok_or(E_SIZE)?)
        };
        if let Some(t) = target(method, url) {
            let rest = f.rest();
            sink(&Observation {
                kind: t.kind,
                time: Some(time),
                host: Some(t.host),
                path: t.path,
                user_agent: if rest.is_empty() {
                    None
                } else {
                    trailing_user_agent(rest)
                },
                client: Some(client),
                user: dash_none(user),
                bytes_out: None,
                bytes_in,
                action: action(result, status),
            });
        }
        Ok(LineKind::Record)
    }
}

/// One common/combined line, split but not yet interpreted.
struct ClfLine<'a> {
    client: &'a [u8],
    ident: &'a [u8],
    user: &'a [u8],
    time: Timestamp,
    request: &'a [u8],
    status: &'a [u8],
    size: &'a [u8],
    user_agent: Option<&'a [u8]>,
    result: &'a [u8],
}

/// `(before, field)` for the last space-separated field of `b`.
fn last_field(b: &[u8]) -> (&[u8], &[u8]) {
    let end = b.iter().rposition(|&c| !is_sep(c)).map_or(0, |i| i + 1);
    let b = &b[..end];
    let start = b.iter().rposition(|&c| is_sep(c)).map_or(0, |i| i + 1);
    (&b[..start], &b[start..])
}

/// `(before, contents)` for a quoted field that ends `b` (after trailing spaces).
fn last_quoted(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = b.iter().rposition(|&c| !is_sep(c))?;
    if b[end] != b'"' {
        return None;
    }
    let mut k = end;
    loop {
        k = b[..k].iter().rposition(|&c| c == b'"')?;
        let slashes = b[..k].iter().rev().take_while(|&&c| c == b'\\').count();
        if slashes % 2 == 0 {
            return Some((&b[..k], &b[k + 1..end]));
        }
    }
}

fn is_tag(b: &[u8]) -> bool {
    !b.is_empty() && b.iter().all(|&c| c.is_ascii_uppercase() || c == b'_')
}

/// Reads the fixed head left to right and the tail (`%Ss:%Sh`, the combined quoted fields,
/// status and size) right to left, so whatever sits in the quoted request can't shift them.
fn split_clf(line: &[u8]) -> Result<ClfLine<'_>, ParseError> {
    let mut f = Fields { line, pos: 0 };
    let (Some(client), Some(ident), Some(user)) = (f.next_field(), f.next_field(), f.next_field())
    else {
        return Err(E_CLF_HEAD);
    };
    let rest = f.rest();
    let open = rest.iter().position(|&c| !is_sep(c)).ok_or(E_CLF_TIME)?;
    let rest = rest
        .get(open + 1..)
        .filter(|_| rest[open] == b'[')
        .ok_or(E_CLF_TIME)?;
    let (time, n) = parse_clf_time(rest).ok_or(E_CLF_TIME)?;
    let rest = rest
        .get(n + 1..)
        .filter(|_| rest.get(n) == Some(&b']'))
        .ok_or(E_CLF_TIME)?;
    let q = rest.iter().position(|&c| !is_sep(c)).ok_or(E_CLF_REQUEST)?;
    if rest[q] != b'"' {
        return Err(E_CLF_REQUEST);
    }
    let rest = &rest[q + 1..];

    let (before, trailer) = last_field(rest);
    let colon = memchr(b':', trailer).ok_or(E_CLF_TRAILER)?;
    let (result, hier) = (&trailer[..colon], &trailer[colon + 1..]);
    if !is_tag(result) || !is_tag(hier) {
        return Err(E_CLF_TRAILER);
    }
    let (before, user_agent) = match last_quoted(before) {
        // Combined: "Referer" "User-Agent".
        Some((b, ua)) => {
            let (b, _referer) = last_quoted(b).ok_or(E_CLF_QUOTED)?;
            (b, dash_none(ua))
        }
        None => (before, None),
    };
    let (before, size) = last_field(before);
    let (before, status) = last_field(before);
    let close = before
        .iter()
        .rposition(|&c| !is_sep(c))
        .filter(|&i| before[i] == b'"')
        .ok_or(E_CLF_STATUS)?;
    if !(all_digits(status) || status == b"-") {
        return Err(E_CLF_STATUS);
    }
    Ok(ClfLine {
        client,
        ident,
        user,
        time,
        request: &before[..close],
        status,
        size,
        user_agent,
        result,
    })
}

struct ClfParser;

impl LineParser for ClfParser {
    fn parse_line(&mut self, line: &[u8], sink: &mut Sink<'_>) -> Result<LineKind, ParseError> {
        let c = split_clf(line)?;
        let bytes_in = if c.size == b"-" {
            None
        } else {
            Some(parse_u64(c.size).ok_or(E_CLF_STATUS)?)
        };
        // `"%rm %ru HTTP/%rv"`; a `"-"` or binary request has no uppercase method token
        // and yields no observation (the line is still a record).
        let mut r = Fields {
            line: c.request,
            pos: 0,
        };
        let method = r.next_field().unwrap_or_default();
        let url = r.next_field().unwrap_or_default();
        if let Some(t) = target(method, url).filter(|_| is_method(method)) {
            sink(&Observation {
                kind: t.kind,
                time: Some(c.time),
                host: Some(t.host),
                path: t.path,
                user_agent: c.user_agent,
                client: Some(c.client),
                user: dash_none(c.user).or(dash_none(c.ident)),
                bytes_out: None,
                bytes_in,
                action: action(c.result, parse_u64(c.status)),
            });
        }
        Ok(LineKind::Record)
    }
}

fn is_method(b: &[u8]) -> bool {
    !b.is_empty()
        && b.iter()
            .all(|&c| c.is_ascii_uppercase() || c == b'_' || c == b'-')
}

fn all_digits(b: &[u8]) -> bool {
    !b.is_empty() && b.iter().all(u8::is_ascii_digit)
}

/// `^\d{9,10}\.\d{3,6} +\d+ \S+ [A-Z_]+/\d{3} \d+ [A-Z_-]+ \S+ \S+ [A-Z_]+/\S+ \S+`
fn native_line_ok(line: &[u8]) -> bool {
    let mut f = Fields { line, pos: 0 };
    let mut next = || f.next_field().unwrap_or_default();
    let ts = next();
    let Some(dot) = memchr(b'.', ts) else {
        return false;
    };
    let (secs, frac) = (&ts[..dot], &ts[dot + 1..]);
    let code_ok = |v: &[u8]| memchr(b'/', v).is_some_and(|s| is_tag(&v[..s]) && v.len() > s + 1);
    let ts_ok = all_digits(secs)
        && (9..=10).contains(&secs.len())
        && all_digits(frac)
        && (3..=6).contains(&frac.len());
    let elapsed_ok = all_digits(next());
    let client_ok = !next().is_empty();
    let code = next();
    let status_ok = code_ok(code)
        && memchr(b'/', code).is_some_and(|s| {
            let st = &code[s + 1..];
            st.len() == 3 && all_digits(st)
        });
    let size_ok = all_digits(next());
    let method_ok = is_method(next());
    let url_ok = !next().is_empty();
    let user_ok = !next().is_empty();
    let hier_ok = code_ok(next());
    let mime_ok = !next().is_empty();
    ts_ok
        && elapsed_ok
        && client_ok
        && status_ok
        && size_ok
        && method_ok
        && url_ok
        && user_ok
        && hier_ok
        && mime_ok
}

fn no_skip(_: &[u8]) -> bool {
    false
}

fn probe_native(head: &[u8]) -> u8 {
    line_vote(head, no_skip, native_line_ok)
}

fn probe_clf(head: &[u8]) -> u8 {
    line_vote(head, no_skip, |l| split_clf(l).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observation::OwnedObservation;
    use crate::parse::parse_text;
    use Action::{Allowed, AuthRequired, Blocked, Unknown};

    const VARIANTS: &[u8] = include_bytes!("../../../tests/data/proxy/squid-variants.log");
    const LOGSTASH: &[u8] =
        include_bytes!("../../../tests/data/proxy/logstash-patterns-squid3-spec.log");
    const COMBINED: &[u8] = include_bytes!("../../../tests/data/proxy/squid-combined.log");

    fn run(format: &Format, text: &[u8]) -> (Vec<OwnedObservation>, Vec<(u64, ParseError)>) {
        parse_text(format, &FormatCtx::default(), text)
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    fn ms(v: i64) -> Option<Timestamp> {
        Some(Timestamp(v * 1000))
    }

    /// A CONNECT as the native format logs it; tests fill in the rest.
    fn connect(t: i64, client: &str, host: &str) -> OwnedObservation {
        OwnedObservation {
            kind: ObsKind::HttpConnect,
            time: ms(t),
            host: s(host),
            client: s(client),
            ..Default::default()
        }
    }

    fn get(t: i64, client: &str, host: &str, path: &str) -> OwnedObservation {
        OwnedObservation {
            kind: ObsKind::HttpRequest,
            time: ms(t),
            host: s(host),
            path: s(path),
            client: s(client),
            ..Default::default()
        }
    }

    fn one(format: &Format, line: &[u8]) -> Result<Vec<OwnedObservation>, ParseError> {
        let mut p = (format.new_parser)(&FormatCtx::default());
        let mut out = Vec::new();
        let kind = p.parse_line(line, &mut |o: &Observation<'_>| out.push(o.to_owned()))?;
        assert_eq!(kind, LineKind::Record);
        Ok(out)
    }

    #[test]
    fn native_variants_fixture() {
        let (got, errors) = run(&FORMAT, VARIANTS);
        assert_eq!(errors, vec![]);
        let want = vec![
            OwnedObservation {
                user: s("alice"),
                bytes_in: Some(48213),
                action: Allowed,
                ..connect(1718000000123, "10.20.30.41", "chatgpt.com:443")
            },
            OwnedObservation {
                user: s("CORP\\bob"),
                bytes_in: Some(7311),
                action: Allowed,
                ..connect(1718000001457, "10.20.30.42", "api.openai.com:443")
            },
            OwnedObservation {
                bytes_in: Some(15720),
                action: Allowed,
                ..get(
                    1718000002004,
                    "10.20.30.43",
                    "www.example.com",
                    "/index.html?lang=en",
                )
            },
            OwnedObservation {
                user: s("alice"),
                bytes_in: Some(2388),
                action: Allowed,
                ..get(
                    1718000003250,
                    "10.20.30.41",
                    "api.openai.com",
                    "/v1/chat/completions",
                )
            },
            OwnedObservation {
                user: s("carol"),
                bytes_in: Some(3921),
                action: Blocked,
                ..connect(1718000004010, "10.20.30.44", "claude.ai:443")
            },
            OwnedObservation {
                bytes_in: Some(4122),
                action: AuthRequired,
                ..connect(1718000004011, "10.20.30.45", "claude.ai:443")
            },
            OwnedObservation {
                bytes_in: Some(3950),
                action: Blocked,
                ..get(1718000004900, "10.20.30.45", "claude.ai", "/new")
            },
            // NONE/000: the client went away before anything happened.
            OwnedObservation {
                bytes_in: Some(0),
                action: Unknown,
                ..connect(1718000005700, "10.20.30.46", "claude.ai:443")
            },
            // The two `error:` lines are records without an observation.
            OwnedObservation {
                bytes_in: Some(5120),
                action: Allowed,
                ..connect(1718000007020, "2001:db8:10::25", "www.example.com:443")
            },
            OwnedObservation {
                user: s("alice%40corp.example.com"),
                bytes_in: Some(901),
                action: Allowed,
                ..get(
                    1718000008300,
                    "ws-042.corp.example.com",
                    "www.example.com",
                    "/",
                )
            },
            OwnedObservation {
                bytes_in: Some(540),
                action: Allowed,
                ..get(1718000009111, "10.20.30.48", "chatgpt.com", "/auth/login")
            },
            OwnedObservation {
                bytes_in: Some(312),
                action: Allowed,
                ..get(1718000010777, "10.20.30.48", "www.example.com", "/logo.png")
            },
            // The origin's 403 is not a proxy block.
            OwnedObservation {
                bytes_in: Some(5311),
                action: Unknown,
                ..get(1718000011020, "10.20.30.49", "chatgpt.com", "/")
            },
            OwnedObservation {
                bytes_in: Some(1162),
                action: Unknown,
                ..get(1718000011500, "10.20.30.49", "www.example.com", "/missing")
            },
            OwnedObservation {
                bytes_in: Some(4105),
                action: Unknown,
                ..get(1718000012999, "10.20.30.50", "api.openai.com", "/v1/models")
            },
            OwnedObservation {
                user: s("alice"),
                bytes_in: Some(10485760),
                action: Allowed,
                ..connect(1718000013404, "10.20.30.41", "claude.ai:443")
            },
            OwnedObservation {
                user_agent: s(
                    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36",
                ),
                bytes_in: Some(8812),
                action: Allowed,
                ..get(
                    1718000014050,
                    "10.20.30.51",
                    "claude.ai",
                    "/api/organizations",
                )
            },
            // X-Forwarded-For and Referer are skipped; the User-Agent is taken.
            OwnedObservation {
                user: s("svc-build"),
                user_agent: s("OpenAI/Python 1.30.1"),
                bytes_in: Some(6604),
                action: Allowed,
                ..connect(1718000015300, "10.20.30.52", "api.openai.com:443")
            },
            // `"-"` and a Host header are not User-Agents.
            OwnedObservation {
                bytes_in: Some(431),
                action: Allowed,
                ..get(1718000016002, "10.20.30.53", "www.example.com", "/")
            },
            // deny_info redirect to a block page.
            OwnedObservation {
                bytes_in: Some(0),
                action: Blocked,
                ..get(1718000017640, "10.20.30.54", "chatgpt.com", "/c/abc")
            },
            OwnedObservation {
                bytes_in: Some(3920),
                action: Blocked,
                ..get(1718000018100, "10.20.30.55", "www.example.com", "/ai-tools")
            },
            OwnedObservation {
                bytes_in: Some(0),
                action: Unknown,
                ..get(
                    1718000019880,
                    "10.20.30.56",
                    "claude.ai",
                    "/api/append_message",
                )
            },
            // SslBump peek step: the CONNECT names only the IP.
            OwnedObservation {
                bytes_in: Some(0),
                action: Allowed,
                ..connect(1718000020310, "10.20.30.57", "104.18.33.45:443")
            },
        ];
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g, w);
        }
    }

    #[test]
    fn native_logstash_fixture() {
        let (got, errors) = run(&FORMAT, LOGSTASH);
        assert_eq!(errors, vec![]);
        let want = vec![
            OwnedObservation {
                bytes_in: Some(6256),
                action: Allowed,
                ..connect(
                    1525344856899,
                    "10.170.72.111",
                    "logs.ap-southeast-2.amazonaws.com:443",
                )
            },
            // A trailing field an admin appended is tolerated.
            OwnedObservation {
                user: s("public-user"),
                bytes_in: Some(2014),
                action: Allowed,
                ..get(
                    1525334330556,
                    "120.65.1.1",
                    "www.sample.com",
                    "/hellow_world.txt",
                )
            },
            OwnedObservation {
                bytes_in: Some(0),
                action: Unknown,
                ..get(
                    1426235912366,
                    "192.168.3.50",
                    "garfield.com",
                    "/comic/2015-03-13",
                )
            },
            OwnedObservation {
                bytes_in: Some(1293),
                action: Unknown,
                ..get(
                    1066037222352,
                    "144.157.100.17",
                    "at.atremis.com",
                    "/image/93101912/xyz",
                )
            },
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn native_errors() {
        let cases: &[(&[u8], ParseError)] = &[
            // Truncated mid-line.
            (b"1525344856.899  16867 10.170.72.111 TCP_TUNNEL/200 6256 CONNECT logs.ap-southeast-2.amazonaws.com:443 - HIER_DIRECT/53.140.206.134", E_FIELDS),
            (b"1525344856.899  16867 10.170.72.111 TCP_TUN", E_FIELDS),
            (b"1525344856.899", E_FIELDS),
            (b"garbage here", E_TIME),
            (b"\x00\xff\xfe binary", E_TIME),
            (b"Jun 10 06:13:20 proxy squid[812]: 1718000000.123 5 10.0.0.1 TCP_MISS/200 1 GET http://a/ - HIER_NONE/- -", E_TIME),
            // Elastic's "extensive" custom logformat puts the client port in field 4.
            (b"1773416922.391    104 10.105.21.199 58938 TCP_MISS/200 904 123 364 123 528 GET http://example.com/ 1.1 badeyek HIER_DIRECT/203.0.113.10 80 text/html", E_CODE),
            (b"1718000000.123 5 10.0.0.1 TCP_MISS/200 12k GET http://a/ - HIER_NONE/- -", E_SIZE),
        ];
        for (line, err) in cases {
            assert_eq!(
                one(&FORMAT, line),
                Err(*err),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn native_non_utf8_fields_still_parse() {
        let got = one(
            &FORMAT,
            b"1718000000.123\t5 10.0.0.1 TCP_MISS/200 77 GET http://claude.ai/\xe9t\xe9 j\xf6rg HIER_DIRECT/160.79.104.10 text/html \"\xff\xfe\"",
        );
        let want = OwnedObservation {
            user: s("j\u{FFFD}rg"),
            bytes_in: Some(77),
            action: Allowed,
            ..get(1718000000123, "10.0.0.1", "claude.ai", "/\u{FFFD}t\u{FFFD}")
        };
        assert_eq!(got, Ok(vec![want]));
    }

    #[test]
    fn native_odd_tails_are_ignored() {
        // An unterminated quote or a bare `"` after the ten fields must not matter.
        for tail in [
            &b" \"Mozilla/5.0 (X11"[..],
            b" \"",
            b" \"\\\"",
            b" x \"-\" \"a/b c\"d",
        ] {
            let mut line =
                b"1718000000.123 5 10.0.0.1 TCP_MISS/200 77 GET http://claude.ai/ - HIER_NONE/- -"
                    .to_vec();
            line.extend_from_slice(tail);
            let got = one(&FORMAT, &line).unwrap();
            let ua = got[0].user_agent.as_deref();
            assert_eq!(
                ua,
                if tail.ends_with(b"d") {
                    Some("a/b c")
                } else {
                    None
                }
            );
        }
    }

    #[test]
    fn action_mapping() {
        let cases: &[(&[u8], Option<u64>, Action)] = &[
            (b"TCP_DENIED", Some(403), Blocked),
            (b"TCP_DENIED", Some(407), AuthRequired),
            (b"TCP_DENIED", Some(0), Blocked),
            (b"TCP_DENIED_REPLY", Some(403), Blocked),
            (b"NONE_NONE", Some(400), Unknown),
            (b"NONE", Some(0), Unknown),
            (b"TCP_TUNNEL", Some(200), Allowed),
            (b"TCP_MISS", Some(101), Allowed),
            (b"TCP_MISS", Some(307), Allowed),
            (b"TCP_MISS", Some(403), Unknown),
            (b"TCP_MISS", Some(407), AuthRequired),
            (b"TCP_MISS", Some(500), Unknown),
            (b"TCP_MISS", None, Unknown),
        ];
        for &(result, status, want) in cases {
            assert_eq!(action(result, status), want, "{result:?} {status:?}");
        }
    }

    #[test]
    fn clf_fixture() {
        let (got, errors) = run(&FORMAT_CLF, COMBINED);
        assert_eq!(errors, vec![]);
        let t = |sec: i64| ms(1718000000000 + sec * 1000);
        let want = vec![
            OwnedObservation {
                time: t(0),
                user: s("alice"),
                user_agent: s(
                    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
                ),
                bytes_in: Some(48213),
                action: Allowed,
                ..connect(0, "10.20.30.41", "chatgpt.com:443")
            },
            // `+0200` local time.
            OwnedObservation {
                time: t(1),
                user: s("CORP\\bob"),
                user_agent: s("OpenAI/Python 1.30.1"),
                bytes_in: Some(2388),
                action: Allowed,
                ..get(0, "10.20.30.42", "api.openai.com", "/v1/chat/completions")
            },
            OwnedObservation {
                time: t(2),
                user_agent: s("curl/8.5.0"),
                bytes_in: Some(15720),
                action: Allowed,
                ..get(0, "10.20.30.43", "www.example.com", "/index.html?lang=en")
            },
            OwnedObservation {
                time: t(3),
                user: s("carol"),
                user_agent: s(
                    "Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0",
                ),
                bytes_in: Some(3921),
                action: Blocked,
                ..connect(0, "10.20.30.44", "claude.ai:443")
            },
            OwnedObservation {
                time: t(4),
                bytes_in: Some(4122),
                action: AuthRequired,
                ..connect(0, "10.20.30.45", "claude.ai:443")
            },
            // Common format; the ident user stands in for a missing %un.
            OwnedObservation {
                time: t(5),
                user: s("jdoe"),
                bytes_in: Some(901),
                action: Allowed,
                ..get(0, "10.20.30.46", "claude.ai", "/")
            },
            // `error:invalid-request` and `"-"` requests: records, no observation.
            OwnedObservation {
                time: t(8),
                bytes_in: Some(5120),
                action: Allowed,
                ..connect(0, "2001:db8:10::25", "www.example.com:443")
            },
            OwnedObservation {
                time: t(9),
                user_agent: s(
                    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:126.0) Gecko/20100101 Firefox/126.0",
                ),
                bytes_in: Some(5311),
                action: Unknown,
                ..get(0, "10.20.30.48", "chatgpt.com", "/")
            },
            OwnedObservation {
                time: t(10),
                user_agent: s("python-requests/2.32.3"),
                bytes_in: Some(4105),
                action: Unknown,
                ..get(0, "10.20.30.49", "api.openai.com", "/v1/models")
            },
            OwnedObservation {
                time: t(11),
                user: s("alice%40corp.example.com"),
                user_agent: s("Mozilla/5.0 \\\"compatible\\\" Claude-Desktop/0.7.1"),
                bytes_in: Some(8812),
                action: Allowed,
                ..get(0, "10.20.30.50", "claude.ai", "/api/organizations")
            },
            OwnedObservation {
                time: t(12),
                bytes_in: Some(0),
                action: Blocked,
                ..get(0, "10.20.30.51", "chatgpt.com", "/c/abc")
            },
        ];
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g, w);
        }
    }

    #[test]
    fn clf_garbage_requests_are_records_without_observations() {
        for line in [
            &b"10.20.30.47 - - [10/Jun/2024:06:13:26 +0000] \"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\" 400 0 \"-\" \"-\" NONE_NONE:HIER_NONE"[..],
            b"10.20.30.47 - - [10/Jun/2024:06:13:26 +0000] \"\x16\x03 \" \xff x\" 400 0 NONE_NONE:HIER_NONE",
            b"10.20.30.47 - - [10/Jun/2024:06:13:26 +0000] \"\" 400 0 NONE_NONE:HIER_NONE",
            b"10.20.30.47 - - [10/Jun/2024:06:13:26 +0000] \"get http://claude.ai/ HTTP/1.1\" 400 0 NONE_NONE:HIER_NONE",
        ] {
            assert_eq!(one(&FORMAT_CLF, line), Ok(vec![]), "{}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn clf_status_zero_or_dash() {
        for status in ["0", "000", "-"] {
            let line = format!(
                "10.20.30.46 - - [10/Jun/2024:06:13:25 +0000] \"CONNECT claude.ai:443 HTTP/1.1\" {status} 0 NONE:HIER_NONE"
            );
            let want = OwnedObservation {
                time: ms(1718000005000),
                bytes_in: Some(0),
                action: Unknown,
                ..connect(0, "10.20.30.46", "claude.ai:443")
            };
            assert_eq!(one(&FORMAT_CLF, line.as_bytes()), Ok(vec![want]));
        }
    }

    #[test]
    fn clf_non_utf8_fields_still_parse() {
        let got = one(
            &FORMAT_CLF,
            b"10.0.0.9 - j\xf6rg [10/Jun/2024:06:13:20 +0000] \"GET http://claude.ai/\xe9 HTTP/1.1\" 200 10 \"-\" \"curl/8\xff\" TCP_MISS:HIER_DIRECT",
        );
        let want = OwnedObservation {
            time: ms(1718000000000),
            user: s("j\u{FFFD}rg"),
            user_agent: s("curl/8\u{FFFD}"),
            bytes_in: Some(10),
            action: Allowed,
            ..get(0, "10.0.0.9", "claude.ai", "/\u{FFFD}")
        };
        assert_eq!(got, Ok(vec![want]));
    }

    #[test]
    fn clf_errors() {
        let cases: &[(&[u8], ParseError)] = &[
            (b"10.20.30.41 -", E_CLF_HEAD),
            (b"10.20.30.41 - alice", E_CLF_TIME),
            (b"10.20.30.41 - alice [10/Jun/2024:06:1", E_CLF_TIME),
            (b"10.20.30.41 - alice 10/Jun/2024:06:13:20 +0000 \"GET http://a/ HTTP/1.1\" 200 1 TCP_MISS:HIER_DIRECT", E_CLF_TIME),
            (b"10.20.30.41 - alice [10/Jun/2024:06:13:20 +0000]", E_CLF_REQUEST),
            (b"10.20.30.41 - alice [10/Jun/2024:06:13:20 +0000] GET", E_CLF_REQUEST),
            // Truncated inside the request, the User-Agent or the trailer.
            (b"10.20.30.41 - alice [10/Jun/2024:06:13:20 +0000] \"CONNECT chatgpt.com:443 HT", E_CLF_TRAILER),
            (b"10.20.30.41 - alice [10/Jun/2024:06:13:20 +0000] \"CONNECT chatgpt.com:443 HTTP/1.1\" 200 48213 \"-\" \"Mozilla/5.0 (Mac", E_CLF_TRAILER),
            (b"10.20.30.41 - alice [10/Jun/2024:06:13:20 +0000] \"CONNECT chatgpt.com:443 HTTP/1.1\" 200 48213 \"-\" \"curl/8.5.0\" TCP_TUNNEL:", E_CLF_TRAILER),
            // Plain Apache combined: no Squid tag.
            (b"10.20.30.41 - - [10/Jun/2024:06:13:20 +0000] \"GET / HTTP/1.1\" 200 612 \"-\" \"curl/8.5.0\"", E_CLF_TRAILER),
            (b"10.20.30.41 - - [10/Jun/2024:06:13:20 +0000] \"GET / HTTP/1.1\" 200 612 \"curl/8.5.0\" TCP_MISS:HIER_DIRECT", E_CLF_QUOTED),
            (b"10.20.30.41 - - [10/Jun/2024:06:13:20 +0000] \"GET / HTTP/1.1\" 612 TCP_MISS:HIER_DIRECT", E_CLF_STATUS),
            (b"10.20.30.41 - - [10/Jun/2024:06:13:20 +0000] \"GET / HTTP/1.1\" OK 612 TCP_MISS:HIER_DIRECT", E_CLF_STATUS),
            (b"10.20.30.41 - - [10/Jun/2024:06:13:20 +0000] \"GET / HTTP/1.1\" 200 6x2 TCP_MISS:HIER_DIRECT", E_CLF_STATUS),
        ];
        for (line, err) in cases {
            assert_eq!(
                one(&FORMAT_CLF, line),
                Err(*err),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn truncated_and_mutated_lines_never_panic() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for text in [VARIANTS, LOGSTASH, COMBINED] {
            for line in text.split(|&b| b == b'\n') {
                for fmt in [&FORMAT, &FORMAT_CLF] {
                    for n in 0..=line.len() {
                        let _ = one(fmt, &line[..n]);
                    }
                    let mut m = line.to_vec();
                    for _ in 0..200 {
                        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                        if let Some(b) = m.get_mut((seed >> 33) as usize % line.len().max(1)) {
                            let pool = b" \"\\[]:/-.0\xff";
                            *b = pool[(seed >> 20) as usize % pool.len()];
                        }
                        let _ = one(fmt, &m);
                    }
                }
            }
        }
    }

    const OTHERS: &[&[u8]] = &[
        b"17-Feb-2018 23:06:56.326 queries: info: client 172.26.0.1#12345 (test.example.com): query: test.example.com IN A +E(0)K (172.26.0.3)\n",
        b"client @0x7f85b4026ed0 127.0.0.1#42520 (ci.elastic.co): query: ci.elastic.co IN A +E(0)K (35.193.103.164)\n",
        b"Jun 10 06:13:20 gw dnsmasq[512]: query[A] chatgpt.com from 10.20.30.41\nJun 10 06:13:20 gw dnsmasq[512]: forwarded chatgpt.com to 1.1.1.1\nJun 10 06:13:20 gw dnsmasq[512]: reply chatgpt.com is 104.18.32.47\n",
        b"#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\n1547188415.857497\tCAcJw21BbVedgFnYH3\t192.168.86.167\t38339\t192.168.86.1\t53\tudp\t15209\t0.076967\tchatgpt.com\n",
        b"{\"ts\":1547188415.857497,\"uid\":\"CAcJw21BbVedgFnYH3\",\"id.orig_h\":\"192.168.86.167\",\"query\":\"chatgpt.com\"}\n",
        b"[1700000000] unbound[1234:0] info: 192.168.1.10 api.openai.com. A IN\n[1700000000] unbound[1234:0] info: 192.168.1.10 api.openai.com. A IN NOERROR 0.031337 0 94\n",
        b"10.20.30.41 - - [10/Jun/2024:06:13:20 +0000] \"GET / HTTP/1.1\" 200 612 \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"\n10.20.30.41 - frank [10/Jun/2024:06:13:21 +0000] \"GET /a.png HTTP/1.1\" 304 0\n",
        b"1773416922.391    104 10.105.21.199 58938 TCP_MISS/200 904 123 364 123 528 GET http://example.com/ 1.1 badeyek HIER_DIRECT/203.0.113.10 80 text/html - - \"-\" \"curl/8.14.1\" \"example.com\" \"-\" 53 -\n",
    ];

    #[test]
    fn probes() {
        assert_eq!(probe_native(VARIANTS), 100);
        assert_eq!(probe_native(LOGSTASH), 100);
        assert_eq!(probe_clf(COMBINED), 100);
        assert!(probe_native(COMBINED) < 50);
        assert!(probe_clf(VARIANTS) < 50);
        assert!(probe_clf(LOGSTASH) < 50);
        for head in OTHERS {
            let text = String::from_utf8_lossy(head);
            assert!(probe_native(head) < 50, "native claims {text}");
            assert!(probe_clf(head) < 50, "clf claims {text}");
        }
        assert_eq!(probe_native(b""), 0);
        assert_eq!(probe_clf(b""), 0);
    }
}
