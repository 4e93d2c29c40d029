//! Host names as the matcher sees them: lower-case ASCII (IDN as punycode), no trailing
//! dot, no port, no brackets; and `*` patterns over labels.

/// Normalises a host as logged into `out` (cleared first). Returns `false` when there is
/// no name to match: empty, an IP literal, or bytes that are not a host name.
pub fn normalize_host(raw: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    let mut h = trim_ascii(raw);
    if h.first() == Some(&b'[') {
        return false; // `[v6]` or `[v6]:port`: an address, not a name.
    }
    // `host:port`; a second colon means a bare IPv6 address.
    if let Some(i) = memchr::memchr(b':', h) {
        if memchr::memchr(b':', &h[i + 1..]).is_some() {
            return false;
        }
        h = &h[..i];
    }
    while let Some(s) = h.strip_suffix(b".") {
        h = s;
    }
    if h.is_empty() || h.len() > 1024 {
        return false;
    }
    if !h.is_ascii() {
        return normalize_idn(h, out);
    }
    out.extend_from_slice(h);
    out.make_ascii_lowercase();
    // AND of every byte's class: is each a host character, and is each a digit or dot (IPv4).
    let class = out.iter().fold(HOST_CHAR | DIGIT_OR_DOT, |acc, &c| {
        acc & CLASS[usize::from(c)]
    });
    class & HOST_CHAR != 0 && class & DIGIT_OR_DOT == 0
}

const HOST_CHAR: u8 = 1;
const DIGIT_OR_DOT: u8 = 2;
/// Byte classes for lower-cased ASCII host names.
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        if b.is_ascii_lowercase() || b == b'-' || b == b'_' || b == b'*' {
            t[c] = HOST_CHAR;
        } else if b.is_ascii_digit() || b == b'.' {
            t[c] = HOST_CHAR | DIGIT_OR_DOT;
        }
        c += 1;
    }
    t
};

/// Internationalised names compare in their punycode form, as DNS carries them. The
/// mapped name goes through the ASCII path again: IDNA mapping can produce a trailing dot
/// (U+3002 becomes `.`) or an all-digit name.
fn normalize_idn(h: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    let Ok(s) = std::str::from_utf8(h) else {
        return false;
    };
    match idna::domain_to_ascii(s) {
        Ok(a) if a.is_ascii() && !a.is_empty() => normalize_host(a.as_bytes(), out),
        _ => false,
    }
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
