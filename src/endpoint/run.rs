//! Scans endpoints for the scan engine: walks each root, matches every artefact against the
//! signature set's software selectors, and feeds matches to the aggregator.

use super::artifact::{Artifact, ArtifactKind, EndpointCtx, Selector};
use super::detect::userpath::{home_rest, slash_path};
use super::walk::{self, WalkOptions, WalkStats};
use crate::aggregate::{Aggregator, EvidenceRef};
use crate::emit::cyclonedx::{EndpointInventory, MatchedService};
use crate::observation::{ObsKind, Observation};
use crate::signature::SignatureSet;
use crate::signature::software;
use crate::summary::{Counts, InputStatus, InputSummary};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// An endpoint to walk: `--endpoint [NAME=]ROOT`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointInput {
    pub name: String,
    pub root: PathBuf,
}

impl EndpointInput {
    /// `NAME=ROOT`, or `ROOT` named after the host it holds: `/` is this machine; a disk
    /// image's `etc/hostname`; else the folder's name.
    pub fn parse(arg: &str) -> EndpointInput {
        if let Some((name, root)) = arg.split_once('=')
            && !name.is_empty()
            && !name.contains(['/', '\\'])
        {
            return EndpointInput {
                name: name.to_string(),
                root: PathBuf::from(root),
            };
        }
        let root = PathBuf::from(arg);
        let name = if root == Path::new("/") {
            read_name(Path::new("/proc/sys/kernel/hostname"))
                .or_else(|| read_name(Path::new("/etc/hostname")))
        } else {
            // In an image, a link could point out of it: read only a regular file.
            let p = root.join("etc/hostname");
            std::fs::symlink_metadata(&p)
                .is_ok_and(|m| m.file_type().is_file())
                .then(|| read_name(&p))
                .flatten()
        }
        .or_else(|| {
            std::fs::canonicalize(&root)
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        })
        .unwrap_or_else(|| arg.to_string());
        EndpointInput { name, root }
    }
}

fn read_name(p: &Path) -> Option<String> {
    let s = std::fs::read_to_string(p).ok()?;
    let n = s.lines().next()?.trim();
    (!n.is_empty() && n.len() < 256).then(|| n.to_string())
}

/// An artefact that matched a service, kept for evidence and the CycloneDX output.
#[derive(Clone, Debug)]
pub struct FoundArtifact {
    pub endpoint: String,
    pub user: Option<String>,
    pub artifact: Artifact,
    /// The selector key that matched (see [`software::key`]).
    pub key: String,
    pub service: usize,
}

/// The selector key an artefact is matched by. Artefacts without a selector of their own
/// are matched by what they are: an API key by its provider, a model file by its format,
/// an MCP server by the config file of the client that runs it.
pub fn key_of(a: &Artifact, ctx_root: &Path) -> Option<String> {
    let k = |kind: &str, q: &str, v: &str| software::key(kind, q, v).ok();
    match &a.selector {
        Selector::BundleId(b) => k("bundle_id", "", b),
        Selector::Extension { store, id } => k("extension", store, id),
        Selector::Package { ecosystem, name } => k("package", ecosystem, name),
        Selector::Executable(x) => k("executable", "", x),
        Selector::ConfigPath(p) => k("config_path", "", p),
        Selector::None => match a.kind {
            ArtifactKind::ApiKey => k("api_key", "", a.name.as_deref()?),
            ArtifactKind::Model => {
                let fmt = a.detail.as_deref()?.split_whitespace().next()?;
                k("model_format", "", fmt)
            }
            ArtifactKind::McpServer => {
                let rel = a.path.strip_prefix(ctx_root).ok()?;
                k("config_path", "", &slash_path(home_rest(rel)?))
            }
            _ => None,
        },
    }
}

/// The artefact as shown in a finding's matched values.
fn shown(key: &str, a: &Artifact) -> String {
    match &a.version {
        Some(v) => format!("{key} {v}"),
        None => key.to_string(),
    }
}

/// Where matched artefacts go: the findings and the list kept for evidence and the BOM.
pub struct Recorder<'a> {
    pub sigs: &'a SignatureSet,
    pub agg: &'a mut Aggregator,
    pub found: &'a mut Vec<FoundArtifact>,
}

impl Recorder<'_> {
    /// Counts one artefact (matched or not) and, when a signature names it (`key`), adds
    /// it to the findings with evidence `(input, line)`.
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        self,
        key: Option<String>,
        endpoint: &str,
        user: Option<&str>,
        artifact: Artifact,
        input: u32,
        line: u64,
        counts: &mut Counts,
    ) {
        counts.records += 1;
        counts.observations += 1;
        let Some((hit, key)) = key
            .as_deref()
            .and_then(|k| self.sigs.match_software(k))
            .zip(key)
        else {
            counts.unmatched += 1;
            return;
        };
        counts.matched += 1;
        let o = Observation {
            kind: ObsKind::Software,
            client: Some(endpoint.as_bytes()),
            user: user.map(str::as_bytes),
            ..Default::default()
        };
        let ev = EvidenceRef {
            input,
            part: 0,
            line,
            time: None,
        };
        self.agg
            .add(self.sigs, &hit, &o, shown(&key, &artifact).as_bytes(), ev);
        self.found.push(FoundArtifact {
            endpoint: endpoint.to_string(),
            user: user.map(str::to_string),
            artifact,
            key,
            service: hit.service,
        });
    }
}

/// Walks one endpoint; matched artefacts go to `agg` (evidence: `input`, and the index in
/// `found` + 1 as the line) and `found`.
pub fn scan_endpoint(
    ep: &EndpointInput,
    input: u32,
    sigs: &SignatureSet,
    opts: &WalkOptions,
    agg: &mut Aggregator,
    found: &mut Vec<FoundArtifact>,
) -> (InputSummary, WalkStats) {
    let ctx = EndpointCtx {
        endpoint: ep.name.clone(),
        root: ep.root.clone(),
    };
    let mut summary = InputSummary {
        path: format!("endpoint:{}={}", ep.name, ep.root.display()),
        format: Some("endpoint"),
        compression: "none",
        ..Default::default()
    };
    if !ep.root.is_dir() {
        summary.status = InputStatus::Error;
        summary.error = Some(format!("{}: not a folder", ep.root.display()));
        return (summary, WalkStats::default());
    }
    struct Shared<'a> {
        agg: &'a mut Aggregator,
        found: &'a mut Vec<FoundArtifact>,
        counts: Counts,
    }
    let shared = Mutex::new(Shared {
        agg,
        found,
        counts: Counts::default(),
    });
    let on_artifact = |user: Option<&str>, mut a: Artifact| {
        // Detectors name files relative to the root; findings name them in full.
        if a.path.is_relative() {
            a.path = ctx.root.join(&a.path);
        }
        let key = key_of(&a, &ctx.root);
        let mut sh = shared.lock().unwrap_or_else(|e| e.into_inner());
        let Shared { agg, found, counts } = &mut *sh;
        let line = found.len() as u64 + 1;
        let to = Recorder { sigs, agg, found };
        to.record(key, &ctx.endpoint, user, a, input, line, counts);
    };
    let stats = walk::walk(&ctx, opts, &on_artifact);
    let sh = shared.into_inner().unwrap_or_else(|e| e.into_inner());
    summary.counts = sh.counts;
    // Files a detector could not read are records skipped, with their reasons.
    summary.counts.records += stats.detect_errors;
    summary.counts.skipped += stats.detect_errors;
    (summary, stats)
}

/// The artefacts per endpoint with the services they matched, for the CycloneDX output.
pub fn inventory(sigs: &SignatureSet, found: &[FoundArtifact]) -> Vec<EndpointInventory> {
    let mut by_endpoint: std::collections::BTreeMap<&str, EndpointInventory> = Default::default();
    for f in found {
        let s = &sigs.services()[f.service];
        let endpoints: Vec<String> = sigs
            .indicators()
            .iter()
            .filter(|i| i.service == f.service && !i.supporting)
            .filter_map(|i| {
                i.label
                    .strip_prefix("host:")
                    .or_else(|| i.label.strip_prefix("domain:"))
            })
            .map(str::to_string)
            .collect();
        let service = MatchedService {
            id: s.id.clone(),
            name: s.name.clone(),
            vendor: s.vendor.clone(),
            category: s.category.clone(),
            endpoints,
        };
        by_endpoint
            .entry(&f.endpoint)
            .or_insert_with(|| EndpointInventory {
                endpoint: f.endpoint.clone(),
                artifacts: Vec::new(),
            })
            .artifacts
            .push((f.user.clone(), f.artifact.clone(), Some(service)));
    }
    by_endpoint.into_values().collect()
}
