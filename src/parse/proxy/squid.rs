//! Squid `access.log`: the native `logformat squid` and the Apache-like `common` and
//! `combined` logformats, which Squid ends with its own `%Ss:%Sh` tag.
//!
//! ```text
//! squid     %ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt
//! common    %>a %[ui %[un [%tl] "%rm %ru HTTP/%rv" %>Hs %<st %Ss:%Sh
//! combined  %>a %[ui %[un [%tl] "%rm %ru HTTP/%rv" %>Hs %<st "%{Referer}>h" "%{User-Agent}>h" %Ss:%Sh
//! ```
//!
//! What Squid escapes, and what is undone here (into buffers the parser keeps):
//! - user names (`%[un`, `%[ui`, and the built-in writers' `QuoteUrlEncodeUsername`): current
//!   releases write `\` as `\\`, CR/LF as `\r`/`\n`, other controls, bytes ≥ 0x7F, `%`, `[` and
//!   `]` as `%xx`; space is not escaped. Older releases (`username_quote`) left `\` alone and
//!   wrote space as `%20`. `\\` and `%xx` are decoded; `\r`/`\n` are kept as text, since a
//!   lone `DOMAIN\nancy` from an older Squid is far likelier than a line break in a name;
//! - headers (`%{User-Agent}>h` in a custom logformat, or fields appended to the native one)
//!   are URL-escaped (`%20`, `%22`) but `%` is passed through; the built-in `combined` writer
//!   prints them raw, quotes included; `%"{…}>h` escapes `"` and `\` with a backslash. `%xx`,
//!   `\"` and `\\` are decoded;
//! - `%ru` is not decoded (hosts stay as logged). It holds spaces only under
//!   `uri_whitespace allow`, which is not the default; a space-split user name is far more
//!   common, so fields between the URL and `%Sh/%<a` are taken as the user's.
//!
//! `access_log syslog:…` wraps each line in a syslog header, which is stripped.

use crate::observation::{Action, ObsKind, Observation};
use crate::parse::url::split_url;
use crate::parse::{Format, FormatCtx, LineKind, LineParser, ParseError, Sink, line_vote, syslog};
use crate::time::{Timestamp, parse_clf_time, parse_epoch, parse_u64};
use memchr::{memchr, memchr2, memmem};

pub static FORMAT: Format = Format {
    id: "proxy.squid",
    description: "Squid access.log, native format (logformat squid), plain or via syslog",
    probe: probe_native,
    new_parser: new_native,
    splittable: true,
};

pub static FORMAT_CLF: Format = Format {
    id: "proxy.squid-clf",
    description: "Squid access.log, common or combined format (ending in %Ss:%Sh), plain or via syslog",
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

fn new_native(ctx: &FormatCtx) -> Box<dyn LineParser> {
    Box::new(NativeParser {
        year: ctx.default_year,
        bufs: Bufs::default(),
    })
}

fn new_clf(ctx: &FormatCtx) -> Box<dyn LineParser> {
    Box::new(ClfParser {
        year: ctx.default_year,
        bufs: Bufs::default(),
    })
}

/// Where decoded user names and User-Agents go; reused for every line.
#[derive(Default)]
struct Bufs {
    user: Vec<u8>,
    user_agent: Vec<u8>,
}

#[inline]
fn is_sep(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn trim(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|&c| !is_sep(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|&c| !is_sep(c)).map_or(start, |i| i + 1);
    b.get(start..end).unwrap_or_default()
}

/// Cursor over fields separated by runs of spaces (the native format pads `%6tr`).
/// A byte loop: fields are short, so it beats a memchr call per field.
struct Fields<'a> {
    line: &'a [u8],
    pos: usize,
}

impl<'a> Fields<'a> {
    /// `(start, end)` of the next field.
    #[inline]
    fn next_span(&mut self) -> Option<(usize, usize)> {
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
        (i > start).then_some((start, i))
    }

    #[inline]
    fn next_field(&mut self) -> Option<&'a [u8]> {
        self.next_span().map(|(s, e)| &self.line[s..e])
    }

    fn rest(&self) -> &'a [u8] {
        self.line.get(self.pos..).unwrap_or_default()
    }
}

#[inline]
fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// The first `%` or `\\` in `b`.
#[inline]
fn find_escape(b: &[u8]) -> Option<usize> {
    // User names are short, and so are the runs between `%20`s: a byte loop over the first
    // bytes beats a memchr call there.
    const SHORT: usize = 24;
    let head = b.get(..SHORT).unwrap_or(b);
    match head.iter().position(|&c| c == b'%' || c == b'\\') {
        Some(i) => Some(i),
        None if b.len() > SHORT => memchr2(b'%', b'\\', &b[SHORT..]).map(|i| i + SHORT),
        None => None,
    }
}

/// Decodes `%xx` and `\\` (and `\"` when `quotes`) into `buf`; anything else, malformed
/// escapes included, is copied as is. Borrows `raw` when there is nothing to decode.
#[inline]
fn unescape<'a>(raw: &'a [u8], buf: &'a mut Vec<u8>, quotes: bool) -> &'a [u8] {
    match find_escape(raw) {
        None => raw,
        Some(first) => decode(raw, first, buf, quotes),
    }
}

#[inline(never)]
fn decode<'a>(raw: &[u8], first: usize, buf: &'a mut Vec<u8>, quotes: bool) -> &'a [u8] {
    buf.clear();
    buf.extend_from_slice(raw.get(..first).unwrap_or_default());
    let mut i = first;
    while let Some(&c) = raw.get(i) {
        let (byte, used) = match (c, raw.get(i + 1).copied()) {
            (b'%', Some(h)) => match (hex(h), raw.get(i + 2).copied().and_then(hex)) {
                (Some(h), Some(l)) => (h << 4 | l, 3),
                _ => (c, 1),
            },
            (b'\\', Some(n @ b'\\')) => (n, 2),
            (b'\\', Some(n @ b'"')) if quotes => (n, 2),
            _ => (c, 1),
        };
        buf.push(byte);
        i += used;
        let rest = raw.get(i..).unwrap_or_default();
        let run = find_escape(rest).unwrap_or(rest.len());
        buf.extend_from_slice(&rest[..run]);
        i += run;
    }
    buf
}

/// A user name field (`-` for none), decoded.
#[inline]
fn user_name<'a>(raw: &'a [u8], buf: &'a mut Vec<u8>) -> Option<&'a [u8]> {
    dash_none(raw).map(|u| unescape(u, buf, false))
}

/// Maps Squid's result code (`%Ss`) and HTTP status to an action. Only Squid's own
/// `*_DENIED*` codes are blocks: a `TCP_MISS/403` is the origin refusing (Cloudflare
/// challenges do this to chatgpt.com), which says nothing about policy.
#[inline]
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

/// `TAG/…`: `%Sh/%<a` (`HIER_DIRECT/1.2.3.4`, `NONE/-`) or a request's `HTTP/1.1`.
#[inline]
fn tag_slash(b: &[u8]) -> bool {
    if b.starts_with(b"HIER_") {
        return true;
    }
    // A byte loop: a memchr call costs more than these few bytes.
    let n = b
        .iter()
        .take_while(|&&c| c.is_ascii_uppercase() || c == b'_')
        .count();
    n > 0 && b.get(n) == Some(&b'/')
}

/// When the field after the user is no `%Sh/%<a`, the user name holds spaces and runs up to
/// the first field that is: the user and where `%mt` after it ends. `None` when no field is.
#[cold]
fn spaced_user(
    line: &[u8],
    (start, end): (usize, usize),
) -> Result<Option<(&[u8], usize)>, ParseError> {
    let mut r = Fields { line, pos: end };
    let mut last = end;
    while let Some((s, e)) = r.next_span() {
        if tag_slash(&line[s..e]) {
            r.next_span().ok_or(E_FIELDS)?;
            return Ok(Some((&line[start..last], r.pos)));
        }
        last = e;
    }
    Ok(None)
}

/// The message of a syslog line (`access_log syslog:…`), for a line that does not start the
/// way a record does.
#[cold]
#[inline(never)]
fn syslog_message(line: &[u8], year: i32) -> Option<&[u8]> {
    let env = syslog::strip(line, year);
    env.program.map(|_| env.message)
}

struct NativeParser {
    year: i32,
    bufs: Bufs,
}

impl LineParser for NativeParser {
    fn parse_line(&mut self, line: &[u8], sink: &mut Sink<'_>) -> Result<LineKind, ParseError> {
        match native(line, &mut self.bufs, sink) {
            Err(E_TIME) => match syslog_message(line, self.year) {
                // Squid's own cache.log lines or another daemon's: not records.
                Some(m) => native(m, &mut self.bufs, sink).or_else(|e| match e {
                    E_TIME => Ok(LineKind::Meta),
                    e => Err(e),
                }),
                None => Err(E_TIME),
            },
            r => r,
        }
    }
}

fn native(line: &[u8], bufs: &mut Bufs, sink: &mut Sink<'_>) -> Result<LineKind, ParseError> {
    let mut f = Fields { line, pos: 0 };
    let time = f.next_field().and_then(parse_epoch).ok_or(E_TIME)?;
    let (
        Some(_elapsed),
        Some(client),
        Some(code),
        Some(size),
        Some(method),
        Some(url),
        Some(user_span),
        Some(hier),
        Some(_mime),
    ) = (
        f.next_field(),
        f.next_field(),
        f.next_field(),
        f.next_field(),
        f.next_field(),
        f.next_field(),
        f.next_span(),
        f.next_field(),
        f.next_field(),
    )
    else {
        return Err(E_FIELDS);
    };
    let mut user = &line[user_span.0..user_span.1];
    if !tag_slash(hier) {
        if let Some((u, end)) = spaced_user(line, user_span)? {
            (user, f.pos) = (u, end);
        }
    }
    let slash = memchr(b'/', code).ok_or(E_CODE)?;
    let (result, status) = (&code[..slash], parse_u64(&code[slash + 1..]));
    let bytes_in = if size == b"-" {
        None
    } else {
        Some(parse_u64(size).ok_or(E_SIZE)?)
    };
    if let Some(t) = target(method, url) {
        let rest = f.rest();
        let ua = if rest.is_empty() {
            None
        } else {
            trailing_user_agent(rest)
        };
        sink(&Observation {
            kind: t.kind,
            time: Some(time),
            host: Some(t.host),
            path: t.path,
            user_agent: ua.map(|v| unescape(v, &mut bufs.user_agent, true)),
            client: Some(client),
            user: user_name(user, &mut bufs.user),
            bytes_out: None,
            bytes_in,
            action: action(result, status),
        });
    }
    Ok(LineKind::Record)
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

fn is_status(b: &[u8]) -> bool {
    all_digits(b) || b == b"-"
}

/// The parts after the request that were split from the right.
struct Tail<'a> {
    request: &'a [u8],
    status: &'a [u8],
    size: &'a [u8],
    user_agent: Option<&'a [u8]>,
}

/// `b` is everything between the request's opening quote and the `%Ss:%Sh` trailer. Read
/// right to left, so whatever sits in the quoted request can't shift the fields.
fn tail_from_right(b: &[u8]) -> Result<Tail<'_>, ParseError> {
    let (before, user_agent) = match last_quoted(b) {
        // Combined: "Referer" "User-Agent".
        Some((b, ua)) => {
            let (b, _referer) = last_quoted(b).ok_or(E_CLF_QUOTED)?;
            (b, Some(ua))
        }
        None => (b, None),
    };
    let (before, size) = last_field(before);
    let (before, status) = last_field(before);
    let close = before
        .iter()
        .rposition(|&c| !is_sep(c))
        .filter(|&i| before[i] == b'"')
        .ok_or(E_CLF_STATUS)?;
    if !is_status(status) {
        return Err(E_CLF_STATUS);
    }
    Ok(Tail {
        request: &before[..close],
        status,
        size,
        user_agent,
    })
}

/// The built-in `combined` writer prints Referer and User-Agent raw, so a User-Agent may hold
/// bare quotes: find the request's end at the first `" status size "` instead, then the
/// Referer's end at the first `" "` after it.
fn tail_from_left(b: &[u8]) -> Option<Tail<'_>> {
    let end = b.iter().rposition(|&c| !is_sep(c))?;
    let body = b.get(..end).filter(|_| b[end] == b'"')?;
    for q in memchr::memchr_iter(b'"', body) {
        let mut f = Fields {
            line: body,
            pos: q + 1,
        };
        let (Some(status), Some(size)) = (f.next_field(), f.next_field()) else {
            continue;
        };
        let rest = f.rest();
        if !is_status(status) || !is_status(size) || !rest.starts_with(b" \"") {
            continue;
        }
        let referer_and_ua = &rest[2..];
        let split = memmem::find(referer_and_ua, b"\" \"")?;
        return Some(Tail {
            request: &body[..q],
            status,
            size,
            user_agent: Some(&referer_and_ua[split + 3..]),
        });
    }
    None
}

/// Reads the fixed head left to right and the tail (`%Ss:%Sh`, the combined quoted fields,
/// status and size) right to left, or left to right when bare quotes defeat that.
fn split_clf(line: &[u8]) -> Result<ClfLine<'_>, ParseError> {
    let mut f = Fields { line, pos: 0 };
    let (Some(client), Some(ident)) = (f.next_field(), f.next_field()) else {
        return Err(E_CLF_HEAD);
    };
    // `%[un` escapes `[`, so the user (which may hold spaces) runs up to the `[` of the time.
    let rest = f.rest();
    let open = memchr(b'[', rest).ok_or_else(|| {
        if trim(rest).is_empty() {
            E_CLF_HEAD
        } else {
            E_CLF_TIME
        }
    })?;
    let user = trim(&rest[..open]);
    if user.is_empty() {
        return Err(E_CLF_HEAD);
    }
    // Several words before a `[` may instead be a syslog header (`Jun 10 … squid[812]:` or
    // one without a pid): leave those to the envelope.
    if user.iter().any(|&c| is_sep(c)) && syslog::strip(line, 1970).program.is_some() {
        return Err(E_CLF_TIME);
    }
    let rest = &rest[open + 1..];
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
    let tail = match tail_from_right(before) {
        Ok(t) => t,
        Err(e) => tail_from_left(before).ok_or(e)?,
    };
    Ok(ClfLine {
        client,
        ident,
        user,
        time,
        request: tail.request,
        status: tail.status,
        size: tail.size,
        user_agent: tail.user_agent.and_then(dash_none),
        result,
    })
}

struct ClfParser {
    year: i32,
    bufs: Bufs,
}

impl LineParser for ClfParser {
    fn parse_line(&mut self, line: &[u8], sink: &mut Sink<'_>) -> Result<LineKind, ParseError> {
        match clf(line, &mut self.bufs, sink) {
            Err(e @ (E_CLF_HEAD | E_CLF_TIME)) => match syslog_message(line, self.year) {
                Some(m) => clf(m, &mut self.bufs, sink).or_else(|e| match e {
                    E_CLF_HEAD | E_CLF_TIME => Ok(LineKind::Meta),
                    e => Err(e),
                }),
                None => Err(e),
            },
            r => r,
        }
    }
}

/// `(method, url)` of `%rm %ru HTTP/%rv`; the URL may hold spaces (`uri_whitespace allow`).
fn request_parts(request: &[u8]) -> (&[u8], &[u8]) {
    let mut r = Fields {
        line: request,
        pos: 0,
    };
    let method = r.next_field().unwrap_or_default();
    let rest = trim(r.rest());
    let (before, version) = last_field(rest);
    let url = if !trim(before).is_empty() && tag_slash(version) {
        trim(before)
    } else {
        rest
    };
    (method, url)
}

fn clf(line: &[u8], bufs: &mut Bufs, sink: &mut Sink<'_>) -> Result<LineKind, ParseError> {
    let c = split_clf(line)?;
    let bytes_in = if c.size == b"-" {
        None
    } else {
        Some(parse_u64(c.size).ok_or(E_CLF_STATUS)?)
    };
    // A `"-"` or binary request has no uppercase method token and yields no observation
    // (the line is still a record).
    let (method, url) = request_parts(c.request);
    if let Some(t) = target(method, url).filter(|_| is_method(method)) {
        let user = if c.user == b"-" { c.ident } else { c.user };
        sink(&Observation {
            kind: t.kind,
            time: Some(c.time),
            host: Some(t.host),
            path: t.path,
            user_agent: c
                .user_agent
                .map(|v| unescape(v, &mut bufs.user_agent, true)),
            client: Some(c.client),
            user: user_name(user, &mut bufs.user),
            bytes_out: None,
            bytes_in,
            action: action(c.result, parse_u64(c.status)),
        });
    }
    Ok(LineKind::Record)
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
    // A user name may hold a few spaces.
    let hier_ok = (0..4).any(|_| code_ok(next()));
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

/// `line` itself, or the message of the syslog envelope around it, passes `ok`.
fn plain_or_enveloped(line: &[u8], ok: fn(&[u8]) -> bool) -> bool {
    ok(line) || {
        let env = syslog::strip(line, 1970);
        env.program.is_some() && ok(env.message)
    }
}

fn no_skip(_: &[u8]) -> bool {
    false
}

fn probe_native(head: &[u8]) -> u8 {
    line_vote(head, no_skip, |l| plain_or_enveloped(l, native_line_ok))
}

fn probe_clf(head: &[u8]) -> u8 {
    line_vote(head, no_skip, |l| {
        plain_or_enveloped(l, |m| split_clf(m).is_ok())
    })
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
    const ESCAPES: &[u8] = include_bytes!("../../../tests/data/proxy/squid-escapes.log");
    const SYSLOG: &[u8] = include_bytes!("../../../tests/data/proxy/squid-syslog.log");
    const CLF_ESCAPES: &[u8] =
        include_bytes!("../../../tests/data/proxy/squid-combined-escapes.log");
    const CLF_SYSLOG: &[u8] = include_bytes!("../../../tests/data/proxy/squid-combined-syslog.log");

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
            // A lone backslash (older Squid, or a raw `%un`) is kept.
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
            // `%40` is decoded like any `%xx`.
            OwnedObservation {
                user: s("alice@corp.example.com"),
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
            // A syslog header is not a record start unless a record follows it.
            (b"Jun 10 06:13:20 proxy", E_TIME),
            (b"Jun 10 06:13:20 proxy squid[812]: 1718000000.123 5 10.0.0.1 TCP_MISS/200", E_FIELDS),
            (b"<30>Jun 10 06:13:20 proxy squid[812]: 1718000000.123 5 10.0.0.1 TCP_MISS/200 1x GET http://a/ - HIER_NONE/- -", E_SIZE),
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
                user: s("alice@corp.example.com"),
                // `%"{User-Agent}>h` escapes quotes with a backslash.
                user_agent: s("Mozilla/5.0 \"compatible\" Claude-Desktop/0.7.1"),
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
        for text in [
            VARIANTS,
            LOGSTASH,
            COMBINED,
            ESCAPES,
            SYSLOG,
            CLF_ESCAPES,
            CLF_SYSLOG,
        ] {
            for line in text.split(|&b| b == b'\n') {
                for fmt in [&FORMAT, &FORMAT_CLF] {
                    let mut p = (fmt.new_parser)(&FormatCtx::default());
                    let mut any = |l: &[u8]| {
                        let _ = p.parse_line(l, &mut |_: &Observation<'_>| {});
                    };
                    for n in 0..=line.len() {
                        any(&line[..n]);
                    }
                    let mut m = line.to_vec();
                    for _ in 0..200 {
                        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                        if let Some(b) = m.get_mut((seed >> 33) as usize % line.len().max(1)) {
                            let pool = b" \"\\[]:/-.0%<\xff";
                            *b = pool[(seed >> 20) as usize % pool.len()];
                        }
                        any(&m);
                    }
                }
            }
        }
    }

    #[test]
    fn unescape_decodes_squid_escapes() {
        let cases: &[(&[u8], bool, &[u8])] = &[
            (b"CORP\\\\asmith", false, b"CORP\\asmith"),
            // A lone backslash (older Squid did not double it) stays.
            (b"CORP\\bob", false, b"CORP\\bob"),
            // `\n`, `\r` are Squid's escapes for CR/LF, but far more often an old log's
            // `DOMAIN\nancy`: kept as text.
            (b"CORP\\nancy", false, b"CORP\\nancy"),
            (b"CORP\\\\nancy", false, b"CORP\\nancy"),
            (b"j%c3%b6rg", false, "jörg".as_bytes()),
            (b"%5Bsvc%5d%25%09x", false, b"[svc]%\tx"),
            (b"%ff%FE", false, b"\xff\xfe"),
            // Malformed escapes are copied.
            (b"100%", false, b"100%"),
            (b"%4", false, b"%4"),
            (b"%zz%4g\\", false, b"%zz%4g\\"),
            (b"a\\\"b", false, b"a\\\"b"),
            (b"a\\\"b\\\\c", true, b"a\"b\\c"),
            (b"claude-cli/1.0.35%20(external,%20cli)", true, b"claude-cli/1.0.35 (external, cli)"),
            (
                b"Mozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)%20AppleWebKit/537.36%20%22x%22",
                true,
                b"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \"x\"",
            ),
        ];
        let mut buf = Vec::new();
        for &(raw, quotes, want) in cases {
            assert_eq!(
                unescape(raw, &mut buf, quotes),
                want,
                "{}",
                String::from_utf8_lossy(raw)
            );
        }
        // Nothing to decode: the field itself is returned, and the buffer is left alone.
        buf = b"stale".to_vec();
        let raw = &b"alice@corp.example.com"[..];
        assert!(std::ptr::eq(unescape(raw, &mut buf, false), raw));
        let long = &b"Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0"[..];
        assert!(std::ptr::eq(unescape(long, &mut buf, true), long));
        assert_eq!(buf, b"stale");
    }

    #[test]
    fn native_escapes_fixture() {
        let (got, errors) = run(&FORMAT, ESCAPES);
        assert_eq!(errors, vec![]);
        let want = vec![
            OwnedObservation {
                user: s("CORP\\asmith"),
                bytes_in: Some(24511),
                action: Allowed,
                ..connect(1718100000120, "10.20.30.60", "claude.ai:443")
            },
            OwnedObservation {
                user: s("jörg.müller"),
                bytes_in: Some(1830),
                action: Allowed,
                ..get(
                    1718100001004,
                    "10.20.30.61",
                    "api.openai.com",
                    "/v1/responses",
                )
            },
            OwnedObservation {
                user: s("[svc]-backup%"),
                bytes_in: Some(612),
                action: Allowed,
                ..get(1718100002310, "10.20.30.62", "www.example.com", "/")
            },
            OwnedObservation {
                user: s("100%zz%4"),
                bytes_in: Some(3950),
                action: Blocked,
                ..get(1718100003777, "10.20.30.63", "chatgpt.com", "/")
            },
            OwnedObservation {
                user: s("CORP\\nancy"),
                bytes_in: Some(5120),
                action: Allowed,
                ..connect(1718100004018, "10.20.30.64", "gemini.google.com:443")
            },
            // Current Squid does not escape spaces in user names.
            OwnedObservation {
                user: s("John Smith"),
                bytes_in: Some(7200),
                action: Allowed,
                ..connect(1718100005500, "10.20.30.65", "chatgpt.com:443")
            },
            // Older releases wrote them `%20`.
            OwnedObservation {
                user: s("John Doe"),
                bytes_in: Some(2388),
                action: Allowed,
                ..get(
                    1718100006250,
                    "10.20.30.66",
                    "api.anthropic.com",
                    "/v1/models",
                )
            },
            // `"%{User-Agent}>h"` appended: URL-escaped.
            OwnedObservation {
                user: s("svc-ci"),
                user_agent: s("claude-cli/1.0.35 (external, cli)"),
                bytes_in: Some(48213),
                action: Allowed,
                ..connect(1718100007900, "10.20.30.67", "api.anthropic.com:443")
            },
            // `%ru` is left as logged, host included.
            OwnedObservation {
                bytes_in: Some(1162),
                action: Unknown,
                ..get(1718100008001, "10.20.30.68", "cl%61ude.ai", "/new%20chat")
            },
            // `%"{User-Agent}>h` appended: backslash-escaped.
            OwnedObservation {
                user_agent: s("Mozilla/5.0 \"quoted\" Agent\\Win"),
                bytes_in: Some(901),
                action: Allowed,
                ..get(1718100009640, "10.20.30.69", "www.example.com", "/a")
            },
        ];
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g, w);
        }
    }

    #[test]
    fn native_spaced_user_edge_cases() {
        // No `%Sh/%<a` anywhere after the user: the fields are taken as they are.
        let got = one(
            &FORMAT,
            b"1718000000.123 5 10.0.0.1 TCP_MISS/200 77 GET http://claude.ai/ bob direct text/html",
        );
        assert_eq!(got.unwrap()[0].user.as_deref(), Some("bob"));
        // A user with spaces needs `%mt` after `%Sh/%<a` like any other.
        assert_eq!(
            one(
                &FORMAT,
                b"1718000000.123 5 10.0.0.1 TCP_MISS/200 77 GET http://claude.ai/ John Smith HIER_NONE/-",
            ),
            Err(E_FIELDS)
        );
        // TIMEOUT_ prefixed and pre-3.0 hierarchy codes are recognised.
        for hier in ["TIMEOUT_CLOSEST_PARENT/peer", "DIRECT/1.2.3.4", "NONE/-"] {
            let line = format!(
                "1718000000.123 5 10.0.0.1 TCP_MISS/200 77 GET http://claude.ai/ a b {hier} -"
            );
            let got = one(&FORMAT, line.as_bytes()).unwrap();
            assert_eq!(got[0].user.as_deref(), Some("a b"), "{hier}");
        }
    }

    #[test]
    fn decoding_buffers_are_reused_across_lines() {
        let mut p = (FORMAT.new_parser)(&FormatCtx::default());
        let mut users = Vec::new();
        for line in [
            &b"1718000000.123 5 10.0.0.1 TCP_MISS/200 7 GET http://a/ CORP\\\\a-long-user-name HIER_NONE/- - \"x/1%20y\""[..],
            b"1718000000.123 5 10.0.0.1 TCP_MISS/200 7 GET http://a/ B\\\\c HIER_NONE/- - \"z/2\"",
            b"1718000000.123 5 10.0.0.1 TCP_MISS/200 7 GET http://a/ d%41 HIER_NONE/- -",
        ] {
            p.parse_line(line, &mut |o: &Observation<'_>| {
                let o = o.to_owned();
                users.push((o.user, o.user_agent));
            })
            .unwrap();
        }
        assert_eq!(
            users,
            [
                (s("CORP\\a-long-user-name"), s("x/1 y")),
                (s("B\\c"), s("z/2")),
                (s("dA"), None)
            ]
        );
    }

    #[test]
    fn native_syslog_fixture() {
        let ctx = FormatCtx { default_year: 2024 };
        let (got, errors) = parse_text(&FORMAT, &ctx, SYSLOG);
        assert_eq!(errors, vec![]);
        // The record's own epoch time is used, not the syslog header's.
        let want = vec![
            OwnedObservation {
                user: s("CORP\\asmith"),
                bytes_in: Some(48213),
                action: Allowed,
                ..connect(1718013600123, "10.20.30.41", "chatgpt.com:443")
            },
            OwnedObservation {
                bytes_in: Some(7311),
                action: Allowed,
                ..connect(1718013601457, "10.20.30.42", "api.openai.com:443")
            },
            OwnedObservation {
                bytes_in: Some(15720),
                action: Allowed,
                ..get(
                    1718013602004,
                    "10.20.30.43",
                    "www.example.com",
                    "/index.html",
                )
            },
            OwnedObservation {
                user: s("alice"),
                bytes_in: Some(2388),
                action: Allowed,
                ..get(
                    1718013603250,
                    "10.20.30.41",
                    "api.openai.com",
                    "/v1/chat/completions",
                )
            },
            OwnedObservation {
                user: s("carol"),
                bytes_in: Some(3921),
                action: Blocked,
                ..connect(1718013604010, "10.20.30.44", "claude.ai:443")
            },
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn syslog_lines_without_a_record_are_meta() {
        let mut native = (FORMAT.new_parser)(&FormatCtx::default());
        let mut clf = (FORMAT_CLF.new_parser)(&FormatCtx::default());
        for line in [
            &b"Jun 10 10:00:02 proxy squid[812]: Starting new redirector helpers..."[..],
            b"Jun 10 10:00:02 proxy kernel: eth0: link up",
            b"<30>Jun 10 10:00:02 proxy squid[812]: ",
        ] {
            let text = String::from_utf8_lossy(line);
            let mut n = 0;
            assert_eq!(
                native.parse_line(line, &mut |_: &Observation<'_>| n += 1),
                Ok(LineKind::Meta),
                "{text}"
            );
            assert_eq!(
                clf.parse_line(line, &mut |_: &Observation<'_>| n += 1),
                Ok(LineKind::Meta),
                "{text}"
            );
            assert_eq!(n, 0);
        }
    }

    #[test]
    fn clf_escapes_fixture() {
        let (got, errors) = run(&FORMAT_CLF, CLF_ESCAPES);
        assert_eq!(errors, vec![]);
        let t = |sec: i64| ms(1718000400000 + sec * 1000);
        let want = vec![
            OwnedObservation {
                time: t(0),
                user: s("CORP\\rsingh"),
                user_agent: s("OpenAI/Python 1.52.0"),
                bytes_in: Some(4579),
                action: Allowed,
                ..get(0, "10.20.30.70", "api.openai.com", "/v1/chat/completions")
            },
            OwnedObservation {
                time: t(1),
                user_agent: s("claude-cli/1.0.35 (external, cli)"),
                bytes_in: Some(2822),
                action: Allowed,
                ..connect(0, "10.20.30.71", "claude.ai:443")
            },
            OwnedObservation {
                time: t(2),
                user: s("John Smith"),
                user_agent: s(
                    "Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0",
                ),
                bytes_in: Some(9120),
                action: Allowed,
                ..connect(0, "10.20.30.72", "chatgpt.com:443")
            },
            // The built-in `combined` writer prints the User-Agent raw, quotes and all.
            OwnedObservation {
                time: t(3),
                user_agent: s("Mozilla/5.0 \"compatible\" Chat-Client/2.1"),
                bytes_in: Some(5311),
                action: Allowed,
                ..get(0, "10.20.30.73", "chatgpt.com", "/")
            },
            // `uri_whitespace allow` keeps spaces in `%ru`.
            OwnedObservation {
                time: t(4),
                user: s("jörg"),
                user_agent: s("Wget/1.21.4"),
                bytes_in: Some(1162),
                action: Unknown,
                ..get(0, "10.20.30.74", "www.example.com", "/a b.html")
            },
            OwnedObservation {
                time: t(5),
                user: s("CORP\\ident"),
                bytes_in: Some(512),
                action: Allowed,
                ..connect(0, "10.20.30.75", "gemini.google.com:443")
            },
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn clf_syslog_fixture() {
        let (got, errors) = run(&FORMAT_CLF, CLF_SYSLOG);
        assert_eq!(errors, vec![]);
        let want = vec![
            OwnedObservation {
                time: ms(1718000406000),
                user: s("CORP\\pnair"),
                user_agent: s("Mozilla/5.0 (Windows NT 10.0)"),
                bytes_in: Some(224510),
                action: Allowed,
                ..connect(0, "10.20.30.76", "gemini.google.com:443")
            },
            OwnedObservation {
                time: ms(1718000407000),
                bytes_in: Some(901),
                action: Allowed,
                ..get(0, "10.20.30.77", "claude.ai", "/")
            },
            OwnedObservation {
                time: ms(1718000408000),
                user: s("alice"),
                bytes_in: Some(4122),
                action: AuthRequired,
                ..connect(0, "10.20.30.78", "chatgpt.com:443")
            },
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn clf_request_parts() {
        let cases: &[(&[u8], &[u8], &[u8])] = &[
            (b"GET http://a/b HTTP/1.1", b"GET", b"http://a/b"),
            (b"GET http://a/b c  HTTP/1.0", b"GET", b"http://a/b c"),
            (
                b"NONE error:invalid-request NONE/0.0",
                b"NONE",
                b"error:invalid-request",
            ),
            (b"GET http://a/b", b"GET", b"http://a/b"),
            (b"GET HTTP/1.1", b"GET", b"HTTP/1.1"),
            (b"-", b"-", b""),
            (b"", b"", b""),
        ];
        for &(req, method, url) in cases {
            assert_eq!(
                request_parts(req),
                (method, url),
                "{}",
                String::from_utf8_lossy(req)
            );
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
        assert_eq!(probe_native(ESCAPES), 100);
        // Five records and one of Squid's own messages.
        assert_eq!(probe_native(SYSLOG), 83);
        assert_eq!(probe_clf(CLF_ESCAPES), 100);
        assert_eq!(probe_clf(CLF_SYSLOG), 75);
        assert!(probe_clf(SYSLOG) < 50);
        assert!(probe_native(CLF_SYSLOG) < 50);
        // Squid through syslog is not mistaken for the DNS daemons that also log there.
        for f in crate::parse::FORMATS {
            if !f.id.starts_with("proxy.squid") {
                for head in [SYSLOG, CLF_SYSLOG, ESCAPES, CLF_ESCAPES] {
                    assert!((f.probe)(head) < 50, "{} claims squid", f.id);
                }
            }
        }
        assert_eq!(probe_native(b""), 0);
        assert_eq!(probe_clf(b""), 0);
    }
}
