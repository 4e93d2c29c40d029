//! Splitting the URL forms logs print into host and path, without allocating.

/// The parts of a logged URL the signature engine uses.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct UrlParts<'a> {
    /// Host as written (may carry `:port`, `[v6]`); `None` for origin-form (`/path`) URLs.
    pub host: Option<&'a [u8]>,
    /// Path and query, starting with `/`; `None` when the URL has none (`host:port`).
    pub path: Option<&'a [u8]>,
}

/// Splits absolute URLs (`http://user@host:80/p?q`), authority form (`host:443`, as in
/// CONNECT), scheme-less `host/path`, and origin form (`/path`).
pub fn split_url(url: &[u8]) -> UrlParts<'_> {
    if url.is_empty() || url == b"-" {
        return UrlParts::default();
    }
    if url[0] == b'/' {
        return UrlParts {
            host: None,
            path: Some(url),
        };
    }
    let rest = match memchr::memmem::find(url, b"://") {
        Some(i)
            if url[..i]
                .iter()
                .all(|c| c.is_ascii_alphanumeric() || b"+-.".contains(c)) =>
        {
            &url[i + 3..]
        }
        _ => url,
    };
    let end = rest
        .iter()
        .position(|&c| c == b'/' || c == b'?' || c == b'#')
        .unwrap_or(rest.len());
    let mut authority = &rest[..end];
    if let Some(at) = memchr::memrchr(b'@', authority) {
        authority = &authority[at + 1..];
    }
    let path = match rest.get(end) {
        Some(b'/') => Some(&rest[end..]),
        Some(b'?') => Some(&rest[end..]),
        _ => None,
    };
    UrlParts {
        host: (!authority.is_empty()).then_some(authority),
        path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: Option<&[u8]>) -> Option<&str> {
        v.map(|b| std::str::from_utf8(b).unwrap())
    }

    fn parts(u: &str) -> (Option<&str>, Option<&str>) {
        let p = split_url(u.as_bytes());
        (s(p.host), s(p.path))
    }

    #[test]
    fn forms() {
        assert_eq!(parts("http://hi5.com/"), (Some("hi5.com"), Some("/")));
        assert_eq!(
            parts("https://u:p@api.openai.com:443/v1/chat?x=1"),
            (Some("api.openai.com:443"), Some("/v1/chat?x=1"))
        );
        assert_eq!(
            parts("login.yahoo.com:443"),
            (Some("login.yahoo.com:443"), None)
        );
        assert_eq!(parts("/v1/messages"), (None, Some("/v1/messages")));
        assert_eq!(parts("example.com?q"), (Some("example.com"), Some("?q")));
        assert_eq!(
            parts("[2001:db8::1]:443"),
            (Some("[2001:db8::1]:443"), None)
        );
        assert_eq!(parts("-"), (None, None));
    }
}
