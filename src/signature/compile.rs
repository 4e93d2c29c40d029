//! Validation: raw signature files → a compiled [`SignatureSet`]. No I/O happens here;
//! [`SignatureSource`] gathers the file texts first.

use super::host::{HostPattern, normalize_host};
use super::raw::{RawExample, RawFile, RawIndicator, RawService};
use super::set::{IndexBuilder, SignatureSet};
use super::{CATEGORIES, Confidence, Example, Field, Governance, Indicator, Service, builtin};
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::Path;

/// A signature problem, naming the file, the service and the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError(pub String);

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LoadError {}

/// Signature file texts to compile: the embedded defaults, user folders, or both.
#[derive(Default)]
pub struct SignatureSource {
    /// (display name, contents), in load order.
    files: Vec<(String, String)>,
    versions: Vec<String>,
}

impl SignatureSource {
    pub fn builtin() -> Self {
        let mut s = SignatureSource::default();
        s.add_builtin();
        s
    }

    pub fn add_builtin(&mut self) {
        for (name, text) in builtin::FILES {
            self.files
                .push((format!("<builtin>/{name}"), (*text).to_string()));
        }
        self.versions.push(builtin::VERSION.to_string());
    }

    /// Adds one file's text; `name` is shown in messages and its stem must be the vendor id.
    pub fn add_text(&mut self, name: &str, text: &str) {
        self.files.push((name.to_string(), text.to_string()));
    }

    /// Adds every `*.toml` in `dir` (not recursive), sorted by name.
    pub fn add_dir(&mut self, dir: &Path) -> Result<(), LoadError> {
        let rd =
            std::fs::read_dir(dir).map_err(|e| LoadError(format!("{}: {e}", dir.display())))?;
        let mut paths: Vec<_> = rd
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml") && p.is_file())
            .collect();
        paths.sort();
        if paths.is_empty() {
            return Err(LoadError(format!(
                "{}: no *.toml signature files",
                dir.display()
            )));
        }
        for p in paths {
            let text = std::fs::read_to_string(&p)
                .map_err(|e| LoadError(format!("{}: {e}", p.display())))?;
            self.files.push((p.display().to_string(), text));
        }
        let version =
            std::fs::read_to_string(dir.join("SET_VERSION")).map(|v| v.trim().to_string());
        self.versions
            .push(version.unwrap_or_else(|_| format!("custom:{}", dir.display())));
        Ok(())
    }

    /// Compiles every file. A service id defined again by a later file replaces the earlier
    /// definition (that is how a folder overrides a built-in service). All problems are
    /// returned, not only the first.
    pub fn compile(&self) -> Result<SignatureSet, Vec<LoadError>> {
        let mut errors = Vec::new();
        let mut services: Vec<(Service, Vec<RawIndicator>)> = Vec::new();
        let mut hasher = Sha256::new();
        for (name, text) in &self.files {
            let stem = name
                .rsplit(['/', '\\'])
                .next()
                .unwrap_or(name)
                .trim_end_matches(".toml");
            hash_file(&mut hasher, stem, text);
            let raw: RawFile = match load_toml(name, text, |r: &RawFile| r.schema) {
                Ok(r) => r,
                Err(e) => {
                    errors.push(LoadError(e));
                    continue;
                }
            };
            if raw.vendor_id != stem {
                errors.push(LoadError(format!(
                    "{name}: vendor_id {:?} must equal the file name {stem:?}",
                    raw.vendor_id
                )));
            }
            for rs in raw.service {
                match service_from_raw(name, &raw.vendor, &raw.vendor_id, rs, &mut errors) {
                    Some((svc, inds)) => {
                        if let Some(old) = services.iter().position(|(s, _)| s.id == svc.id) {
                            if services[old].0.file == svc.file {
                                errors.push(LoadError(format!(
                                    "{name}: {}: service id defined twice",
                                    svc.id
                                )));
                            }
                            services.remove(old);
                        }
                        services.push((svc, inds));
                    }
                    None => continue,
                }
            }
        }
        let mut index = IndexBuilder::default();
        let mut all_services = Vec::with_capacity(services.len());
        let mut indicators = Vec::new();
        for (svc, inds) in services {
            let si = all_services.len();
            for ri in inds {
                if let Err(e) = add_indicator(&mut index, &mut indicators, si, &ri) {
                    errors.push(LoadError(format!("{}: {}: {e}", svc.file, svc.id)));
                }
            }
            all_services.push(svc);
        }
        let sha256 = hex(&hasher.finalize());
        let version = if self.versions.is_empty() {
            "custom".to_string()
        } else {
            self.versions.join("+")
        };
        let set = match index.build(all_services, indicators, version, sha256) {
            Ok(s) => s,
            Err(conflicts) => {
                errors.extend(conflicts.into_iter().map(LoadError));
                return Err(errors);
            }
        };
        if errors.is_empty() {
            Ok(set)
        } else {
            Err(errors)
        }
    }
}

/// Signature and rule files share one loading contract: TOML, unknown keys refused,
/// `schema = 1`. Errors name the file.
pub(crate) fn load_toml<T: serde::de::DeserializeOwned>(
    name: &str,
    text: &str,
    schema: fn(&T) -> u32,
) -> Result<T, String> {
    let raw: T =
        toml::from_str(text).map_err(|e| format!("{name}: {}", e.to_string().trim_end()))?;
    match schema(&raw) {
        1 => Ok(raw),
        v => Err(format!("{name}: schema = {v}: this build reads schema 1")),
    }
}

/// Adds one file to a set checksum: its name, then its text, each NUL-terminated.
pub(crate) fn hash_file(hasher: &mut Sha256, name: &str, text: &str) {
    hasher.update(name.as_bytes());
    hasher.update([0]);
    hasher.update(text.as_bytes());
    hasher.update([0]);
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn is_kebab(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

fn service_from_raw(
    file: &str,
    vendor: &str,
    vendor_id: &str,
    rs: RawService,
    errors: &mut Vec<LoadError>,
) -> Option<(Service, Vec<RawIndicator>)> {
    let at = |field: &str, msg: String| LoadError(format!("{file}: {}: {field}: {msg}", rs.id));
    let before = errors.len();
    if !is_kebab(&rs.id) || !rs.id.starts_with(&format!("{vendor_id}-")) {
        errors.push(at(
            "id",
            format!(
                "must be kebab-case and start with {:?}",
                format!("{vendor_id}-")
            ),
        ));
    }
    if !CATEGORIES.contains(&rs.category.as_str()) {
        errors.push(at(
            "category",
            format!("{:?} is not one of {}", rs.category, CATEGORIES.join(", ")),
        ));
    }
    for (field, v) in [("name", &rs.name), ("description", &rs.description)] {
        if v.trim().is_empty() {
            errors.push(at(field, "must not be empty".into()));
        }
    }
    if let Some(t) = &rs.governance.trains_on_user_input
        && !["yes", "no", "opt-out", "opt-in", "unknown"].contains(&t.as_str())
    {
        errors.push(at(
            "governance.trains_on_user_input",
            format!("{t:?} is not one of yes, no, opt-out, opt-in, unknown"),
        ));
    }
    if let Some(c) = &rs.governance.hq_country
        && (c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()))
    {
        errors.push(at(
            "governance.hq_country",
            format!("{c:?} is not an ISO 3166-1 alpha-2 code"),
        ));
    }
    if rs.indicators.is_empty() {
        errors.push(at(
            "indicators",
            "a service needs at least one indicator".into(),
        ));
    }
    if rs.examples.matches.is_empty() || rs.examples.no_match.is_empty() {
        errors.push(at(
            "examples",
            "needs at least one `match` and one `no_match` example".into(),
        ));
    }
    let conv = |e: RawExample| -> Result<Example, String> {
        match e {
            RawExample::Host(h) => Ok(Example::Host(h)),
            RawExample::Typed(t) => match (t.software().key()?, t.url, t.user_agent) {
                (None, Some(u), None) => Ok(Example::Url(u)),
                (None, None, Some(ua)) => Ok(Example::UserAgent(ua)),
                (Some(k), None, None) => Ok(Example::Software(k)),
                _ => Err(
                    "an example table needs exactly one of `url`, `user_agent` or a software selector"
                        .into(),
                ),
            },
        }
    };
    let mut examples = (Vec::new(), Vec::new());
    for (list, out, name) in [
        (rs.examples.matches, &mut examples.0, "examples.match"),
        (rs.examples.no_match, &mut examples.1, "examples.no_match"),
    ] {
        for e in list {
            match conv(e) {
                Ok(e) => out.push(e),
                Err(m) => errors.push(at(name, m)),
            }
        }
    }
    if errors.len() > before {
        return None;
    }
    let g = rs.governance;
    Some((
        Service {
            id: rs.id,
            name: rs.name,
            vendor: vendor.to_string(),
            vendor_id: vendor_id.to_string(),
            category: rs.category,
            description: rs.description,
            governance: Governance {
                hq_country: g.hq_country,
                trains_on_user_input: g.trains_on_user_input,
                data_retention: g.data_retention,
                enterprise_offering: g.enterprise_offering,
                sources: g.sources,
            },
            examples_match: examples.0,
            examples_no_match: examples.1,
            file: file.to_string(),
        },
        rs.indicators,
    ))
}

fn norm_host(field: &str, v: &str) -> Result<String, String> {
    let mut out = Vec::new();
    if !normalize_host(v.as_bytes(), &mut out) || out.contains(&b'*') {
        return Err(format!("{field} {v:?} is not a host name"));
    }
    let h = String::from_utf8(out).map_err(|_| format!("{field} {v:?} is not ASCII"))?;
    if h != v {
        return Err(format!("{field} {v:?} must be written normalised as {h:?}"));
    }
    if !h.contains('.') {
        return Err(format!("{field} {v:?} must have at least two labels"));
    }
    Ok(h)
}

fn add_indicator(
    index: &mut IndexBuilder,
    indicators: &mut Vec<Indicator>,
    service: usize,
    ri: &RawIndicator,
) -> Result<(), String> {
    let confidence = match ri.confidence.as_str() {
        "high" => Confidence::High,
        "medium" => Confidence::Medium,
        "low" => Confidence::Low,
        c => return Err(format!("confidence {c:?} is not one of high, medium, low")),
    };
    // `host` and `domain` narrow a `path`; otherwise they are selectors themselves.
    let narrows = ri.path.is_some();
    let selectors = [
        ri.domain.is_some() && !narrows,
        ri.host.is_some() && !narrows,
        ri.host_pattern.is_some(),
        ri.path.is_some(),
        ri.user_agent.is_some(),
        ri.package.is_some(),
        ri.bundle_id.is_some(),
        ri.extension.is_some(),
        ri.executable.is_some(),
        ri.config_path.is_some(),
        ri.api_key.is_some(),
        ri.model_format.is_some(),
    ];
    if (ri.ecosystem.is_some() && ri.package.is_none())
        || (ri.store.is_some() && ri.extension.is_none())
    {
        return Err("`ecosystem` goes with `package`, `store` with `extension`".into());
    }
    let n = selectors.iter().filter(|&&s| s).count();
    if n != 1 {
        return Err("an indicator needs exactly one of domain, host, host_pattern, path, user_agent, package, bundle_id, extension, executable, config_path, api_key, model_format".into());
    }
    let id = indicators.len();
    let mut push = |field: Field, label: String| {
        indicators.push(Indicator {
            service,
            field,
            label,
            confidence,
            supporting: ri.supporting,
        });
    };
    if let Some(path) = &ri.path {
        if !path.starts_with('/') || path.len() < 2 {
            return Err(format!(
                "path {path:?} must start with `/` and name something"
            ));
        }
        if ri.host.is_some() && ri.domain.is_some() {
            return Err("a path takes `host` or `domain`, not both".into());
        }
        let host = ri
            .host
            .as_deref()
            .map(|h| norm_host("host", h))
            .transpose()?;
        let domain = ri
            .domain
            .as_deref()
            .map(|d| norm_host("domain", d))
            .transpose()?;
        let label = match (&host, &domain) {
            (Some(h), _) => format!("path:{h}{path}"),
            (_, Some(d)) => format!("path:*.{d}{path}"),
            _ => format!("path:{path}"),
        };
        push(Field::Path, label);
        index.path(id, host, domain, path.clone());
    } else if let Some(d) = &ri.domain {
        let d = norm_host("domain", d)?;
        push(Field::Host, format!("domain:{d}"));
        index.domain(id, d);
    } else if let Some(h) = &ri.host {
        let h = norm_host("host", h)?;
        push(Field::Host, format!("host:{h}"));
        index.host(id, h);
    } else if let Some(p) = &ri.host_pattern {
        if p.bytes().any(|c| c.is_ascii_uppercase()) {
            return Err(format!("host_pattern {p:?} must be lower case"));
        }
        let (pattern, suffix) =
            HostPattern::parse(p).map_err(|e| format!("host_pattern {p:?}: {e}"))?;
        push(Field::Host, format!("host_pattern:{p}"));
        index.pattern(id, pattern, suffix);
    } else if let Some(ua) = &ri.user_agent {
        if ua.trim().len() < 4 {
            return Err(format!(
                "user_agent {ua:?} is too short to be specific (4 characters or more)"
            ));
        }
        push(Field::UserAgent, format!("user_agent:{ua}"));
        index.user_agent(id, ua.clone());
    } else {
        // Software selectors: matched by the endpoint inputs, one lookup per artefact.
        let Some(key) = ri.software().key()? else {
            return Err("no selector".into());
        };
        push(Field::Software, key.clone());
        index.software(id, key);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPENAI: &str = r#"
schema = 1
vendor = "OpenAI"
vendor_id = "openai"

[[service]]
id = "openai-chatgpt"
name = "ChatGPT"
category = "chat-assistant"
description = "Chat assistant."
governance = { hq_country = "US", trains_on_user_input = "opt-out" }
indicators = [
  { domain = "chatgpt.com", confidence = "high" },
  { host = "files.oaiusercontent.com", confidence = "high" },
]
examples = { match = ["x.chatgpt.com", "FILES.oaiusercontent.com."], no_match = ["notchatgpt.com", "chatgpt.com.evil.example"] }

[[service]]
id = "openai-api"
name = "OpenAI API"
category = "model-api"
description = "Model API."
indicators = [
  { host = "api.openai.com", confidence = "high" },
  { domain = "openai.com", confidence = "medium" },
  { user_agent = "OpenAI/Python", confidence = "medium" },
  { host = "cdn.oaistatic.com", confidence = "low", supporting = true },
]
examples = { match = [{ url = "https://api.openai.com/v1/chat/completions" }, "openai.com", { user_agent = "OpenAI/Python 1.52.0" }], no_match = ["notopenai.com", "openai.com.evil.example"] }
"#;

    const AWS: &str = r#"
schema = 1
vendor = "Amazon Web Services"
vendor_id = "aws"

[[service]]
id = "aws-bedrock"
name = "Amazon Bedrock"
category = "model-api"
description = "Managed model API."
indicators = [{ host_pattern = "bedrock-runtime.*.amazonaws.com", confidence = "high" }]
examples = { match = ["bedrock-runtime.eu-west-1.amazonaws.com"], no_match = ["s3.eu-west-1.amazonaws.com"] }

[[service]]
id = "aws-generic-path"
name = "Path test"
category = "model-api"
description = "Path bound to a domain."
indicators = [{ path = "/v1/chat/completions", confidence = "medium" }]
examples = { match = [{ url = "http://llm.internal.example/v1/chat/completions" }], no_match = [{ url = "https://api.openai.com/v1/chat/completions" }] }
"#;

    fn set() -> SignatureSet {
        let mut s = SignatureSource::default();
        s.add_text("openai.toml", OPENAI);
        s.add_text("aws.toml", AWS);
        s.compile().unwrap()
    }

    fn resolve(set: &SignatureSet, e: Example) -> Vec<String> {
        set.resolve_example(&e)
            .iter()
            .map(|s| s.id.clone())
            .collect()
    }

    #[test]
    fn examples_pass_and_specific_wins() {
        let set = set();
        assert_eq!(set.check_examples(), Vec::<String>::new());
        // Exact host beats the broader domain of another service of the same vendor.
        assert_eq!(
            resolve(&set, Example::Host("api.openai.com".into())),
            ["openai-api"]
        );
        assert_eq!(
            resolve(&set, Example::Host("chat.openai.com".into())),
            ["openai-api"]
        );
        assert_eq!(
            resolve(&set, Example::Host("xchatgpt.com".into())),
            Vec::<String>::new()
        );
        // Supporting indicators never resolve a service on their own.
        assert_eq!(
            resolve(&set, Example::Host("cdn.oaistatic.com".into())),
            Vec::<String>::new()
        );
        // A path on an unknown host is the generic service; on a known host it is dropped.
        assert_eq!(
            resolve(
                &set,
                Example::Url("http://10.0.0.1:8000/v1/chat/completions".into())
            ),
            ["aws-generic-path"]
        );
        // An SDK user agent talking to another vendor's host is that vendor's use.
        let o = crate::observation::Observation {
            host: Some(b"bedrock-runtime.us-east-1.amazonaws.com"),
            user_agent: Some(b"OpenAI/Python 1.2"),
            ..Default::default()
        };
        let mut hits = Vec::new();
        set.match_into(
            &o,
            &mut crate::signature::MatchScratch::default(),
            &mut hits,
        );
        let ids: Vec<_> = hits
            .iter()
            .map(|h| set.services()[h.service].id.as_str())
            .collect();
        assert_eq!(ids, ["aws-bedrock"]);
        assert_eq!(set.version(), "custom");
        assert_eq!(set.sha256().len(), 64);
    }

    #[test]
    fn software_selectors_match_by_normalised_key() {
        const OLLAMA: &str = r#"
schema = 1
vendor = "Ollama"
vendor_id = "ollama"

[[service]]
id = "ollama-runtime"
name = "Ollama"
category = "local-ai"
description = "Local model runtime."
indicators = [
  { executable = "ollama", confidence = "high" },
  { config_path = ".ollama", confidence = "high" },
  { package = "ollama", ecosystem = "pypi", confidence = "high" },
  { extension = "ollama.helper", store = "vscode", confidence = "medium" },
]
[service.examples]
match = [
  { executable = "Ollama.exe" },
  { config_path = "~/.ollama/models/manifests" },
  { package = "Ollama", ecosystem = "pypi" },
  { extension = "Ollama.Helper", store = "vscode" },
]
no_match = [
  { executable = "ollama-clone" },
  { config_path = ".ollamax" },
  { package = "ollama", ecosystem = "npm" },
  "ollama.com",
]
"#;
        let mut s = SignatureSource::default();
        s.add_text("ollama.toml", OLLAMA);
        let set = s.compile().unwrap();
        assert_eq!(set.check_examples(), Vec::<String>::new());
        let hit = set
            .match_software("config_path::.ollama/models/blobs")
            .unwrap();
        assert_eq!(set.services()[hit.service].id, "ollama-runtime");
        assert_eq!(
            set.indicators()[hit.indicator].label,
            "config_path::.ollama"
        );
        // A selector key in two services is refused, like a domain.
        let mut s = SignatureSource::default();
        s.add_text("ollama.toml", OLLAMA);
        s.add_text(
            "other.toml",
            &OLLAMA
                .replace("vendor_id = \"ollama\"", "vendor_id = \"other\"")
                .replace("id = \"ollama-runtime\"", "id = \"other-runtime\""),
        );
        let errs = s.compile().unwrap_err();
        assert!(
            errs.iter().any(|e| e.0.contains(
                "software selector \"executable::ollama\" is also claimed by ollama-runtime"
            )),
            "{errs:?}"
        );
        // Bad qualifiers name the field.
        let mut s = SignatureSource::default();
        s.add_text(
            "ollama.toml",
            &OLLAMA.replace(
                "ecosystem = \"pypi\", confidence",
                "ecosystem = \"maven\", confidence",
            ),
        );
        let errs = s.compile().unwrap_err();
        assert!(
            errs[0].0.contains("ecosystem \"maven\" is not one of"),
            "{errs:?}"
        );
    }

    #[test]
    fn errors_name_file_service_and_field() {
        let mut s = SignatureSource::default();
        s.add_text("openai.toml", &OPENAI.replace("chat-assistant", "chatbot"));
        let errs = s.compile().unwrap_err();
        assert_eq!(
            errs[0].0,
            "openai.toml: openai-chatgpt: category: \"chatbot\" is not one of chat-assistant, model-api, coding-assistant, ai-search, image-generation, video-generation, audio-generation, model-hub, inference-platform, writing-assistant, productivity-assistant, meeting-assistant, agent-platform, translation, local-ai"
        );
        let mut s = SignatureSource::default();
        s.add_text(
            "openai.toml",
            &OPENAI.replace(
                "description = \"Model API.\"",
                "description = \"Model API.\"\ncolour = \"red\"",
            ),
        );
        let errs = s.compile().unwrap_err();
        assert!(
            errs[0]
                .0
                .starts_with("openai.toml: TOML parse error at line 23, column 1"),
            "{}",
            errs[0]
        );
        assert!(
            errs[0]
                .0
                .contains("unknown field `colour`, expected one of `id`, `name`"),
            "{}",
            errs[0]
        );
        let mut s = SignatureSource::default();
        s.add_text("openai.toml", OPENAI);
        s.add_text(
            "other.toml",
            &OPENAI
                .replace("vendor_id = \"openai\"", "vendor_id = \"other\"")
                .replace("openai-", "other-"),
        );
        let errs = s.compile().unwrap_err();
        let errs: Vec<&str> = errs.iter().map(|e| e.0.as_str()).collect();
        assert!(errs.contains(
            &"other.toml: other-chatgpt: domain \"chatgpt.com\" is also claimed by openai-chatgpt (openai.toml); a domain belongs to one service"
        ), "{errs:?}");
        let mut s = SignatureSource::default();
        s.add_text(
            "openai.toml",
            &OPENAI.replace("{ domain = \"chatgpt.com\"", "{ domain = \"ChatGPT.com\""),
        );
        let errs = s.compile().unwrap_err();
        assert_eq!(
            errs[0].0,
            "openai.toml: openai-chatgpt: domain \"ChatGPT.com\" must be written normalised as \"chatgpt.com\""
        );
    }

    #[test]
    fn a_later_file_replaces_a_service_by_id() {
        let mut s = SignatureSource::default();
        s.add_text("openai.toml", OPENAI);
        s.add_text(
            "/custom/openai.toml",
            &OPENAI.replace("name = \"ChatGPT\"", "name = \"ChatGPT (custom)\""),
        );
        let set = s.compile().unwrap();
        assert_eq!(set.services().len(), 2);
        assert!(set.services().iter().any(|s| s.name == "ChatGPT (custom)"));
    }
}
