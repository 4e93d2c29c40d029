//! Host names as the matcher sees them: lower-case ASCII (IDN as punycode), no trailing
//! dot, no port, no brackets; and `*` patterns over labels.

/// Normalises a host as logged into `out` (cleared first). Returns `false` when there is
/// no name to match: empty, an IP literal, or bytes that are not a host name.
pub fn normalize_host(raw: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    let mut h = trim_ascii(raw);
    if let Some(rest) = h.strip_prefix(b"[") {
        // `[v6]` or `[v6]:port`: an address, not a name.
        let _ = rest;
        return false;
    }
    // `host:port`; more than one colon means a bare IPv6 address.
    match memchr::memchr_iter(b':', h).count() {
        0 => {}
        1 => h = &h[..memchr::memchr(b':', h).unwrap_or(h.len())],
        _ => return false,
    }
    while let Some(s) = h.strip_suffix(b".") {
        h = s;
    }
    if h.is_empty() || h.len() > 253 * 4 {
        return false;
    }
    if h.is_ascii() {
        out.extend(h.iter().map(u8::to_ascii_lowercase));
    } else {
        // Internationalised names compare in their punycode form, as DNS carries them.
        let Ok(s) = std::str::from_utf8(h) else {
            return false;
        };
        match idna::domain_to_ascii(s) {
            Ok(a) => out.extend_from_slice(a.as_bytes()),
            Err(_) => return false,
        }
    }
    if out.iter().all(|c| c.is_ascii_digit() || *c == b'.') {
        return false; // IPv4 literal
    }
    out.iter()
        .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'*'))
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &b[start..end]
}

/// Start offsets of every label-boundary suffix of `host`, longest first:
/// `a.b.c` → 0 (`a.b.c`), 2 (`b.c`), 4 (`c`).
pub fn suffix_starts(host: &[u8]) -> impl Iterator<Item = usize> + '_ {
    std::iter::once(0).chain(memchr::memchr_iter(b'.', host).map(|i| i + 1))
}

/// A host pattern: labels compared one by one; `*` inside a label matches any run of
/// characters within that label (never a dot).
#[derive(Clone, Debug)]
pub struct HostPattern {
    labels: Vec<Vec<u8>>,
}

impl HostPattern {
    /// Parses a normalised pattern. Returns the pattern and its literal suffix (the labels
    /// right of the last label that holds a `*`), which indexes it.
    pub fn parse(p: &str) -> Result<(HostPattern, String), String> {
        let labels: Vec<Vec<u8>> = p.split('.').map(|l| l.as_bytes().to_vec()).collect();
        if labels.iter().any(Vec::is_empty) {
            return Err("empty label".into());
        }
        let last_wild = labels
            .iter()
            .rposition(|l| l.contains(&b'*'))
            .ok_or("no `*` in the pattern (use `host` instead)")?;
        if labels
            .iter()
            .any(|l| l.iter().filter(|&&c| c == b'*').count() > 1)
        {
            return Err("at most one `*` per label".into());
        }
        if labels.len() - last_wild - 1 < 2 {
            return Err("needs at least two literal labels right of the last `*`".into());
        }
        let suffix = p
            .split('.')
            .skip(last_wild + 1)
            .collect::<Vec<_>>()
            .join(".");
        Ok((HostPattern { labels }, suffix))
    }

    pub fn matches(&self, host: &[u8]) -> bool {
        let mut labels = host.split(|&c| c == b'.');
        for want in &self.labels {
            match labels.next() {
                Some(got) if label_matches(want, got) => {}
                _ => return false,
            }
        }
        labels.next().is_none()
    }
}

fn label_matches(want: &[u8], got: &[u8]) -> bool {
    match memchr::memchr(b'*', want) {
        None => want == got,
        Some(i) => {
            let (pre, post) = (&want[..i], &want[i + 1..]);
            !got.is_empty()
                && got.len() >= pre.len() + post.len()
                && got.starts_with(pre)
                && got.ends_with(post)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> Option<String> {
        let mut out = Vec::new();
        normalize_host(s.as_bytes(), &mut out).then(|| String::from_utf8(out).unwrap())
    }

    #[test]
    fn normalisation() {
        assert_eq!(norm("API.OpenAI.com."), Some("api.openai.com".into()));
        assert_eq!(norm("chatgpt.com:443"), Some("chatgpt.com".into()));
        assert_eq!(norm("bücher.example"), Some("xn--bcher-kva.example".into()));
        assert_eq!(norm("10.1.2.3"), None);
        assert_eq!(norm("10.1.2.3:80"), None);
        assert_eq!(norm("[2001:db8::1]:443"), None);
        assert_eq!(norm("2001:db8::1"), None);
        assert_eq!(norm(""), None);
        assert_eq!(norm("bad host"), None);
    }

    #[test]
    fn patterns() {
        let (p, suffix) = HostPattern::parse("bedrock-runtime.*.amazonaws.com").unwrap();
        assert_eq!(suffix, "amazonaws.com");
        assert!(p.matches(b"bedrock-runtime.us-east-1.amazonaws.com"));
        assert!(!p.matches(b"bedrock-runtime.amazonaws.com"));
        assert!(!p.matches(b"bedrock-runtime.a.b.amazonaws.com"));
        assert!(!p.matches(b"s3.us-east-1.amazonaws.com"));
        let (p, suffix) = HostPattern::parse("*-aiplatform.googleapis.com").unwrap();
        assert_eq!(suffix, "googleapis.com");
        assert!(p.matches(b"us-central1-aiplatform.googleapis.com"));
        assert!(!p.matches(b"aiplatform.googleapis.com"));
        assert!(!p.matches(b"x.us-central1-aiplatform.googleapis.com"));
        assert!(HostPattern::parse("*.com").is_err());
        assert!(HostPattern::parse("a.b.com").is_err());
    }
}
