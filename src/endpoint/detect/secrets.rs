//! AI provider API keys in dotfiles, shell profiles and `.env` files. A key is found by its
//! provider's format (`sk-proj-…`, `sk-ant-api03-…`, `AIza…`, `hf_…`) or by the variable it
//! is assigned to (`MISTRAL_API_KEY=…`), and reported masked: provider, file, line, a
//! fingerprint (the first 12 hex digits of its SHA-256) and its first 6 and last 2
//! characters. The key itself is never kept in an artefact, an error or a log line.

use super::userpath::{ends_with_ci, eq, err, read_capped, starts_with_ci, tail};
use crate::endpoint::artifact::{
    Artifact, ArtifactKind, ArtifactSink, Descend, DetectError, EndpointCtx, Selector,
};
use regex::bytes::Regex;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::LazyLock;

/// Dotfiles and `.env` files are small; a larger one is not a config file.
const MAX_SECRET_FILE: u64 = 1 << 20;

/// Shell and tool files that hold exported variables or tool keys.
const DOTFILES: &[&str] = &[
    ".bashrc",
    ".bash_profile",
    ".bash_login",
    ".bash_aliases",
    ".profile",
    ".zshrc",
    ".zprofile",
    ".zshenv",
    ".zlogin",
    ".envrc",
    ".aider.conf.yml",
];

/// Provider formats, one capture group each, in the order of `PROVIDERS`. Sources: the
/// gitleaks rules (MIT) for OpenAI, Anthropic, Groq and Hugging Face, trufflehog-style
/// detectors for xAI, Perplexity, Replicate and OpenRouter.
static KEYS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        "(?-u)",
        r"(sk-ant-(?:api03|admin01)-[A-Za-z0-9_\-]{93}AA|sk-ant-o(?:at|rt)01-[A-Za-z0-9_\-]{40,300})",
        r"|(sk-or-v1-[a-f0-9]{64})",
        r"|(sk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{40,250}|sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})",
        r"|(AIza[0-9A-Za-z_\-]{35})",
        r"|(hf_[A-Za-z]{34}|api_org_[A-Za-z]{34})",
        r"|(gsk_[A-Za-z0-9]{48,52})",
        r"|(xai-[A-Za-z0-9]{80})",
        r"|(pplx-[A-Za-z0-9]{48,56})",
        r"|(r8_[A-Za-z0-9]{37})",
        r"|(lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10})",
    ))
    .expect("static regex")
});

const PROVIDERS: &[&str] = &[
    "anthropic",
    "openrouter",
    "openai",
    "google-gemini",
    "huggingface",
    "groq",
    "xai",
    "perplexity",
    "replicate",
    "langsmith",
];

/// Variables that hold a provider's key (with any `PREFIX_`, e.g. `NEXT_PUBLIC_`; `-` for
/// `_` as in Aider's YAML). Longer names first: the longest suffix names the provider.
const VARS: &[(&str, &str)] = &[
    ("GOOGLE_GENERATIVE_AI_API_KEY", "google-gemini"),
    ("HUGGINGFACEHUB_API_TOKEN", "huggingface"),
    ("CLAUDE_CODE_OAUTH_TOKEN", "anthropic"),
    ("HUGGING_FACE_HUB_TOKEN", "huggingface"),
    ("AZURE_OPENAI_API_KEY", "azure-openai"),
    ("ANTHROPIC_AUTH_TOKEN", "anthropic"),
    ("HUGGINGFACE_API_KEY", "huggingface"),
    ("REPLICATE_API_TOKEN", "replicate"),
    ("OPENROUTER_API_KEY", "openrouter"),
    ("PERPLEXITY_API_KEY", "perplexity"),
    ("TOGETHERAI_API_KEY", "together"),
    ("HUGGINGFACE_TOKEN", "huggingface"),
    ("ANTHROPIC_API_KEY", "anthropic"),
    ("REPLICATE_API_KEY", "replicate"),
    ("FIREWORKS_API_KEY", "fireworks"),
    ("LANGSMITH_API_KEY", "langsmith"),
    ("LANGCHAIN_API_KEY", "langsmith"),
    ("AZURE_OPENAI_KEY", "azure-openai"),
    ("DEEPSEEK_API_KEY", "deepseek"),
    ("TOGETHER_API_KEY", "together"),
    ("CEREBRAS_API_KEY", "cerebras"),
    ("MISTRAL_API_KEY", "mistral"),
    ("GOOGLE_API_KEY", "google-gemini"),
    ("GEMINI_API_KEY", "google-gemini"),
    ("CLAUDE_API_KEY", "anthropic"),
    ("COHERE_API_KEY", "cohere"),
    ("OPENAI_API_KEY", "openai"),
    ("VOYAGE_API_KEY", "voyage"),
    ("HF_API_TOKEN", "huggingface"),
    ("PPLX_API_KEY", "perplexity"),
    ("GROQ_API_KEY", "groq"),
    ("GROK_API_KEY", "xai"),
    ("XAI_API_KEY", "xai"),
    ("OPENAI_KEY", "openai"),
    ("CO_API_KEY", "cohere"),
    ("HF_TOKEN", "huggingface"),
];

/// `NAME=value`, `NAME: value`, `"NAME": "value"`, `set -gx NAME value`,
/// `$env:NAME = "value"`, `SetEnvironmentVariable("NAME", "value")`. Group 1 is the name,
/// group 2 the value as far as a quote, space, `;` or `,`.
static ASSIGN: LazyLock<Regex> = LazyLock::new(|| {
    let names: Vec<String> = VARS.iter().map(|(n, _)| n.replace('_', "[_-]")).collect();
    Regex::new(&format!(
        r#"(?im-u)(?:^|[^A-Za-z0-9_])((?:[A-Za-z0-9]+[_-])*?(?:{}))["']?[ \t]*(?:[=:,][ \t]*|[ \t]+)["']?([^\s"'`;,]*)"#,
        names.join("|")
    ))
    .expect("static regex")
});

pub fn on_dir(
    _ctx: &EndpointCtx,
    _rel: &Path,
    _abs: &Path,
    _sink: &mut ArtifactSink<'_>,
) -> Result<Descend, DetectError> {
    Ok(Descend::Yes)
}

pub fn on_file(
    _ctx: &EndpointCtx,
    rel: &Path,
    abs: &Path,
    size: &dyn Fn() -> u64,
    sink: &mut ArtifactSink<'_>,
) -> Result<(), DetectError> {
    let t: [&[u8]; 3] = tail(rel);
    if !candidate(&t) {
        return Ok(());
    }
    if size() > MAX_SECRET_FILE {
        return Err(err(
            rel,
            "secrets: larger than 1 MiB, not scanned".to_string(),
        ));
    }
    let buf = read_capped(rel, abs, MAX_SECRET_FILE, "secrets")?;
    let text = decode(&buf);
    for k in find_keys(&text) {
        let key = &text[k.start..k.end];
        let line = 1 + memchr::memchr_iter(b'\n', &text[..k.start]).count() as u64;
        sink(Artifact {
            kind: ArtifactKind::ApiKey,
            selector: Selector::None,
            name: Some(k.provider.to_string()),
            version: None,
            path: rel.to_path_buf(),
            line: Some(line),
            size: None,
            detail: Some(format!(
                "{} sha256:{} {}",
                k.provider,
                fingerprint(key),
                masked(key)
            )),
        });
    }
    Ok(())
}

/// `t` is `[file, parent, grandparent]`.
fn candidate(t: &[&[u8]; 3]) -> bool {
    let [name, parent, grand] = *t;
    if name.first() == Some(&b'.') {
        return eq(name, ".env")
            || starts_with_ci(name, ".env.")
            || DOTFILES.iter().any(|d| eq(name, d));
    }
    (ends_with_ci(name, ".env") && name.len() > 4)
        || (eq(name, "config.fish") && eq(parent, "fish"))
        || (ends_with_ci(name, ".fish") && eq(parent, "conf.d") && eq(grand, "fish"))
        // Microsoft.PowerShell_profile.ps1, Microsoft.VSCode_profile.ps1, profile.ps1.
        || ends_with_ci(name, "_profile.ps1")
        || (eq(name, "profile.ps1") && (eq(parent, "PowerShell") || eq(parent, "WindowsPowerShell")))
        || (eq(name, "auth.json") && eq(parent, ".codex"))
        // huggingface_hub's saved login: `~/.cache/huggingface/token` (older: `~/.huggingface`).
        || ((eq(name, "token") || eq(name, "stored_tokens"))
            && (eq(parent, "huggingface") || eq(parent, ".huggingface")))
}

/// PowerShell profiles are often UTF-16 (with a BOM); everything else is read as bytes.
fn decode(buf: &[u8]) -> Cow<'_, [u8]> {
    let units = |be: bool| {
        buf[2..]
            .chunks_exact(2)
            .map(move |c| {
                if be {
                    u16::from_be_bytes([c[0], c[1]])
                } else {
                    u16::from_le_bytes([c[0], c[1]])
                }
            })
            .collect::<Vec<u16>>()
    };
    match buf {
        [0xff, 0xfe, ..] => Cow::Owned(String::from_utf16_lossy(&units(false)).into_bytes()),
        [0xfe, 0xff, ..] => Cow::Owned(String::from_utf16_lossy(&units(true)).into_bytes()),
        _ => Cow::Borrowed(buf),
    }
}

struct Found {
    start: usize,
    end: usize,
    provider: &'static str,
}

fn find_keys(text: &[u8]) -> Vec<Found> {
    let mut found: Vec<Found> = Vec::new();
    for caps in KEYS.captures_iter(text) {
        let Some((i, m)) = caps
            .iter()
            .skip(1)
            .enumerate()
            .find_map(|(i, m)| m.map(|m| (i, m)))
        else {
            continue;
        };
        let (start, end) = (m.start(), m.end());
        let token = |c: &u8| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-';
        if (start > 0 && token(&text[start - 1])) || text.get(end).is_some_and(token) {
            continue; // part of a longer word
        }
        if placeholder(m.as_bytes()) {
            continue;
        }
        let provider = PROVIDERS.get(i).copied().unwrap_or("unknown");
        if provider == "google-gemini" && non_ai_google_key(line_of(text, start)) {
            continue;
        }
        found.push(Found {
            start,
            end,
            provider,
        });
    }
    for caps in ASSIGN.captures_iter(text) {
        let (Some(name), Some(value)) = (caps.get(1), caps.get(2)) else {
            continue;
        };
        let (start, end) = (value.start(), value.end());
        if found.iter().any(|f| f.start < end && start < f.end) || !plausible(value.as_bytes()) {
            continue;
        }
        let Some(provider) = var_provider(name.as_bytes()) else {
            continue;
        };
        found.push(Found {
            start,
            end,
            provider,
        });
    }
    found.sort_by_key(|f| f.start);
    found
}

fn var_provider(name: &[u8]) -> Option<&'static str> {
    let norm: Vec<u8> = name
        .iter()
        .map(|c| {
            if *c == b'-' {
                b'_'
            } else {
                c.to_ascii_uppercase()
            }
        })
        .collect();
    VARS.iter()
        .find(|(n, _)| norm.ends_with(n.as_bytes()))
        .map(|(_, p)| *p)
}

fn line_of(text: &[u8], at: usize) -> &[u8] {
    let s = memchr::memrchr(b'\n', &text[..at]).map_or(0, |i| i + 1);
    let e = memchr::memchr(b'\n', &text[at..]).map_or(text.len(), |i| at + i);
    &text[s..e]
}

/// `AIza…` keys serve every Google API; a line that names Firebase, Maps or YouTube holds
/// one that is not for Gemini.
fn non_ai_google_key(line: &[u8]) -> bool {
    let l = line.to_ascii_lowercase();
    [
        "firebase",
        "maps",
        "places",
        "youtube",
        "recaptcha",
        "geocod",
    ]
    .iter()
    .any(|w| memchr::memmem::find(&l, w.as_bytes()).is_some())
}

/// A value assigned to a key variable that could be a key: long enough, key characters
/// only, not a path, not a placeholder, at least two of lower, upper and digit.
fn plausible(v: &[u8]) -> bool {
    if !(20..=512).contains(&v.len())
        || matches!(v[0], b'/' | b'.' | b'~' | b'-')
        || !v.iter().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'+' | b'/' | b'=' | b'.')
        })
        || placeholder(v)
    {
        return false;
    }
    let classes = [
        v.iter().any(u8::is_ascii_lowercase),
        v.iter().any(u8::is_ascii_uppercase),
        v.iter().any(u8::is_ascii_digit),
    ];
    classes.iter().filter(|&&c| c).count() >= 2
}

/// Documentation values (`sk-proj-xxxx…`, `your-api-key-here`) and low-variety strings.
fn placeholder(v: &[u8]) -> bool {
    let l = v.to_ascii_lowercase();
    let words = [
        "your",
        "xxxx",
        "example",
        "placeholder",
        "changeme",
        "replace",
        "dummy",
        "insert",
        "redacted",
        "sample",
        "1234567890",
        "abcdefgh",
    ];
    if words
        .iter()
        .any(|w| memchr::memmem::find(&l, w.as_bytes()).is_some())
    {
        return true;
    }
    let mut seen = [false; 256];
    v.iter().for_each(|&c| seen[c as usize] = true);
    seen.iter().filter(|&&s| s).count() < 10
}

/// First 12 hex digits of the key's SHA-256.
fn fingerprint(key: &[u8]) -> String {
    let digest = Sha256::digest(key);
    let mut s = String::with_capacity(12);
    for b in &digest[..6] {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// First 6 and last 2 characters (keys are ASCII: every format and value check says so).
fn masked(key: &[u8]) -> String {
    let head = String::from_utf8_lossy(&key[..6.min(key.len())]).into_owned();
    let tail = String::from_utf8_lossy(&key[key.len().saturating_sub(2)..]).into_owned();
    format!("{head}…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// Deterministic key-shaped strings (xorshift over the alphabet): no real key is in
    /// this file.
    fn fake(alphabet: &[u8], n: usize, seed: u64) -> String {
        let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                alphabet[(x % alphabet.len() as u64) as usize] as char
            })
            .collect()
    }
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const URLSAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    const LETTERS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    const HEX: &[u8] = b"0123456789abcdef";

    struct Keys {
        openai_proj: String,
        openai_svc: String,
        openai_legacy: String,
        anthropic: String,
        gemini: String,
        firebase: String,
        hf: String,
        groq: String,
        xai: String,
        openrouter: String,
        mistral: String,
        deepseek: String,
        azure: String,
    }

    fn keys() -> Keys {
        Keys {
            openai_proj: format!(
                "sk-proj-{}T3BlbkFJ{}",
                fake(URLSAFE, 74, 1),
                fake(URLSAFE, 74, 2)
            ),
            openai_svc: format!(
                "sk-svcacct-{}T3BlbkFJ{}",
                fake(URLSAFE, 58, 3),
                fake(URLSAFE, 58, 4)
            ),
            openai_legacy: format!("sk-{}T3BlbkFJ{}", fake(ALNUM, 20, 5), fake(ALNUM, 20, 6)),
            anthropic: format!("sk-ant-api03-{}AA", fake(URLSAFE, 93, 7)),
            gemini: format!("AIzaSy{}", fake(URLSAFE, 33, 8)),
            firebase: format!("AIzaSy{}", fake(URLSAFE, 33, 9)),
            hf: format!("hf_{}", fake(LETTERS, 34, 10)),
            groq: format!("gsk_{}", fake(ALNUM, 52, 11)),
            xai: format!("xai-{}", fake(ALNUM, 80, 12)),
            openrouter: format!("sk-or-v1-{}", fake(HEX, 64, 13)),
            mistral: fake(ALNUM, 32, 14),
            deepseek: format!("sk-{}", fake(HEX, 32, 15)),
            azure: fake(HEX, 32, 16),
        }
    }

    fn scan(files: &[(&str, Vec<u8>)]) -> (Vec<Artifact>, Vec<DetectError>) {
        let tmp = tempfile::tempdir().unwrap();
        let ctx = EndpointCtx::default();
        let mut arts = Vec::new();
        let mut errs = Vec::new();
        // Artefacts and errors name files relative to the walk root, as the walker does.
        let mut sink = |a: Artifact| {
            assert!(a.path.is_relative(), "{:?}", a.path);
            arts.push(a)
        };
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

    fn expect(provider: &str, key: &str, path: &str, line: u64) -> Artifact {
        let fp: String = Sha256::digest(key.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()[..12]
            .to_string();
        let masked = format!("{}…{}", &key[..6], &key[key.len() - 2..]);
        Artifact {
            kind: ArtifactKind::ApiKey,
            selector: Selector::None,
            name: Some(provider.into()),
            version: None,
            path: path.into(),
            line: Some(line),
            size: None,
            detail: Some(format!("{provider} sha256:{fp} {masked}")),
        }
    }

    fn utf16le(s: &str) -> Vec<u8> {
        let mut v = vec![0xff, 0xfe];
        for u in s.encode_utf16() {
            v.extend_from_slice(&u.to_le_bytes());
        }
        v
    }

    #[test]
    fn keys_in_config_files() {
        let k = keys();
        let env = format!(
            "# app settings\nDATABASE_URL=postgres://localhost/app\nOPENAI_API_KEY={}\nNEXT_PUBLIC_FIREBASE_API_KEY={}\nMISTRAL_API_KEY=\"{}\"\nDEEPSEEK_API_KEY={}\nAZURE_OPENAI_API_KEY={}\nOPENROUTER_API_KEY={}\n",
            k.openai_proj, k.firebase, k.mistral, k.deepseek, k.azure, k.openrouter
        );
        let bashrc = format!(
            "alias ll='ls -l'\n\nexport ANTHROPIC_API_KEY=\"{}\"\nexport PATH=$HOME/bin:$PATH\n",
            k.anthropic
        );
        let zshrc = format!(
            "export GEMINI_API_KEY={}\nexport XAI_API_KEY='{}'\n",
            k.gemini, k.xai
        );
        let fish = format!("set -gx HF_TOKEN {}\n", k.hf);
        let ps = utf16le(&format!(
            "Set-Alias g git\r\n$env:GROQ_API_KEY = \"{}\"\r\n",
            k.groq
        ));
        let aider = format!("model: gpt-4o\nopenai-api-key: {}\n", k.openai_legacy);
        let codex = format!("{{\n  \"OPENAI_API_KEY\": \"{}\"\n}}\n", k.openai_svc);
        let hf_token = k.hf.clone();
        let (arts, errs) = scan(&[
            ("home/alice/app/.env.local", env.into_bytes()),
            ("home/alice/.bashrc", bashrc.into_bytes()),
            ("Users/bob/.zshrc", zshrc.into_bytes()),
            ("home/alice/.config/fish/config.fish", fish.into_bytes()),
            (
                "Users/bob/Documents/PowerShell/Microsoft.PowerShell_profile.ps1",
                ps,
            ),
            ("home/alice/.aider.conf.yml", aider.into_bytes()),
            ("home/alice/.codex/auth.json", codex.into_bytes()),
            ("home/alice/.cache/huggingface/token", hf_token.into_bytes()),
        ]);
        assert!(errs.is_empty(), "{errs:?}");
        let e = "home/alice/app/.env.local";
        assert_eq!(
            arts,
            vec![
                expect("openai", &k.openai_proj, e, 3),
                expect("mistral", &k.mistral, e, 5),
                expect("deepseek", &k.deepseek, e, 6),
                expect("azure-openai", &k.azure, e, 7),
                expect("openrouter", &k.openrouter, e, 8),
                expect("anthropic", &k.anthropic, "home/alice/.bashrc", 3),
                expect("google-gemini", &k.gemini, "Users/bob/.zshrc", 1),
                expect("xai", &k.xai, "Users/bob/.zshrc", 2),
                expect(
                    "huggingface",
                    &k.hf,
                    "home/alice/.config/fish/config.fish",
                    1
                ),
                expect(
                    "groq",
                    &k.groq,
                    "Users/bob/Documents/PowerShell/Microsoft.PowerShell_profile.ps1",
                    2
                ),
                expect("openai", &k.openai_legacy, "home/alice/.aider.conf.yml", 2),
                expect("openai", &k.openai_svc, "home/alice/.codex/auth.json", 2),
                expect(
                    "huggingface",
                    &k.hf,
                    "home/alice/.cache/huggingface/token",
                    1
                ),
            ]
        );
        // Exact masked form and fingerprint for one key, computed independently.
        assert_eq!(masked(b"sk-proj-abcXq"), "sk-pro…Xq");
        assert_eq!(fingerprint(b"abc"), "ba7816bf8f01");
        // No key, nor any 12-character run of one, in any field.
        let debug = format!("{arts:?}");
        for key in [
            &k.openai_proj,
            &k.openai_svc,
            &k.openai_legacy,
            &k.anthropic,
            &k.gemini,
            &k.hf,
            &k.groq,
            &k.xai,
            &k.openrouter,
            &k.mistral,
            &k.deepseek,
            &k.azure,
            &k.firebase,
        ] {
            assert!(!debug.contains(key.as_str()));
            for w in key.as_bytes().windows(12) {
                assert!(
                    !debug.contains(std::str::from_utf8(w).unwrap()),
                    "leaks part of a key"
                );
            }
        }
    }

    #[test]
    fn look_alikes() {
        let k = keys();
        let env = format!(
            "OPENAI_API_KEY=your-key-here\nOPENAI_API_KEY=sk-abc123\nANTHROPIC_API_KEY=${{ANTHROPIC_API_KEY}}\nOPENAI_API_KEY=\nGEMINI_API_KEY=<your key>\n# export OPENAI_API_KEY=xxx\nHF_TOKEN=hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\nGROQ_API_KEY=gsk_abc\nOPENAI_API_KEY_FILE=/run/secrets/openai\nOPENAI_API_KEY=sk-proj-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\nMISTRAL_API_KEY=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nCOHERE_API_KEY=$(cat ~/.cohere)\nGOOGLE_MAPS_API_KEY={}\nXAPIKEY={}x\nnot_sk-{}T3BlbkFJ{}\n",
            k.firebase,
            k.gemini,
            fake(ALNUM, 20, 40),
            fake(ALNUM, 20, 41)
        );
        let (arts, errs) = scan(&[
            ("home/u/.env", env.into_bytes()),
            // Not a file this module reads, even with a real-shaped key in it.
            (
                "home/u/README.md",
                format!("OPENAI_API_KEY={}\n", k.openai_proj).into_bytes(),
            ),
            (
                "home/u/.bash_history",
                format!("export OPENAI_API_KEY={}\n", k.openai_proj).into_bytes(),
            ),
        ]);
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(arts, vec![]);
    }

    #[test]
    fn candidates_and_limits() {
        let yes = [
            ".env",
            ".env.production",
            ".ENV",
            "docker.env",
            ".zshenv",
            ".envrc",
            "Microsoft.VSCode_profile.ps1",
        ];
        for n in yes {
            assert!(candidate(&[n.as_bytes(), b"x", b"y"]), "{n}");
        }
        assert!(candidate(&[
            b"profile.ps1",
            b"WindowsPowerShell",
            b"Documents"
        ]));
        assert!(candidate(&[b"ai.fish", b"conf.d", b"fish"]));
        for n in [
            "env",
            ".environment",
            "config.fish",
            "profile.ps1",
            "auth.json",
            ".bash_history",
        ] {
            assert!(!candidate(&[n.as_bytes(), b"x", b"y"]), "{n}");
        }
        let k = keys();
        let mut big = format!("OPENAI_API_KEY={}\n", k.openai_proj).into_bytes();
        big.resize((MAX_SECRET_FILE + 1) as usize, b'#');
        let (arts, errs) = scan(&[("home/u/.env", big)]);
        assert_eq!(arts, vec![]);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].reason, "secrets: larger than 1 MiB, not scanned");
        assert!(!format!("{errs:?}").contains(&k.openai_proj));
    }

    #[test]
    fn garbage_never_panics() {
        let k = keys();
        let shapes: Vec<Vec<u8>> = vec![
            vec![],
            vec![0xff],
            vec![0xff, 0xfe, 0x41],
            vec![0xfe, 0xff, 0xd8, 0x00],
            b"OPENAI_API_KEY".to_vec(),
            b"OPENAI_API_KEY=".to_vec(),
            b"\xff\xfeOPENAI_API_KEY=\x00\x00".to_vec(),
            format!("\u{0}{}\u{0}", k.openai_proj).into_bytes(),
            format!("{}{}", k.anthropic, k.anthropic).into_bytes(),
            (0..4096u32).map(|i| (i * 31 % 251) as u8).collect(),
        ];
        for (i, s) in shapes.into_iter().enumerate() {
            let _ = scan(&[(&format!("home/u{i}/.env"), s)]);
        }
    }
}
