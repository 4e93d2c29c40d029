//! AI command-line agents (Claude Code, Codex CLI, Gemini CLI, Aider, Copilot CLI, Cursor,
//! Continue, Goose, OpenCode, Amazon Q) by their configuration folders and files, and the
//! MCP servers configured for AI clients, one artefact per server. A server's detail is its
//! command line (or URL) with anything that looks like a secret masked; environment
//! values and header values are never reported, only their names.

use super::userpath::{
    clean, ends_with_ci, eq, err, home_rest, lossy, read_capped, short_components, slash_path, tail,
};
use crate::endpoint::artifact::{
    Artifact, ArtifactKind, ArtifactSink, Descend, DetectError, EndpointCtx, MAX_MANIFEST_BYTES,
    Selector,
};
use serde_json::{Map, Value};
use std::collections::HashSet;
use std::path::Path;

/// What replaces a secret.
const MASK: &str = "****";
/// Longest detail reported, in characters.
const MAX_DETAIL: usize = 300;

/// Home-relative folders that only an agent writes, with the agent's name.
const AGENT_DIRS: &[(&[&str], &str)] = &[
    (&[".claude"], "Claude Code"),
    (&[".codex"], "Codex CLI"),
    (&[".gemini"], "Gemini CLI"),
    (&[".copilot"], "GitHub Copilot CLI"),
    (&[".cursor"], "Cursor"),
    (&[".continue"], "Continue"),
    (&[".config", "goose"], "Goose"),
    (&["AppData", "Roaming", "Block", "goose"], "Goose"),
    (&[".config", "opencode"], "OpenCode"),
    (&[".aws", "amazonq"], "Amazon Q Developer"),
];

pub fn on_dir(
    _ctx: &EndpointCtx,
    rel: &Path,
    _abs: &Path,
    sink: &mut ArtifactSink<'_>,
) -> Result<Descend, DetectError> {
    let [name]: [&[u8]; 1] = tail(rel);
    if !(name.first() == Some(&b'.')
        || eq(name, "goose")
        || eq(name, "opencode")
        || eq(name, "amazonq"))
    {
        return Ok(Descend::Yes);
    }
    let Some(rest) = home_rest(rel) else {
        return Ok(Descend::Yes);
    };
    let Some((c, n)) = short_components::<4>(rest) else {
        return Ok(Descend::Yes);
    };
    let c = &c[..n];
    let found = AGENT_DIRS
        .iter()
        .find(|(pat, _)| pat.len() == c.len() && pat.iter().zip(c).all(|(p, x)| eq(x, p)));
    if let Some((_, tool)) = found {
        sink(agent(rel, slash_path(rest), tool));
    }
    Ok(Descend::Yes)
}

pub fn on_file(
    _ctx: &EndpointCtx,
    rel: &Path,
    abs: &Path,
    _size: &dyn Fn() -> u64,
    sink: &mut ArtifactSink<'_>,
) -> Result<(), DetectError> {
    let t: [&[u8]; 3] = tail(rel);
    let name = t[0];
    if name.first() == Some(&b'.') {
        // Aider writes these in each repository it runs in, so anywhere counts; the
        // selector is the file name.
        if eq(name, ".aider.conf.yml") || eq(name, ".aider.chat.history.md") {
            sink(agent(rel, lossy(name), "Aider"));
            return Ok(());
        }
        if eq(name, ".claude.json") {
            if home_rest(rel).is_some_and(|r| r.components().count() == 1) {
                sink(agent(rel, ".claude.json".to_string(), "Claude Code"));
            }
            return mcp_file(rel, abs, Source::ClaudeJson, sink);
        }
    }
    match mcp_source(&t) {
        Some(src) => mcp_file(rel, abs, src, sink),
        None => Ok(()),
    }
}

fn agent(path: &Path, config: String, tool: &str) -> Artifact {
    Artifact {
        kind: ArtifactKind::Agent,
        selector: Selector::ConfigPath(config),
        name: Some(tool.to_string()),
        version: None,
        path: path.to_path_buf(),
        line: None,
        size: None,
        detail: None,
    }
}

// ---------------------------------------------------------------- MCP sources

#[derive(Copy, Clone)]
enum Source {
    /// JSON with servers under this top-level key.
    Json(&'static str),
    /// `~/.claude.json`: `mcpServers` and `projects.<path>.mcpServers`.
    ClaudeJson,
    /// `~/.codex/config.toml`: `[mcp_servers.<name>]`.
    CodexToml,
    /// `opencode.json`: `mcp.<name>` with `command` as an array.
    OpenCode,
}

/// `t` is `[file, parent, grandparent]`.
fn mcp_source(t: &[&[u8]; 3]) -> Option<Source> {
    let [name, parent, grand] = *t;
    let is = |n: &str, p: &str| eq(name, n) && eq(parent, p);
    let vscode_user = eq(parent, "User")
        && (eq(grand, "Code") || eq(grand, "Code - Insiders") || eq(grand, "VSCodium"));
    if eq(name, "mcp.json") && (eq(parent, ".vscode") || vscode_user) {
        return Some(Source::Json("servers"));
    }
    if is("config.toml", ".codex") {
        return Some(Source::CodexToml);
    }
    if is("opencode.json", "opencode") && eq(grand, ".config") {
        return Some(Source::OpenCode);
    }
    let mcp_servers = is("claude_desktop_config.json", "Claude")
        || eq(name, ".mcp.json")
        || (eq(name, "mcp.json")
            && (eq(parent, ".cursor")
                || eq(parent, ".github")
                || eq(parent, ".amazonq")
                || (eq(parent, "amazonq") && eq(grand, ".aws"))))
        || is("settings.json", ".gemini")
        || (is("mcp_config.json", "windsurf") && eq(grand, ".codeium"))
        || is("mcp-config.json", ".copilot")
        || (ends_with_ci(name, ".json")
            && (eq(parent, "agents") || eq(parent, "cli-agents"))
            && eq(grand, "amazonq"))
        || is("cline_mcp_settings.json", "settings")
        || (is("mcp_settings.json", "settings") && eq(grand, "rooveterinaryinc.roo-cline"));
    mcp_servers.then_some(Source::Json("mcpServers"))
}

fn mcp_file(
    rel: &Path,
    abs: &Path,
    src: Source,
    sink: &mut ArtifactSink<'_>,
) -> Result<(), DetectError> {
    let what = match src {
        Source::CodexToml => "codex config.toml",
        _ => "mcp config",
    };
    let buf = read_capped(rel, abs, MAX_MANIFEST_BYTES, what)?;
    let mut out = Emitter {
        path: rel,
        seen: HashSet::new(),
        sink,
    };
    // Parse errors carry no detail: a parser's message can quote the file, secrets included.
    if let Source::CodexToml = src {
        let text = std::str::from_utf8(&buf)
            .map_err(|_| err(rel, "codex config.toml: not UTF-8".to_string()))?;
        let doc: toml::Table = toml::from_str(text)
            .map_err(|_| err(rel, "codex config.toml: not TOML".to_string()))?;
        if let Some(toml::Value::Table(servers)) = doc.get("mcp_servers") {
            for (name, v) in servers {
                if let toml::Value::Table(t) = v {
                    out.server(name, &Spec::from_toml(t));
                }
            }
        }
        return Ok(());
    }
    let doc: Value = serde_json::from_slice(&buf)
        .or_else(|_| serde_json::from_slice(&strip_jsonc(&buf)))
        .map_err(|_| err(rel, "mcp config: not JSON".to_string()))?;
    match src {
        Source::Json(key) => out.servers(doc.get(key)),
        Source::ClaudeJson => {
            out.servers(doc.get("mcpServers"));
            if let Some(Value::Object(projects)) = doc.get("projects") {
                for p in projects.values() {
                    out.servers(p.get("mcpServers"));
                }
            }
        }
        Source::OpenCode => out.servers(doc.get("mcp")),
        Source::CodexToml => {}
    }
    Ok(())
}

struct Emitter<'a, 's> {
    path: &'a Path,
    /// (name, detail) already reported from this file (`.claude.json` repeats servers
    /// across projects).
    seen: HashSet<(String, Option<String>)>,
    sink: &'a mut ArtifactSink<'s>,
}

impl Emitter<'_, '_> {
    fn servers(&mut self, v: Option<&Value>) {
        if let Some(Value::Object(map)) = v {
            for (name, spec) in map {
                if let Value::Object(o) = spec {
                    self.server(name, &Spec::from_json(o));
                }
            }
        }
    }

    fn server(&mut self, name: &str, spec: &Spec) {
        let name = clean(name, 100);
        let detail = spec.detail();
        if !self.seen.insert((name.clone(), detail.clone())) {
            return;
        }
        (self.sink)(Artifact {
            kind: ArtifactKind::McpServer,
            selector: Selector::None,
            name: Some(name),
            version: None,
            path: self.path.to_path_buf(),
            line: None,
            size: None,
            detail,
        });
    }
}

/// One server's launch description, whatever the client's format.
#[derive(Default)]
struct Spec {
    command: Option<String>,
    args: Vec<String>,
    url: Option<String>,
    /// Names only: values are never kept.
    env: Vec<String>,
    headers: Vec<String>,
}

impl Spec {
    fn from_json(o: &Map<String, Value>) -> Spec {
        let mut s = Spec::default();
        match o.get("command") {
            Some(Value::String(c)) => s.command = Some(c.clone()),
            // OpenCode: the whole command line as an array.
            Some(Value::Array(a)) => {
                let mut words = a.iter().filter_map(scalar);
                s.command = words.next();
                s.args.extend(words);
            }
            _ => {}
        }
        if let Some(Value::Array(a)) = o.get("args") {
            s.args.extend(a.iter().filter_map(scalar));
        }
        s.url = ["url", "httpUrl", "serverUrl"]
            .iter()
            .find_map(|k| o.get(*k).and_then(Value::as_str))
            .map(str::to_string);
        for k in ["env", "environment"] {
            if let Some(Value::Object(m)) = o.get(k) {
                s.env.extend(m.keys().cloned());
            }
        }
        if let Some(Value::Object(m)) = o.get("headers") {
            s.headers.extend(m.keys().cloned());
        }
        s
    }

    fn from_toml(t: &toml::Table) -> Spec {
        let mut s = Spec {
            command: t
                .get("command")
                .and_then(|v| v.as_str())
                .map(str::to_string),
            url: t.get("url").and_then(|v| v.as_str()).map(str::to_string),
            ..Spec::default()
        };
        if let Some(toml::Value::Array(a)) = t.get("args") {
            s.args.extend(a.iter().filter_map(|v| match v {
                toml::Value::String(x) => Some(x.clone()),
                toml::Value::Integer(i) => Some(i.to_string()),
                toml::Value::Float(f) => Some(f.to_string()),
                toml::Value::Boolean(b) => Some(b.to_string()),
                _ => None,
            }));
        }
        if let Some(toml::Value::Table(m)) = t.get("env") {
            s.env.extend(m.keys().cloned());
        }
        for k in ["http_headers", "env_http_headers"] {
            if let Some(toml::Value::Table(m)) = t.get(k) {
                s.headers.extend(m.keys().cloned());
            }
        }
        s
    }

    /// `command args…` (or the URL), then `[env NAME=****]`, `[headers Name=****]`.
    fn detail(&self) -> Option<String> {
        let mut words: Vec<String> = Vec::new();
        if let Some(c) = &self.command {
            // A command or argument may hold several words (`npx srv --token X`, a shell
            // `-c` string): mask word by word, keeping a secret header whole.
            let mut all: Vec<String> = c.split_whitespace().map(str::to_string).collect();
            for a in &self.args {
                match header_split(a) {
                    Some((k, _)) if secret_name(k) => all.push(a.clone()),
                    _ => all.extend(a.split_whitespace().map(str::to_string)),
                }
            }
            mask_args(&all, &mut words);
        } else if let Some(u) = &self.url {
            words.push(mask_url(u));
        }
        let mut s = words.join(" ");
        for (label, names) in [("env", &self.env), ("headers", &self.headers)] {
            if names.is_empty() {
                continue;
            }
            if !s.is_empty() {
                s.push(' ');
            }
            s.push('[');
            s.push_str(label);
            for n in names {
                s.push(' ');
                s.push_str(n);
                s.push('=');
                s.push_str(MASK);
            }
            s.push(']');
        }
        (!s.is_empty()).then(|| clean(&s, MAX_DETAIL))
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

// ---------------------------------------------------------------- masking

/// Masks an argument list: values of secret-named flags (`--api-key X`, `--token=X`),
/// secret-named `NAME=value` pairs, secret headers (`Authorization: Bearer X`), secrets in
/// URLs, and any word that looks like a key by itself.
fn mask_args(args: &[String], out: &mut Vec<String>) {
    let mut value_of_secret_flag = false;
    for a in args {
        if std::mem::take(&mut value_of_secret_flag) {
            // `Authorization: Bearer X` split into words: the scheme stays, X is masked.
            if matches!(a.to_ascii_lowercase().as_str(), "bearer" | "basic" | "token") {
                out.push(a.clone());
                value_of_secret_flag = true;
                continue;
            }
            out.push(keep_ref_or_mask(a));
            continue;
        }
        if let Some(name) = a.strip_suffix(':')
            && secret_name(name)
        {
            value_of_secret_flag = true;
            out.push(a.clone());
            continue;
        }
        if a.len() > 1 && a.starts_with('-') {
            if let Some((k, v)) = a.split_once('=') {
                let v = if secret_name(k) {
                    keep_ref_or_mask(v)
                } else {
                    mask_value(v)
                };
                out.push(format!("{k}={v}"));
            } else {
                value_of_secret_flag = secret_name(a);
                out.push(a.clone());
            }
            continue;
        }
        if let Some((k, v)) = a.split_once('=')
            && is_env_name(k)
        {
            let v = if secret_name(k) {
                keep_ref_or_mask(v)
            } else {
                mask_value(v)
            };
            out.push(format!("{k}={v}"));
            continue;
        }
        if let Some((k, v)) = header_split(a)
            && secret_name(k)
        {
            out.push(format!("{k}: {}", keep_ref_or_mask(v)));
            continue;
        }
        out.push(mask_value(a));
    }
}

/// A secret's name: flags, variables, headers, query parameters.
fn secret_name(k: &str) -> bool {
    let k = k.to_ascii_lowercase();
    [
        "key",
        "token",
        "secret",
        "passw",
        "pwd",
        "auth",
        "credential",
        "bearer",
        "cookie",
        "session",
        "private",
    ]
    .iter()
    .any(|w| k.contains(w))
}

fn is_env_name(k: &str) -> bool {
    let mut b = k.bytes();
    b.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// `Name: value` with a header-like name (not `C:\…`, not `https://…`).
fn header_split(a: &str) -> Option<(&str, &str)> {
    let (k, v) = a.split_once(':')?;
    let v = v.trim_start();
    (k.len() >= 2
        && k.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        && !v.is_empty()
        && !v.starts_with("//"))
    .then_some((k, v))
}

/// A reference to a variable (`${GITHUB_TOKEN}`, `$TOKEN`, `%TOKEN%`, `${input:key}`,
/// `{env:KEY}`), optionally after an auth scheme, is kept: it names a secret but is none.
fn keep_ref_or_mask(v: &str) -> String {
    let w = v.trim();
    let w = ["Bearer ", "Basic ", "Token "]
        .iter()
        .find_map(|p| {
            // `get`, not indexing: a multi-byte character may straddle the prefix's length.
            let head = w.get(..p.len())?;
            head.eq_ignore_ascii_case(p)
                .then(|| w.get(p.len()..))
                .flatten()
                .map(str::trim)
        })
        .unwrap_or(w);
    if is_var_ref(w) {
        v.to_string()
    } else {
        MASK.to_string()
    }
}

fn is_var_ref(w: &str) -> bool {
    let inner = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b':' | b'.' | b'-'))
    };
    if let Some(s) = w.strip_prefix("${").and_then(|s| s.strip_suffix('}')) {
        return inner(s);
    }
    if let Some(s) = w.strip_prefix("{env:").and_then(|s| s.strip_suffix('}')) {
        return inner(s);
    }
    if let Some(s) = w.strip_prefix('$') {
        return is_env_name(s);
    }
    if let Some(s) = w.strip_prefix('%').and_then(|s| s.strip_suffix('%')) {
        return is_env_name(s);
    }
    false
}

/// One word: a URL with its secrets masked, `****` for a key-looking word, else as is.
fn mask_value(v: &str) -> String {
    if v.contains("://") {
        mask_url(v)
    } else if looks_secret(v) {
        MASK.to_string()
    } else {
        v.to_string()
    }
}

/// Masks the password of the user info, key-looking path segments, secret-named or
/// key-looking query values and a key-looking fragment.
fn mask_url(u: &str) -> String {
    let Some((scheme, rest)) = u.split_once("://") else {
        return mask_value(u);
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let mut out = format!("{scheme}://");
    match authority.rsplit_once('@') {
        Some((info, host)) => {
            match info.split_once(':') {
                Some((user, _)) => {
                    out.push_str(&mask_value(user));
                    out.push(':');
                    out.push_str(MASK);
                }
                None => out.push_str(&mask_value(info)),
            }
            out.push('@');
            out.push_str(host);
        }
        None => out.push_str(authority),
    }
    let (path_query, fragment) = match tail.split_once('#') {
        Some((a, b)) => (a, Some(b)),
        None => (tail, None),
    };
    let (path, query) = match path_query.split_once('?') {
        Some((a, b)) => (a, Some(b)),
        None => (path_query, None),
    };
    let segments: Vec<String> = path
        .split('/')
        .map(|s| {
            if looks_secret(s) {
                MASK.to_string()
            } else {
                s.to_string()
            }
        })
        .collect();
    out.push_str(&segments.join("/"));
    if let Some(q) = query {
        out.push('?');
        let pairs: Vec<String> = q
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, v)) if secret_name(k) || looks_secret(v) => format!("{k}={MASK}"),
                Some((k, v)) => format!("{k}={v}"),
                None if looks_secret(p) => MASK.to_string(),
                None => p.to_string(),
            })
            .collect();
        out.push_str(&pairs.join("&"));
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(if looks_secret(f) { MASK } else { f });
    }
    out
}

/// Prefixes of well-known credential formats (AI providers, code hosts, chat, cloud).
const KEY_PREFIXES: &[&str] = &[
    "sk-",
    "sk_",
    "rk_",
    "pk_live_",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "xapp-",
    "AIza",
    "hf_",
    "api_org_",
    "gsk_",
    "xai-",
    "pplx-",
    "r8_",
    "AKIA",
    "ASIA",
    "eyJ",
    "npm_",
    "lsv2_",
    "ntn_",
    "secret_",
    "shpat_",
    "dop_v1_",
    "ya29.",
];

/// Whether a single word looks like a credential: a known prefix with enough after it, a
/// long hex string, or a long token with mixed character classes and high entropy.
/// Paths, package names and URLs do not qualify (their first byte or their characters rule
/// them out).
fn looks_secret(v: &str) -> bool {
    let b = v.as_bytes();
    if KEY_PREFIXES
        .iter()
        .any(|p| v.starts_with(p) && b.len() >= p.len() + 12)
    {
        return true;
    }
    if b.len() < 20
        || matches!(b[0], b'-' | b'/' | b'.' | b'@' | b'~')
        || !b.iter().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'+' | b'/' | b'=' | b'.')
        })
    {
        return false;
    }
    let hex = b.iter().filter(|c| c.is_ascii_hexdigit()).count();
    if hex >= 32 && b.iter().all(|c| c.is_ascii_hexdigit() || *c == b'-') {
        return true;
    }
    let upper = b.iter().any(u8::is_ascii_uppercase);
    let lower = b.iter().any(u8::is_ascii_lowercase);
    let digit = b.iter().any(u8::is_ascii_digit);
    let h = entropy(b);
    let max = (b.len() as f64).log2();
    (upper && lower && digit && h >= 0.75 * max) || (digit && (upper || lower) && h >= 0.85 * max)
}

/// Shannon entropy in bits per byte.
fn entropy(b: &[u8]) -> f64 {
    let mut counts = [0u32; 256];
    for &c in b {
        counts[c as usize] += 1;
    }
    let n = b.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// JSON with comments and trailing commas (VS Code's `mcp.json` is JSONC) made plain JSON:
/// comments become spaces, a comma before `}` or `]` is dropped.
fn strip_jsonc(src: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(src.len());
    let mut i = 0;
    let mut in_str = false;
    while i < src.len() {
        let c = src[i];
        if in_str {
            out.push(c);
            if c == b'\\' {
                if let Some(&n) = src.get(i + 1) {
                    out.push(n);
                }
                i += 2;
                continue;
            }
            in_str = c != b'"';
            i += 1;
            continue;
        }
        match (c, src.get(i + 1)) {
            (b'"', _) => {
                in_str = true;
                out.push(c);
                i += 1;
            }
            (b'/', Some(b'/')) => {
                while i < src.len() && src[i] != b'\n' {
                    i += 1;
                }
            }
            (b'/', Some(b'*')) => {
                i += 2;
                while i < src.len() && !(src[i] == b'*' && src.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 2;
                out.push(b' ');
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    // Trailing commas, outside strings.
    let mut res = Vec::with_capacity(out.len());
    let mut in_str = false;
    let mut esc = false;
    for (i, &c) in out.iter().enumerate() {
        if in_str {
            res.push(c);
            if esc {
                esc = false;
            } else if c == b'\\' {
                esc = true;
            } else if c == b'"' {
                in_str = false;
            }
            continue;
        }
        if c == b'"' {
            in_str = true;
        }
        if c == b',' {
            let next = out[i + 1..].iter().find(|b| !b.is_ascii_whitespace());
            if matches!(next, Some(b'}' | b']')) {
                continue;
            }
        }
        res.push(c);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn scan(files: &[(&str, &str)], dirs: &[&str]) -> (Vec<Artifact>, Vec<DetectError>) {
        let tmp = tempfile::tempdir().unwrap();
        let ctx = EndpointCtx {
            endpoint: "t".into(),
            root: tmp.path().to_path_buf(),
        };
        let mut arts = Vec::new();
        let mut errs = Vec::new();
        // Artefacts and errors name files relative to the walk root, as the walker does.
        let mut sink = |a: Artifact| {
            assert!(a.path.is_relative(), "{:?}", a.path);
            arts.push(a)
        };
        for d in dirs {
            fs::create_dir_all(tmp.path().join(d)).unwrap();
            on_dir(&ctx, Path::new(d), &tmp.path().join(d), &mut sink).unwrap();
        }
        for (rel, body) in files {
            let abs = tmp.path().join(rel);
            fs::create_dir_all(abs.parent().unwrap()).unwrap();
            fs::write(&abs, body).unwrap();
            if let Err(e) = on_file(&ctx, Path::new(rel), &abs, &|| body.len() as u64, &mut sink) {
                errs.push(e);
            }
        }
        (arts, errs)
    }

    fn mcp(name: &str, path: &str, detail: &str) -> Artifact {
        Artifact {
            kind: ArtifactKind::McpServer,
            selector: Selector::None,
            name: Some(name.into()),
            version: None,
            path: path.into(),
            line: None,
            size: None,
            detail: Some(detail.into()),
        }
    }

    /// Server order within a file follows the parser's map order; compare sorted.
    fn sorted(mut v: Vec<Artifact>) -> Vec<Artifact> {
        v.sort_by(|a, b| (&a.path, a.kind, &a.name).cmp(&(&b.path, b.kind, &b.name)));
        v
    }

    fn ag(tool: &str, config: &str, path: &str) -> Artifact {
        agent(Path::new(path), config.into(), tool)
    }

    const GH_TOKEN: &str = "ghp_R4nd0mT0kenV4lueF0rTest1ngOnly12345";
    const BRAVE_KEY: &str = "BSAx9Kq2LmN7pR4tV8wY1zC3eF6hJ0kM";

    #[test]
    fn agent_folders_and_files() {
        let (arts, errs) = scan(
            &[
                ("home/alice/.aider.conf.yml", "model: sonnet\n"),
                (
                    "home/alice/src/app/.aider.chat.history.md",
                    "# aider chat started at 2024-06-01\n",
                ),
                (
                    "home/alice/.claude.json",
                    r#"{"numStartups": 12, "projects": {}}"#,
                ),
                // Not home-level: no Claude Code agent artefact (its MCP servers still count).
                ("home/alice/backup/.claude.json", "{}"),
            ],
            &[
                "home/alice/.claude",
                "Users/bob/.codex",
                "Users/bob/.gemini",
                "root/.copilot",
                ".cursor",
                "home/alice/.continue",
                "home/alice/.config/goose",
                "Users/bob/AppData/Roaming/Block/goose",
                "home/alice/.config/opencode",
                "home/alice/.aws/amazonq",
                // Look-alikes: project-level folders, other dot folders, a deeper goose.
                "home/alice/src/app/.claude",
                "home/alice/.config/nvim",
                "home/alice/.aws",
                "home/alice/src/goose",
                "opt/app/.codex",
            ],
        );
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(
            arts,
            vec![
                ag("Claude Code", ".claude", "home/alice/.claude"),
                ag("Codex CLI", ".codex", "Users/bob/.codex"),
                ag("Gemini CLI", ".gemini", "Users/bob/.gemini"),
                ag("GitHub Copilot CLI", ".copilot", "root/.copilot"),
                ag("Cursor", ".cursor", ".cursor"),
                ag("Continue", ".continue", "home/alice/.continue"),
                ag("Goose", ".config/goose", "home/alice/.config/goose"),
                ag(
                    "Goose",
                    "AppData/Roaming/Block/goose",
                    "Users/bob/AppData/Roaming/Block/goose"
                ),
                ag(
                    "OpenCode",
                    ".config/opencode",
                    "home/alice/.config/opencode"
                ),
                ag(
                    "Amazon Q Developer",
                    ".aws/amazonq",
                    "home/alice/.aws/amazonq"
                ),
                ag("Aider", ".aider.conf.yml", "home/alice/.aider.conf.yml"),
                ag(
                    "Aider",
                    ".aider.chat.history.md",
                    "home/alice/src/app/.aider.chat.history.md"
                ),
                ag("Claude Code", ".claude.json", "home/alice/.claude.json"),
            ]
        );
    }

    #[test]
    fn claude_desktop_masks_secrets() {
        // Shape of the file the Claude desktop app writes (Settings > Developer), with the
        // servers from the MCP quickstart.
        let cfg = format!(
            r#"{{
  "mcpServers": {{
    "filesystem": {{
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-filesystem", "/Users/alice/Desktop", "/Users/alice/Downloads"]
    }},
    "github": {{
      "command": "docker",
      "args": ["run", "-i", "--rm", "-e", "GITHUB_PERSONAL_ACCESS_TOKEN", "ghcr.io/github/github-mcp-server"],
      "env": {{ "GITHUB_PERSONAL_ACCESS_TOKEN": "{GH_TOKEN}" }}
    }},
    "brave-search": {{
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-brave-search", "--api-key", "{BRAVE_KEY}"],
      "env": {{ "BRAVE_API_KEY": "{BRAVE_KEY}" }}
    }},
    "remote": {{
      "command": "npx",
      "args": ["mcp-remote", "https://mcp.example.com/sse?api_key=abc123&team=core", "--header", "Authorization: Bearer {GH_TOKEN}"]
    }},
    "postgres": {{
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-postgres", "postgresql://app:s3cr3tpass@db.internal:5432/app", "--token={GH_TOKEN}", "API_KEY={BRAVE_KEY}"]
    }}
  }},
  "globalShortcut": "Alt+Space"
}}"#
        );
        let path = "Users/alice/Library/Application Support/Claude/claude_desktop_config.json";
        let (arts, errs) = scan(&[(path, &cfg)], &[]);
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(
            sorted(arts.clone()),
            sorted(vec![
                mcp(
                    "brave-search",
                    path,
                    "npx -y @modelcontextprotocol/server-brave-search --api-key **** [env BRAVE_API_KEY=****]"
                ),
                mcp(
                    "filesystem",
                    path,
                    "npx -y @modelcontextprotocol/server-filesystem /Users/alice/Desktop /Users/alice/Downloads"
                ),
                mcp(
                    "github",
                    path,
                    "docker run -i --rm -e GITHUB_PERSONAL_ACCESS_TOKEN ghcr.io/github/github-mcp-server [env GITHUB_PERSONAL_ACCESS_TOKEN=****]"
                ),
                mcp(
                    "postgres",
                    path,
                    "npx -y @modelcontextprotocol/server-postgres postgresql://app:****@db.internal:5432/app --token=**** API_KEY=****"
                ),
                mcp(
                    "remote",
                    path,
                    "npx mcp-remote https://mcp.example.com/sse?api_key=****&team=core --header Authorization: ****"
                ),
            ])
        );
        let all = format!("{arts:?}");
        assert!(!all.contains(GH_TOKEN) && !all.contains(BRAVE_KEY) && !all.contains("s3cr3tpass"));
        assert!(!all.contains("abc123"));
    }

    #[test]
    fn claude_json_cursor_vscode_gemini_windsurf() {
        let claude = r#"{"numStartups":3,"mcpServers":{"context7":{"type":"http","url":"https://mcp.context7.com/mcp","headers":{"CONTEXT7_API_KEY":"ctx7sk-9f8e7d6c5b4a"}}},
            "projects":{"/home/alice/src/app":{"allowedTools":[],"mcpServers":{"sentry":{"type":"sse","url":"https://mcp.sentry.dev/sse"},"context7":{"type":"http","url":"https://mcp.context7.com/mcp","headers":{"CONTEXT7_API_KEY":"ctx7sk-9f8e7d6c5b4a"}}}},
                        "/home/alice/src/other":{"mcpServers":{}}}}"#;
        let vscode = r#"{
  // VS Code workspace MCP config (JSONC)
  "inputs": [{"type": "promptString", "id": "perplexity-key", "description": "Perplexity API Key", "password": true}],
  "servers": {
    "Perplexity": {"type": "stdio", "command": "npx", "args": ["-y", "server-perplexity-ask"], "env": {"PERPLEXITY_API_KEY": "${input:perplexity-key}"}},
    "github": {"type": "http", "url": "https://api.githubcopilot.com/mcp/", "headers": {"Authorization": "Bearer ${input:github_token}"}},
  }
}"#;
        let gemini = r#"{"theme":"GitHub","mcpServers":{"myserver":{"httpUrl":"https://mcp.example.org/mcp/sk-abcdefghijklmnop1234/stream","timeout":5000}}}"#;
        let windsurf = r#"{"mcpServers":{"figma":{"serverUrl":"https://mcp.figma.com/mcp"}}}"#;
        let cursor = r#"{"mcpServers":{"linear":{"command":"npx","args":["-y","mcp-remote","https://mcp.linear.app/sse"]}}}"#;
        let (arts, errs) = scan(
            &[
                ("home/alice/.claude.json", claude),
                ("home/alice/src/app/.vscode/mcp.json", vscode),
                ("home/alice/.gemini/settings.json", gemini),
                ("home/alice/.codeium/windsurf/mcp_config.json", windsurf),
                ("home/alice/.cursor/mcp.json", cursor),
                (
                    "home/alice/src/app/.mcp.json",
                    r#"{"mcpServers":{"db":{"command":"uvx","args":["mcp-server-sqlite","--db-path","./app.db"]}}}"#,
                ),
                // Look-alikes: an mcp.json elsewhere, a settings.json of another tool.
                (
                    "home/alice/src/app/config/mcp.json",
                    r#"{"mcpServers":{"x":{"command":"y"}}}"#,
                ),
                (
                    "home/alice/.config/Code/User/settings.json",
                    r#"{"mcpServers":{"x":{"command":"y"}}}"#,
                ),
            ],
            &[],
        );
        assert!(errs.is_empty(), "{errs:?}");
        let c = "home/alice/.claude.json";
        assert_eq!(
            sorted(arts.clone()),
            sorted(vec![
                ag("Claude Code", ".claude.json", c),
                mcp(
                    "context7",
                    c,
                    "https://mcp.context7.com/mcp [headers CONTEXT7_API_KEY=****]"
                ),
                mcp("sentry", c, "https://mcp.sentry.dev/sse"),
                mcp(
                    "Perplexity",
                    "home/alice/src/app/.vscode/mcp.json",
                    "npx -y server-perplexity-ask [env PERPLEXITY_API_KEY=****]"
                ),
                mcp(
                    "github",
                    "home/alice/src/app/.vscode/mcp.json",
                    "https://api.githubcopilot.com/mcp/ [headers Authorization=****]"
                ),
                mcp(
                    "myserver",
                    "home/alice/.gemini/settings.json",
                    "https://mcp.example.org/mcp/****/stream"
                ),
                mcp(
                    "figma",
                    "home/alice/.codeium/windsurf/mcp_config.json",
                    "https://mcp.figma.com/mcp"
                ),
                mcp(
                    "linear",
                    "home/alice/.cursor/mcp.json",
                    "npx -y mcp-remote https://mcp.linear.app/sse"
                ),
                mcp(
                    "db",
                    "home/alice/src/app/.mcp.json",
                    "uvx mcp-server-sqlite --db-path ./app.db"
                ),
            ])
        );
        assert!(!format!("{arts:?}").contains("ctx7sk"));
    }

    #[test]
    fn codex_toml_and_others() {
        let codex = format!(
            r#"model = "o4-mini"
approval_policy = "on-request"

[mcp_servers.docs]
command = "docs-server"
args = ["--port", 4000, "--verbose"]

[mcp_servers.github]
command = "npx"
args = ["-y", "@modelcontextprotocol/server-github"]
env = {{ "GITHUB_PERSONAL_ACCESS_TOKEN" = "{GH_TOKEN}" }}

[mcp_servers.figma]
url = "https://mcp.figma.com/mcp"
bearer_token_env_var = "FIGMA_OAUTH_TOKEN"
http_headers = {{ "X-Figma-Region" = "us-east-1" }}
"#
        );
        let opencode = r#"{"$schema":"https://opencode.ai/config.json","mcp":{"jira":{"type":"local","command":["bun","x","jira-mcp","--token","ATATT3xFfGF0aBcDeFgHiJkLmNoPqRsTuVwXyZ"],"environment":{"JIRA_URL":"https://x.atlassian.net"},"enabled":true}}}"#;
        let amazonq = r#"{"mcpServers":{"awslabs.aws-documentation-mcp-server":{"command":"uvx","args":["awslabs.aws-documentation-mcp-server@latest"],"env":{"FASTMCP_LOG_LEVEL":"ERROR"},"disabled":false}}}"#;
        let copilot = r#"{"mcpServers":{"playwright":{"type":"local","command":"npx","args":["@playwright/mcp@latest"],"tools":["*"]}}}"#;
        let (arts, errs) = scan(
            &[
                ("home/alice/.codex/config.toml", &codex),
                ("home/alice/.config/opencode/opencode.json", opencode),
                ("home/alice/.aws/amazonq/mcp.json", amazonq),
                ("home/alice/.copilot/mcp-config.json", copilot),
                // Look-alike: another tool's config.toml.
                (
                    "home/alice/.config/alacritty/config.toml",
                    "[mcp_servers.x]\ncommand = \"y\"\n",
                ),
            ],
            &[],
        );
        assert!(errs.is_empty(), "{errs:?}");
        let c = "home/alice/.codex/config.toml";
        assert_eq!(
            sorted(arts.clone()),
            sorted(vec![
                mcp("docs", c, "docs-server --port 4000 --verbose"),
                mcp(
                    "figma",
                    c,
                    "https://mcp.figma.com/mcp [headers X-Figma-Region=****]"
                ),
                mcp(
                    "github",
                    c,
                    "npx -y @modelcontextprotocol/server-github [env GITHUB_PERSONAL_ACCESS_TOKEN=****]"
                ),
                mcp(
                    "jira",
                    "home/alice/.config/opencode/opencode.json",
                    "bun x jira-mcp --token **** [env JIRA_URL=****]"
                ),
                mcp(
                    "awslabs.aws-documentation-mcp-server",
                    "home/alice/.aws/amazonq/mcp.json",
                    "uvx awslabs.aws-documentation-mcp-server@latest [env FASTMCP_LOG_LEVEL=****]"
                ),
                mcp(
                    "playwright",
                    "home/alice/.copilot/mcp-config.json",
                    "npx @playwright/mcp@latest"
                ),
            ])
        );
        let all = format!("{arts:?}");
        assert!(!all.contains(GH_TOKEN) && !all.contains("ATATT3x"));
    }

    #[test]
    fn masking_rules() {
        for s in [
            "sk-proj-abcdefghijklmnop",
            "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q",
            "xoxb-1234567890-abcdefghij",
            "0123456789abcdef0123456789abcdef",
            "9f1c2e7a-4b3d-4e8f-a1b2-c3d4e5f60718",
            "Zk8pQ2xR7vN4mT9wL3yH6jB1",
        ] {
            assert!(looks_secret(s), "{s}");
        }
        for s in [
            "@modelcontextprotocol/server-filesystem",
            "/Users/alice/Library/Application Support",
            "mcp-server-sqlite",
            "ghcr.io/github/github-mcp-server",
            "gpt-4o-mini-2024-07-18",
            "awslabs.aws-documentation-mcp-server",
            "server-everything-2025",
            "--allowed-directories",
        ] {
            assert!(!looks_secret(s), "{s}");
        }
        assert_eq!(
            keep_ref_or_mask("Bearer ${GITHUB_TOKEN}"),
            "Bearer ${GITHUB_TOKEN}"
        );
        assert_eq!(keep_ref_or_mask("$TOKEN"), "$TOKEN");
        assert_eq!(keep_ref_or_mask("%API_KEY%"), "%API_KEY%");
        assert_eq!(keep_ref_or_mask("Bearer abc"), MASK);
        assert_eq!(keep_ref_or_mask("Bearé token"), MASK);
        assert_eq!(keep_ref_or_mask("日本語の鍵"), MASK);
        assert_eq!(
            mask_url("https://tok123@host/x?q=1#frag"),
            "https://tok123@host/x?q=1#frag"
        );
        assert_eq!(
            mask_url("https://host/p?access_token=zzz&x=1&Zk8pQ2xR7vN4mT9wL3yH6jB1"),
            "https://host/p?access_token=****&x=1&****"
        );
        assert_eq!(
            strip_jsonc(b"{\"a\": \"//x\", /* c */ \"b\": [1,2,],}\n// end"),
            b"{\"a\": \"//x\",   \"b\": [1,2]}\n".to_vec()
        );
    }

    #[test]
    fn garbage_never_panics() {
        let shapes = [
            "",
            "{",
            "[]",
            "null",
            "{\"mcpServers\": 5}",
            "{\"mcpServers\": {\"a\": 1, \"b\": {\"command\": 7, \"args\": {}}}}",
            "{\"projects\": {\"x\": 3}}",
            "{\"mcp\": {\"a\": {\"command\": [1, null, \"x\"]}}}",
            "\u{0}\u{1}\u{ff}",
            "{\"mcpServers\":{\"é\":{\"command\":\"日本\",\"args\":[\"--header\",\"Authorization: Bearé 日本\",\"K=é\",\"--tokén\",\"é\"]},\"u\":{\"url\":\"https://ü:é@h/é?k=é&é#é\"}}}",
            "/* unterminated",
            "\"\\",
            "[mcp_servers]\nx = 1\n[mcp_servers.y]\nargs = [[1]]\nenv = 3\n",
        ];
        for (i, s) in shapes.iter().enumerate() {
            let files: Vec<(String, &str)> = [
                ".claude.json",
                ".mcp.json",
                ".codex/config.toml",
                ".config/opencode/opencode.json",
                ".vscode/mcp.json",
            ]
            .iter()
            .map(|f| (format!("home/u{i}/{f}"), *s))
            .collect();
            let files: Vec<(&str, &str)> = files.iter().map(|(a, b)| (a.as_str(), *b)).collect();
            let _ = scan(&files, &[]);
        }
        // Multi-byte text where the masking slices: parsed, reported, masked, no panic.
        let (arts, errs) = scan(&[("home/u/.mcp.json", shapes[9])], &[]);
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(
            sorted(arts)
                .iter()
                .map(|a| a.detail.clone().unwrap_or_default())
                .collect::<Vec<_>>(),
            vec![
                "https://ü:****@h/é?k=é&é#é",
                "日本 --header Authorization: **** K=é --tokén é",
            ]
        );
        let (_, errs) = scan(
            &[(
                "home/u/.mcp.json",
                "{\"mcpServers\": {\"a\": \"sk-secret-in-broken-json",
            )],
            &[],
        );
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].reason, "mcp config: not JSON");
        let (_, errs) = scan(
            &[("home/u/.codex/config.toml", "x = \"sk-secret\nbroken")],
            &[],
        );
        assert_eq!(errs[0].reason, "codex config.toml: not TOML");
    }
}

#[cfg(test)]
mod masking_tests {
    use super::*;

    const TOKEN: &str = "ghp_Zq8xT3BlbkFJ4u7vYc2Lm9Pq1Rs5Tu6Vw8Xy";

    fn detail(command: &str, args: &[&str]) -> String {
        let s = Spec {
            command: Some(command.to_string()),
            args: args.iter().map(|a| a.to_string()).collect(),
            ..Default::default()
        };
        s.detail().unwrap()
    }

    #[test]
    fn secrets_inside_words_with_spaces_are_masked() {
        for (cmd, args) in [
            (format!("npx -y server-github --token {TOKEN}"), vec![]),
            ("sh".to_string(), vec!["-c".to_string(), format!("npx srv --token {TOKEN}")]),
            ("npx".to_string(), vec!["srv".to_string(), format!("--api-key {TOKEN}")]),
            (
                "curl".to_string(),
                vec!["-H".to_string(), format!("Authorization: Bearer {TOKEN}")],
            ),
            (
                "sh".to_string(),
                vec!["-c".to_string(), format!("curl -H Authorization: Bearer {TOKEN} x")],
            ),
        ] {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let d = detail(&cmd, &args);
            assert!(!d.contains(&TOKEN[4..20]), "{d}");
            assert!(d.contains(MASK), "{d}");
        }
    }
}
