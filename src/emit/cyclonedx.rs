//! CycloneDX 1.6 JSON of what was found on endpoints (`--format-out cyclonedx`): the apps,
//! extensions, packages, agents and models as components, and the external AI services they
//! were matched to as services.
//!
//! # One document, one or several endpoints
//!
//! A CycloneDX JSON document is one BOM object; the specification has no array of BOMs (a
//! JSON array of BOMs validates against nothing and no consumer reads it). So:
//!
//! * one endpoint ([`write`] with one entry, and each file of `--out-dir`, named by
//!   [`file_name`]): `metadata.component` is the endpoint (`type: "device"`) and the
//!   top-level `components` are what was found on it: the usual shape of a device's BOM, the
//!   one Dependency-Track and the other consumers take as "the project";
//! * several endpoints ([`write`] with several entries, to standard output or one file):
//!   one BOM whose top-level `components` are the endpoints (`type: "device"`), each with the
//!   artefacts found on it nested in its own `components` (CycloneDX's assembly nesting);
//!   there is no `metadata.component`.
//!
//! # Mapping
//!
//! | artefact | component `type` |
//! |---|---|
//! | app, IDE extension, browser extension, local runtime, agent, MCP server | `application` |
//! | package | `library` |
//! | model | `machine-learning-model` (no `modelCard`: nothing known beyond the file) |
//! | API key | not listed: a BOM is shared more widely than findings, so not even a key's fingerprint goes in it; the device carries `shadow-ai:api_keys_found` = the count |
//!
//! Each component has `name` (the artefact's name, else its selector value), `version`, a
//! `purl` where the ecosystem has a Package URL type whose identity the artefact holds
//! (`pkg:pypi`, `pkg:npm` with `%40scope`, `pkg:cargo`, `pkg:golang`, `pkg:brew`,
//! `pkg:vscode-extension/<publisher>/<name>`, `pkg:chrome-extension`, `pkg:firefox-extension`;
//! not `pkg:deb` and `pkg:rpm`, whose namespace is the distribution vendor, `debian` or
//! `ubuntu`, `fedora` or `opensuse`, which an artefact does not carry: a guessed vendor
//! would mislead vulnerability matching), and `properties`: `shadow-ai:kind`,
//! `shadow-ai:selector` (`bundle_id:…`, `vscode:…`, `pypi:…`, `executable:…`,
//! `config_path:…`), `shadow-ai:user`, `shadow-ai:path`, `shadow-ai:line`, `shadow-ai:size`,
//! `shadow-ai:format` (models) or `shadow-ai:detail` (others), `shadow-ai:service`.
//!
//! Each matched service appears once in `services`: `bom-ref` `service:<id>`, `provider` the
//! vendor, `name`, `endpoints` (`https://<host>` for each exact host of its signature;
//! suffix and wildcard entries name no endpoint), `x-trust-boundary: true`, and properties
//! `shadow-ai:service` and `shadow-ai:category`. `dependencies` link each artefact to the
//! service it was matched to, and each device to every service matched on it.
//!
//! `serialNumber` is derived from the content: SHA-256 of the BOM without its serial number
//! and timestamp, formatted as a UUID with the version-5 and RFC 4122 variant bits, so the
//! same findings give the same serial number and different ones a different one (the
//! specification asks for a new serial number per generated BOM "even if the contents …
//! have not changed"; a content serial is chosen instead so that re-running a scan on an
//! unchanged endpoint gives a BOM consumers can recognise as the same, and diffs stay
//! quiet). `metadata.timestamp` is when the document was written.

use crate::endpoint::artifact::{Artifact, ArtifactKind, Selector};
use crate::time::Timestamp;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::{self, Write};

/// The external AI service an artefact was matched to, from the signature set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchedService {
    /// Signature id (`openai-chatgpt`).
    pub id: String,
    pub name: String,
    pub vendor: String,
    pub category: String,
    /// Service hosts from the signature (`chatgpt.com`); may be empty. Suffix entries
    /// (`.openai.com`) and wildcards are not endpoints and are left out.
    pub endpoints: Vec<String>,
}

/// What was found on one endpoint: each artefact with its user and matched service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointInventory {
    pub endpoint: String,
    pub artifacts: Vec<(Option<String>, Artifact, Option<MatchedService>)>,
}

/// Writes one CycloneDX 1.6 BOM for `endpoints` (see the module doc for the layout), dated
/// now.
pub fn write(out: &mut dyn Write, endpoints: &[EndpointInventory]) -> io::Result<()> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    write_at(
        out,
        endpoints,
        Timestamp::from_secs(i64::try_from(now).unwrap_or(0)),
    )
}

/// [`write`] with the document's timestamp given.
pub fn write_at(
    out: &mut dyn Write,
    endpoints: &[EndpointInventory],
    generated: Timestamp,
) -> io::Result<()> {
    let mut bom = build(endpoints);
    let canonical = serde_json::to_vec(&bom).map_err(io::Error::other)?;
    bom.serial_number = Some(serial_number(&canonical));
    bom.metadata.timestamp = Some(generated.to_string());
    serde_json::to_writer_pretty(&mut *out, &bom).map_err(io::Error::other)?;
    out.write_all(b"\n")
}

/// The file name for one endpoint's BOM in `--out-dir`: `<endpoint>.cdx.json` (CycloneDX's
/// recommended suffix), with anything but letters, digits, `.`, `-` and `_` replaced by `_`.
pub fn file_name(endpoint: &str) -> String {
    let safe: String = endpoint
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let safe = safe.trim_start_matches('.');
    if safe.is_empty() {
        "endpoint.cdx.json".to_owned()
    } else {
        format!("{safe}.cdx.json")
    }
}

/// The Package URL of an artefact, where its ecosystem has a purl type and the artefact
/// holds the whole identity (see the module doc).
pub fn purl(selector: &Selector, version: Option<&str>) -> Option<String> {
    let (ty, namespace, name): (&str, Vec<&str>, &str) = match selector {
        Selector::Package { ecosystem, name } => match *ecosystem {
            "pypi" => ("pypi", vec![], name),
            "npm" => match name.strip_prefix('@').and_then(|n| n.split_once('/')) {
                Some((scope, n)) => ("npm", vec![&name[..scope.len() + 1]], n),
                None => ("npm", vec![], name),
            },
            "cargo" => ("cargo", vec![], name),
            "go" => match name.rsplit_once('/') {
                Some((ns, n)) => ("golang", ns.split('/').collect(), n),
                None => ("golang", vec![], name),
            },
            "brew" => ("brew", vec![], name),
            _ => return None,
        },
        Selector::Extension { store, id } => match *store {
            "vscode" => {
                let (publisher, n) = id.split_once('.')?;
                ("vscode-extension", vec![publisher], n)
            }
            "chrome" if id.len() == 32 && id.bytes().all(|b| (b'a'..=b'p').contains(&b)) => {
                ("chrome-extension", vec![], id)
            }
            "firefox" => ("firefox-extension", vec![], id),
            _ => return None,
        },
        _ => return None,
    };
    if name.is_empty() || namespace.iter().any(|s| s.is_empty()) {
        return None;
    }
    let mut p = format!("pkg:{ty}/");
    for seg in namespace {
        p.push_str(&pct(seg));
        p.push('/');
    }
    p.push_str(&pct(name));
    if let Some(v) = version.map(str::trim).filter(|v| !v.is_empty()) {
        p.push('@');
        p.push_str(&pct(v));
    }
    Some(p)
}

/// Percent-encodes all but the unreserved characters (RFC 3986), as purl components need.
fn pct(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `urn:uuid:` of the SHA-256 of `content`, with the version (5) and variant bits set.
fn serial_number(content: &[u8]) -> String {
    let d = Sha256::digest(content);
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

#[derive(Serialize)]
struct Bom {
    #[serde(rename = "$schema")]
    schema: &'static str,
    #[serde(rename = "bomFormat")]
    bom_format: &'static str,
    #[serde(rename = "specVersion")]
    spec_version: &'static str,
    #[serde(rename = "serialNumber", skip_serializing_if = "Option::is_none")]
    serial_number: Option<String>,
    version: u32,
    metadata: Metadata,
    components: Vec<Component>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    services: Vec<Service>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    dependencies: Vec<Dependency>,
}

#[derive(Serialize)]
struct Metadata {
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<String>,
    tools: Tools,
    #[serde(skip_serializing_if = "Option::is_none")]
    component: Option<Component>,
}

#[derive(Serialize)]
struct Tools {
    components: Vec<Component>,
}

#[derive(Serialize)]
struct Component {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "bom-ref", skip_serializing_if = "Option::is_none")]
    bom_ref: Option<String>,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    components: Vec<Component>,
}

#[derive(Serialize)]
struct Property {
    name: &'static str,
    value: String,
}

#[derive(Serialize)]
struct Service {
    #[serde(rename = "bom-ref")]
    bom_ref: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    provider: Option<Organization>,
    name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    endpoints: Vec<String>,
    #[serde(rename = "x-trust-boundary")]
    trust_boundary: bool,
    properties: Vec<Property>,
}

#[derive(Serialize)]
struct Organization {
    name: String,
}

#[derive(Serialize)]
struct Dependency {
    #[serde(rename = "ref")]
    reference: String,
    #[serde(rename = "dependsOn")]
    depends_on: Vec<String>,
}

/// Hands out `bom-ref`s, unique within the document.
#[derive(Default)]
struct Refs(HashSet<String>);

impl Refs {
    fn take(&mut self, base: String) -> String {
        if self.0.insert(base.clone()) {
            return base;
        }
        (2..)
            .map(|n| format!("{base}#{n}"))
            .find(|r| self.0.insert(r.clone()))
            .unwrap_or(base)
    }
}

fn build(endpoints: &[EndpointInventory]) -> Bom {
    let mut refs = Refs::default();
    let mut services: BTreeMap<String, Service> = BTreeMap::new();
    let mut deps: Vec<Dependency> = Vec::new();
    let mut eps: Vec<&EndpointInventory> = endpoints.iter().collect();
    eps.sort_by(|a, b| a.endpoint.cmp(&b.endpoint));
    let nested = eps.len() != 1;
    let mut devices: Vec<Component> = eps
        .iter()
        .map(|e| device(e, nested, &mut refs, &mut services, &mut deps))
        .collect();
    deps.sort_by(|a, b| a.reference.cmp(&b.reference));
    let tool = Component {
        kind: "application",
        bom_ref: None,
        name: "shadow-ai".to_owned(),
        version: Some(env!("CARGO_PKG_VERSION").to_owned()),
        purl: None,
        properties: Vec::new(),
        components: Vec::new(),
    };
    let (component, components) = if nested {
        (None, devices)
    } else {
        let mut d = devices.pop();
        let found = d.as_mut().map(|d| std::mem::take(&mut d.components));
        (d, found.unwrap_or_default())
    };
    Bom {
        schema: "http://cyclonedx.org/schema/bom-1.6.schema.json",
        bom_format: "CycloneDX",
        spec_version: "1.6",
        serial_number: None,
        version: 1,
        metadata: Metadata {
            timestamp: None,
            tools: Tools {
                components: vec![tool],
            },
            component,
        },
        components,
        services: services.into_values().collect(),
        dependencies: deps,
    }
}

/// The endpoint as a `device` component, with what was found on it in `components`.
fn device(
    e: &EndpointInventory,
    nested: bool,
    refs: &mut Refs,
    services: &mut BTreeMap<String, Service>,
    deps: &mut Vec<Dependency>,
) -> Component {
    let name = if e.endpoint.trim().is_empty() {
        "(unnamed endpoint)".to_owned()
    } else {
        e.endpoint.clone()
    };
    let device_ref = refs.take(format!("device:{name}"));
    let prefix = if nested {
        format!("{name}/")
    } else {
        String::new()
    };

    let mut found: Vec<&(Option<String>, Artifact, Option<MatchedService>)> =
        e.artifacts.iter().collect();
    found.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
    found.dedup_by(|a, b| a == b);

    let mut components = Vec::new();
    let mut used: BTreeSet<String> = BTreeSet::new();
    let mut api_keys = 0u64;
    for (user, a, svc) in found {
        let svc_ref = svc.as_ref().map(|s| {
            let r = format!("service:{}", s.id);
            services
                .entry(s.id.clone())
                .or_insert_with(|| service(s, &r));
            used.insert(r.clone());
            r
        });
        if a.kind == ArtifactKind::ApiKey {
            api_keys += 1;
            continue;
        }
        let mut c = component(a, user.as_deref(), svc.as_ref());
        let base = format!(
            "{prefix}{}:{}{}",
            a.kind.as_str(),
            selector_text(&a.selector).unwrap_or_else(|| c.name.clone()),
            a.version
                .as_deref()
                .map(|v| format!("@{v}"))
                .unwrap_or_default()
        );
        let r = refs.take(base);
        if let Some(s) = svc_ref {
            deps.push(Dependency {
                reference: r.clone(),
                depends_on: vec![s],
            });
        }
        c.bom_ref = Some(r);
        components.push(c);
    }
    if !used.is_empty() {
        deps.push(Dependency {
            reference: device_ref.clone(),
            depends_on: used.into_iter().collect(),
        });
    }
    let mut properties = Vec::new();
    if api_keys > 0 {
        properties.push(Property {
            name: "shadow-ai:api_keys_found",
            value: api_keys.to_string(),
        });
    }
    Component {
        kind: "device",
        bom_ref: Some(device_ref),
        name,
        version: None,
        purl: None,
        properties,
        components,
    }
}

type SortKey<'a> = (
    ArtifactKind,
    &'a Selector,
    Option<&'a str>,
    Option<&'a str>,
    &'a std::path::Path,
    Option<u64>,
    Option<&'a str>,
    Option<&'a str>,
);

fn sort_key(e: &(Option<String>, Artifact, Option<MatchedService>)) -> SortKey<'_> {
    let (user, a, svc) = e;
    (
        a.kind,
        &a.selector,
        a.name.as_deref(),
        a.version.as_deref(),
        &a.path,
        a.line,
        user.as_deref(),
        svc.as_ref().map(|s| s.id.as_str()),
    )
}

fn component(a: &Artifact, user: Option<&str>, svc: Option<&MatchedService>) -> Component {
    let kind = match a.kind {
        ArtifactKind::Package => "library",
        ArtifactKind::Model => "machine-learning-model",
        _ => "application",
    };
    let name = a
        .name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .or_else(|| selector_value(&a.selector))
        .or_else(|| a.path.file_name().map(|f| f.to_string_lossy().into_owned()))
        .unwrap_or_else(|| a.kind.as_str().to_owned());
    let mut properties = vec![Property {
        name: "shadow-ai:kind",
        value: a.kind.as_str().to_owned(),
    }];
    let mut prop = |name, value: Option<String>| {
        if let Some(value) = value {
            properties.push(Property { name, value });
        }
    };
    prop("shadow-ai:selector", selector_text(&a.selector));
    prop("shadow-ai:user", user.map(str::to_owned));
    prop(
        "shadow-ai:path",
        Some(a.path.to_string_lossy().into_owned()).filter(|p| !p.is_empty()),
    );
    prop("shadow-ai:line", a.line.map(|l| l.to_string()));
    prop("shadow-ai:size", a.size.map(|s| s.to_string()));
    let detail_name = if a.kind == ArtifactKind::Model {
        "shadow-ai:format"
    } else {
        "shadow-ai:detail"
    };
    prop(detail_name, a.detail.clone());
    prop("shadow-ai:service", svc.map(|s| s.id.clone()));
    Component {
        kind,
        bom_ref: None,
        name,
        version: a.version.clone(),
        purl: purl(&a.selector, a.version.as_deref()),
        properties,
        components: Vec::new(),
    }
}

fn service(s: &MatchedService, bom_ref: &str) -> Service {
    let mut endpoints: Vec<String> = Vec::new();
    for h in &s.endpoints {
        if let Some(u) = endpoint_url(h)
            && !endpoints.contains(&u)
        {
            endpoints.push(u);
        }
    }
    Service {
        bom_ref: bom_ref.to_owned(),
        provider: Some(s.vendor.trim())
            .filter(|v| !v.is_empty())
            .map(|v| Organization { name: v.to_owned() }),
        name: if s.name.trim().is_empty() {
            s.id.clone()
        } else {
            s.name.clone()
        },
        endpoints,
        trust_boundary: true,
        properties: vec![
            Property {
                name: "shadow-ai:service",
                value: s.id.clone(),
            },
            Property {
                name: "shadow-ai:category",
                value: s.category.clone(),
            },
        ],
    }
}

/// `https://<host>` for an exact host; `None` for a suffix (`.openai.com`), a wildcard or
/// anything that is not a host. A value that is already an http(s) URL is kept.
fn endpoint_url(host: &str) -> Option<String> {
    let h = host.trim();
    if h.starts_with("https://") || h.starts_with("http://") {
        return Some(h.to_owned());
    }
    let h = h.trim_end_matches('.');
    if h.is_empty()
        || h.starts_with('.')
        || !h
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
    {
        return None;
    }
    Some(format!("https://{}", h.to_ascii_lowercase()))
}

fn selector_text(s: &Selector) -> Option<String> {
    Some(match s {
        Selector::BundleId(x) => format!("bundle_id:{x}"),
        Selector::Extension { store, id } => format!("{store}:{id}"),
        Selector::Package { ecosystem, name } => format!("{ecosystem}:{name}"),
        Selector::Executable(x) => format!("executable:{x}"),
        Selector::ConfigPath(x) => format!("config_path:{x}"),
        Selector::None => return None,
    })
}

fn selector_value(s: &Selector) -> Option<String> {
    match s {
        Selector::BundleId(x) | Selector::Executable(x) | Selector::ConfigPath(x) => {
            Some(x.clone())
        }
        Selector::Extension { id, .. } => Some(id.clone()),
        Selector::Package { name, .. } => Some(name.clone()),
        Selector::None => None,
    }
    .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use std::path::{Path, PathBuf};

    /// The official CycloneDX 1.6 schema with its SPDX and JSF sub-schemas registered
    /// under the URIs its relative `$ref`s resolve to (see tests/data/cyclonedx/README.md).
    fn validator() -> jsonschema::Validator {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cyclonedx");
        let load = |f: &str| -> Value {
            serde_json::from_slice(&std::fs::read(dir.join(f)).unwrap()).unwrap()
        };
        let base = "http://cyclonedx.org/schema/";
        jsonschema::options()
            .should_validate_formats(true)
            .with_resource(
                format!("{base}spdx.SNAPSHOT.schema.json"),
                jsonschema::Resource::from_contents(load("spdx.SNAPSHOT.schema.json")).unwrap(),
            )
            .with_resource(
                format!("{base}jsf-0.82.SNAPSHOT.schema.json"),
                jsonschema::Resource::from_contents(load("jsf-0.82.SNAPSHOT.schema.json")).unwrap(),
            )
            .build(&load("bom-1.6.SNAPSHOT.schema.json"))
            .unwrap()
    }

    fn check(v: &Value) {
        let errors: Vec<String> = validator()
            .iter_errors(v)
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}\n{v:#}");
    }

    fn art(
        kind: ArtifactKind,
        selector: Selector,
        name: Option<&str>,
        version: Option<&str>,
        path: &str,
    ) -> Artifact {
        Artifact {
            kind,
            selector,
            name: name.map(str::to_owned),
            version: version.map(str::to_owned),
            path: PathBuf::from(path),
            line: None,
            size: None,
            detail: None,
        }
    }

    fn pkg(ecosystem: &'static str, name: &str) -> Selector {
        Selector::Package {
            ecosystem,
            name: name.to_owned(),
        }
    }

    fn openai() -> MatchedService {
        MatchedService {
            id: "openai-chatgpt".into(),
            name: "ChatGPT".into(),
            vendor: "OpenAI".into(),
            category: "genai-assistant".into(),
            endpoints: vec![
                "chatgpt.com".into(),
                ".openai.com".into(),
                "*.oaiusercontent.com".into(),
                "Chat.OpenAI.com.".into(),
                "chatgpt.com".into(),
            ],
        }
    }

    fn anthropic() -> MatchedService {
        MatchedService {
            id: "anthropic-api".into(),
            name: "Anthropic API".into(),
            vendor: "Anthropic".into(),
            category: "genai-api".into(),
            endpoints: vec!["api.anthropic.com".into()],
        }
    }

    fn laptop() -> EndpointInventory {
        let mut model = art(
            ArtifactKind::Model,
            Selector::None,
            Some("llama3.2"),
            Some("latest"),
            "/Users/alice/.ollama/models/manifests/registry.ollama.ai/library/llama3.2/latest",
        );
        model.size = Some(2_019_393_189);
        model.detail = Some("gguf".into());
        let mut key = art(
            ArtifactKind::ApiKey,
            Selector::None,
            None,
            None,
            "/Users/alice/.zshrc",
        );
        key.line = Some(12);
        key.detail = Some("anthropic sha256:1a2b3c4d".into());
        let mut mcp = art(
            ArtifactKind::McpServer,
            Selector::None,
            Some("filesystem"),
            None,
            "/Users/alice/Library/Application Support/Claude/claude_desktop_config.json",
        );
        mcp.detail = Some("npx -y @modelcontextprotocol/server-filesystem".into());
        let alice = Some("alice".to_owned());
        EndpointInventory {
            endpoint: "laptop-alice".into(),
            artifacts: vec![
                (
                    None,
                    art(
                        ArtifactKind::App,
                        Selector::BundleId("com.openai.chat".into()),
                        Some("ChatGPT"),
                        Some("1.2025.014"),
                        "/Applications/ChatGPT.app",
                    ),
                    Some(openai()),
                ),
                (
                    alice.clone(),
                    art(
                        ArtifactKind::IdeExtension,
                        Selector::Extension {
                            store: "vscode",
                            id: "github.copilot".into(),
                        },
                        Some("GitHub Copilot"),
                        Some("1.250.0"),
                        "/Users/alice/.vscode/extensions/github.copilot-1.250.0",
                    ),
                    None,
                ),
                (
                    alice.clone(),
                    art(
                        ArtifactKind::Package,
                        pkg("npm", "@anthropic-ai/sdk"),
                        Some("@anthropic-ai/sdk"),
                        Some("0.33.1"),
                        "/Users/alice/app/node_modules/@anthropic-ai/sdk/package.json",
                    ),
                    Some(anthropic()),
                ),
                (
                    alice.clone(),
                    art(
                        ArtifactKind::Package,
                        pkg("pypi", "google-generativeai"),
                        Some("google_generativeai"),
                        Some("0.8.3"),
                        "/Users/alice/venv/lib/python3.12/site-packages/google_generativeai-0.8.3.dist-info",
                    ),
                    None,
                ),
                (
                    None,
                    art(
                        ArtifactKind::Package,
                        pkg("deb", "ollama"),
                        Some("ollama"),
                        Some("0.5.7"),
                        "/var/lib/dpkg/status",
                    ),
                    None,
                ),
                (
                    alice.clone(),
                    art(
                        ArtifactKind::Package,
                        pkg("go", "github.com/sashabaranov/go-openai"),
                        None,
                        Some("v1.36.1"),
                        "/Users/alice/svc/go.mod",
                    ),
                    Some(openai()),
                ),
                (
                    alice.clone(),
                    art(
                        ArtifactKind::Agent,
                        Selector::ConfigPath(".claude/settings.json".into()),
                        Some("Claude Code"),
                        None,
                        "/Users/alice/.claude/settings.json",
                    ),
                    Some(anthropic()),
                ),
                (alice.clone(), model, None),
                (alice.clone(), key, Some(anthropic())),
                (alice.clone(), mcp, None),
            ],
        }
    }

    fn render(eps: &[EndpointInventory]) -> Value {
        let mut out = Vec::new();
        write_at(&mut out, eps, Timestamp::from_secs(1_736_848_931)).unwrap();
        assert!(out.ends_with(b"}\n"));
        serde_json::from_slice(&out).unwrap()
    }

    fn prop<'a>(c: &'a Value, name: &str) -> Option<&'a str> {
        c["properties"]
            .as_array()?
            .iter()
            .find(|p| p["name"] == name)
            .and_then(|p| p["value"].as_str())
    }

    #[test]
    fn one_endpoint_validates_and_maps() {
        let bom = render(&[laptop()]);
        check(&bom);
        assert_eq!(bom["bomFormat"], "CycloneDX");
        assert_eq!(bom["specVersion"], "1.6");
        assert_eq!(bom["version"], 1);
        assert_eq!(bom["metadata"]["timestamp"], "2025-01-14T10:02:11Z");
        assert_eq!(
            bom["metadata"]["tools"]["components"][0]["name"],
            "shadow-ai"
        );
        let device = &bom["metadata"]["component"];
        assert_eq!(device["type"], "device");
        assert_eq!(device["name"], "laptop-alice");
        assert_eq!(device["bom-ref"], "device:laptop-alice");
        assert_eq!(prop(device, "shadow-ai:api_keys_found"), Some("1"));

        let comps = bom["components"].as_array().unwrap();
        let summary: Vec<(String, String, Option<String>)> = comps
            .iter()
            .map(|c| {
                (
                    c["type"].as_str().unwrap().to_owned(),
                    c["name"].as_str().unwrap().to_owned(),
                    c["purl"].as_str().map(str::to_owned),
                )
            })
            .collect();
        let s =
            |t: &str, n: &str, p: Option<&str>| (t.to_owned(), n.to_owned(), p.map(str::to_owned));
        assert_eq!(
            summary,
            vec![
                s("application", "ChatGPT", None),
                s(
                    "application",
                    "GitHub Copilot",
                    Some("pkg:vscode-extension/github/copilot@1.250.0")
                ),
                s("library", "ollama", None),
                s(
                    "library",
                    "github.com/sashabaranov/go-openai",
                    Some("pkg:golang/github.com/sashabaranov/go-openai@v1.36.1")
                ),
                s(
                    "library",
                    "@anthropic-ai/sdk",
                    Some("pkg:npm/%40anthropic-ai/sdk@0.33.1")
                ),
                s(
                    "library",
                    "google_generativeai",
                    Some("pkg:pypi/google-generativeai@0.8.3")
                ),
                s("machine-learning-model", "llama3.2", None),
                s("application", "Claude Code", None),
                s("application", "filesystem", None),
            ]
        );
        let chatgpt = &comps[0];
        assert_eq!(
            chatgpt["bom-ref"],
            "app:bundle_id:com.openai.chat@1.2025.014"
        );
        assert_eq!(prop(chatgpt, "shadow-ai:kind"), Some("app"));
        assert_eq!(
            prop(chatgpt, "shadow-ai:selector"),
            Some("bundle_id:com.openai.chat")
        );
        assert_eq!(
            prop(chatgpt, "shadow-ai:path"),
            Some("/Applications/ChatGPT.app")
        );
        assert_eq!(prop(chatgpt, "shadow-ai:service"), Some("openai-chatgpt"));
        assert_eq!(prop(chatgpt, "shadow-ai:user"), None);
        let model = &comps[6];
        assert_eq!(prop(model, "shadow-ai:size"), Some("2019393189"));
        assert_eq!(prop(model, "shadow-ai:format"), Some("gguf"));
        assert_eq!(prop(model, "shadow-ai:user"), Some("alice"));
        assert!(model.get("modelCard").is_none());
        assert_eq!(
            prop(&comps[8], "shadow-ai:detail"),
            Some("npx -y @modelcontextprotocol/server-filesystem")
        );
        // No API key, nor its fingerprint, anywhere in the document.
        let text = bom.to_string();
        assert!(
            !text.contains("1a2b3c4d") && !text.contains(".zshrc"),
            "{text}"
        );

        assert_eq!(
            bom["services"],
            json!([
                {
                    "bom-ref": "service:anthropic-api",
                    "provider": {"name": "Anthropic"},
                    "name": "Anthropic API",
                    "endpoints": ["https://api.anthropic.com"],
                    "x-trust-boundary": true,
                    "properties": [
                        {"name": "shadow-ai:service", "value": "anthropic-api"},
                        {"name": "shadow-ai:category", "value": "genai-api"}
                    ]
                },
                {
                    "bom-ref": "service:openai-chatgpt",
                    "provider": {"name": "OpenAI"},
                    "name": "ChatGPT",
                    "endpoints": ["https://chatgpt.com", "https://chat.openai.com"],
                    "x-trust-boundary": true,
                    "properties": [
                        {"name": "shadow-ai:service", "value": "openai-chatgpt"},
                        {"name": "shadow-ai:category", "value": "genai-assistant"}
                    ]
                }
            ])
        );
        assert_eq!(
            bom["dependencies"],
            json!([
                {"ref": "agent:config_path:.claude/settings.json", "dependsOn": ["service:anthropic-api"]},
                {"ref": "app:bundle_id:com.openai.chat@1.2025.014", "dependsOn": ["service:openai-chatgpt"]},
                {"ref": "device:laptop-alice", "dependsOn": ["service:anthropic-api", "service:openai-chatgpt"]},
                {"ref": "package:go:github.com/sashabaranov/go-openai@v1.36.1", "dependsOn": ["service:openai-chatgpt"]},
                {"ref": "package:npm:@anthropic-ai/sdk@0.33.1", "dependsOn": ["service:anthropic-api"]}
            ])
        );
    }

    #[test]
    fn serial_number_is_derived_from_content() {
        let a = render(&[laptop()]);
        let serial = a["serialNumber"].as_str().unwrap();
        assert!(serial.starts_with("urn:uuid:"));
        let uuid = &serial[9..];
        assert_eq!(&uuid[14..15], "5", "version nibble: {uuid}");
        assert!("89ab".contains(&uuid[19..20]), "variant: {uuid}");
        // Same content (at another time, in another order): same serial number.
        let mut shuffled = laptop();
        shuffled.artifacts.reverse();
        let mut out = Vec::new();
        write_at(&mut out, &[shuffled], Timestamp::from_secs(0)).unwrap();
        let b: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(b["serialNumber"], a["serialNumber"]);
        assert_eq!(b["components"], a["components"]);
        // Different content: a different one.
        let mut other = laptop();
        other.artifacts.pop();
        assert_ne!(render(&[other])["serialNumber"], a["serialNumber"]);
    }

    #[test]
    fn several_endpoints_nest_under_devices() {
        let mut second = laptop();
        second.endpoint = "build 01".into();
        second.artifacts.truncate(1);
        // The same artefact twice (found by two detectors) is listed once.
        second.artifacts.push(second.artifacts[0].clone());
        let bom = render(&[laptop(), second]);
        check(&bom);
        assert!(bom["metadata"].get("component").is_none());
        let devices = bom["components"].as_array().unwrap();
        assert_eq!(devices.len(), 2);
        assert_eq!(devices[0]["name"], "build 01");
        assert_eq!(devices[0]["type"], "device");
        let nested = devices[0]["components"].as_array().unwrap();
        assert_eq!(nested.len(), 1);
        assert_eq!(
            nested[0]["bom-ref"],
            "build 01/app:bundle_id:com.openai.chat@1.2025.014"
        );
        assert_eq!(devices[1]["components"].as_array().unwrap().len(), 9);
        // One service entry per service, whatever the number of endpoints using it.
        assert_eq!(bom["services"].as_array().unwrap().len(), 2);
        // Empty input: still a valid BOM.
        let empty = render(&[]);
        check(&empty);
        assert_eq!(empty["components"], json!([]));
    }

    /// The validation is real: the schema rejects what the specification forbids.
    #[test]
    fn schema_rejects_broken_documents() {
        let good = render(&[laptop()]);
        let v = validator();
        assert!(v.is_valid(&good));
        let mut bad = good.clone();
        bad["components"][0]["type"] = json!("desktop-app");
        assert!(!v.is_valid(&bad));
        let mut bad = good.clone();
        bad["serialNumber"] = json!("urn:uuid:not-a-uuid");
        assert!(!v.is_valid(&bad));
        let mut bad = good.clone();
        bad["metadata"]["timestamp"] = json!("yesterday");
        assert!(!v.is_valid(&bad));
        let mut bad = good;
        bad["services"][0]["surprise"] = json!(1);
        assert!(!v.is_valid(&bad));
    }

    #[test]
    fn purls() {
        let p = |s: Selector, v: Option<&str>| purl(&s, v);
        let ext = |store: &'static str, id: &str| Selector::Extension {
            store,
            id: id.to_owned(),
        };
        assert_eq!(
            p(pkg("pypi", "langchain-core"), Some("0.3.29")).as_deref(),
            Some("pkg:pypi/langchain-core@0.3.29")
        );
        assert_eq!(
            p(pkg("npm", "openai"), None).as_deref(),
            Some("pkg:npm/openai")
        );
        assert_eq!(
            p(pkg("npm", "@scope"), None).as_deref(),
            Some("pkg:npm/%40scope")
        );
        assert_eq!(
            p(pkg("cargo", "async-openai"), Some("0.26.0")).as_deref(),
            Some("pkg:cargo/async-openai@0.26.0")
        );
        assert_eq!(
            p(pkg("go", "cloud.google.com/go/vertexai"), None).as_deref(),
            Some("pkg:golang/cloud.google.com/go/vertexai")
        );
        assert_eq!(
            p(
                pkg("go", "github.com/x/y"),
                Some("v0.0.0-2024+incompatible")
            )
            .as_deref(),
            Some("pkg:golang/github.com/x/y@v0.0.0-2024%2Bincompatible")
        );
        assert_eq!(
            p(pkg("brew", "ollama"), Some("0.5.7")).as_deref(),
            Some("pkg:brew/ollama@0.5.7")
        );
        assert_eq!(
            p(pkg("brew", "python@3.12"), None).as_deref(),
            Some("pkg:brew/python%403.12")
        );
        assert_eq!(p(pkg("deb", "ollama"), Some("0.5.7")), None);
        assert_eq!(p(pkg("rpm", "ollama"), Some("0.5.7")), None);
        assert_eq!(p(pkg("snap", "ollama"), None), None);
        assert_eq!(
            p(ext("vscode", "saoudrizwan.claude-dev"), Some("3.2.0")).as_deref(),
            Some("pkg:vscode-extension/saoudrizwan/claude-dev@3.2.0")
        );
        assert_eq!(p(ext("vscode", "nodot"), None), None);
        assert_eq!(
            p(
                ext("chrome", "fcoeoabgfenejglbffodgkkbkcdhcgfn"),
                Some("1.0.12")
            )
            .as_deref(),
            Some("pkg:chrome-extension/fcoeoabgfenejglbffodgkkbkcdhcgfn@1.0.12")
        );
        assert_eq!(p(ext("chrome", "not-an-id"), None), None);
        assert_eq!(
            p(
                ext("firefox", "{d10d0bf8-f5b5-c8b4-a8b2-2b9879e08c5d}"),
                Some("4.41.1")
            )
            .as_deref(),
            Some("pkg:firefox-extension/%7Bd10d0bf8-f5b5-c8b4-a8b2-2b9879e08c5d%7D@4.41.1")
        );
        assert_eq!(p(ext("jetbrains", "com.github.copilot"), None), None);
        assert_eq!(p(Selector::BundleId("com.openai.chat".into()), None), None);
    }

    #[test]
    fn names_and_urls() {
        assert_eq!(file_name("laptop-alice.corp"), "laptop-alice.corp.cdx.json");
        assert_eq!(file_name("../etc/pass wd"), "_etc_pass_wd.cdx.json");
        assert_eq!(file_name("..."), "endpoint.cdx.json");
        assert_eq!(file_name(""), "endpoint.cdx.json");
        assert_eq!(
            endpoint_url("API.OpenAI.com").as_deref(),
            Some("https://api.openai.com")
        );
        assert_eq!(
            endpoint_url("https://x.example/v1").as_deref(),
            Some("https://x.example/v1")
        );
        assert_eq!(endpoint_url(".openai.com"), None);
        assert_eq!(endpoint_url("*.openai.com"), None);
        assert_eq!(endpoint_url("a b"), None);
        let mut r = Refs::default();
        assert_eq!(r.take("x".into()), "x");
        assert_eq!(r.take("x".into()), "x#2");
        assert_eq!(r.take("x".into()), "x#3");
    }
}
