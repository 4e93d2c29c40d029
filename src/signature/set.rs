//! The compiled set and its matcher. Hosts go through hash lookups on label-boundary
//! suffixes (most specific wins); paths and user agents through Aho-Corasick automata.

use super::host::{HostPattern, normalize_host, suffix_starts};
use super::{Example, Field, Indicator, Service};
use crate::observation::Observation;
use crate::parse::url::split_url;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Anchored, Input, MatchKind, StartKind};
use rustc_hash::FxHashMap;

type IndId = usize;

#[derive(Default)]
pub(super) struct IndexBuilder {
    exact: Vec<(String, IndId)>,
    suffix: Vec<(String, IndId)>,
    patterns: Vec<(String, HostPattern, IndId)>,
    paths: Vec<(Option<String>, Option<String>, String, IndId)>,
    user_agents: Vec<(String, IndId)>,
    software: Vec<(String, IndId)>,
}

impl IndexBuilder {
    pub fn host(&mut self, id: IndId, h: String) {
        self.exact.push((h, id));
    }
    pub fn domain(&mut self, id: IndId, d: String) {
        self.suffix.push((d, id));
    }
    pub fn pattern(&mut self, id: IndId, p: HostPattern, suffix: String) {
        self.patterns.push((suffix, p, id));
    }
    pub fn path(&mut self, id: IndId, host: Option<String>, domain: Option<String>, path: String) {
        self.paths.push((host, domain, path, id));
    }
    pub fn user_agent(&mut self, id: IndId, ua: String) {
        self.user_agents.push((ua, id));
    }
    pub fn software(&mut self, id: IndId, key: String) {
        self.software.push((key, id));
    }

    pub fn build(
        self,
        services: Vec<Service>,
        indicators: Vec<Indicator>,
        version: String,
        sha256: String,
    ) -> Result<SignatureSet, Vec<String>> {
        let mut conflicts = Vec::new();
        // Patterns, paths and user agents: the same one in two services would make one
        // request count for both, or leave one dead.
        let mut seen: FxHashMap<&str, usize> = FxHashMap::default();
        for (id, ind) in indicators.iter().enumerate() {
            if !(ind.label.starts_with("host_pattern:")
                || ind.label.starts_with("path:")
                || ind.label.starts_with("user_agent:"))
            {
                continue;
            }
            let key = ind.label.as_str();
            match seen.get(key) {
                Some(&prev) if indicators[prev].service != ind.service => {
                    let (a, b) = (&services[indicators[prev].service], &services[ind.service]);
                    conflicts.push(format!(
                        "{}: {}: {key:?} is also claimed by {} ({}); an indicator belongs to one service",
                        b.file, b.id, a.id, a.file
                    ));
                }
                Some(_) => {}
                None => {
                    seen.insert(key, id);
                }
            }
        }
        let mut unique = |kind: &str, list: &[(String, IndId)]| -> FxHashMap<Box<[u8]>, IndId> {
            let mut map: FxHashMap<Box<[u8]>, IndId> = FxHashMap::default();
            for (key, id) in list {
                if let Some(&prev) = map.get::<[u8]>(key.as_bytes()) {
                    let prev: IndId = prev;
                    let (a, b) = (
                        &services[indicators[prev].service],
                        &services[indicators[*id].service],
                    );
                    conflicts.push(format!(
                        "{}: {}: {kind} {key:?} is also claimed by {} ({}); a {kind} belongs to one service",
                        b.file, b.id, a.id, a.file
                    ));
                    continue;
                }
                map.insert(key.as_bytes().into(), *id);
            }
            map
        };
        let exact = unique("host", &self.exact);
        let suffix = unique("domain", &self.suffix);
        let software = unique("software selector", &self.software);
        // Everything keyed by a name goes in one map, so matching a host costs one lookup
        // per label.
        let mut names: FxHashMap<Box<[u8]>, NameEntry> = FxHashMap::default();
        fn entry(names: &mut FxHashMap<Box<[u8]>, NameEntry>, k: Box<[u8]>) -> &mut NameEntry {
            names.entry(k).or_default()
        }
        for (k, id) in exact {
            entry(&mut names, k).exact = Some(id);
        }
        for (k, id) in suffix {
            entry(&mut names, k).domain = Some(id);
        }
        for (sfx, p, id) in self.patterns {
            entry(&mut names, sfx.into_bytes().into())
                .patterns
                .push((p, id));
        }
        let mut any_paths = Vec::new();
        for (host, domain, prefix, id) in self.paths {
            match (host, domain) {
                (Some(h), _) => entry(&mut names, h.into_bytes().into())
                    .paths
                    .push(BoundPath {
                        prefix,
                        exact: true,
                        id,
                    }),
                (_, Some(d)) => entry(&mut names, d.into_bytes().into())
                    .paths
                    .push(BoundPath {
                        prefix,
                        exact: false,
                        id,
                    }),
                _ => any_paths.push((prefix, id)),
            }
        }
        if !conflicts.is_empty() {
            return Err(conflicts);
        }
        // A signature folder given on the command line could exceed the automata's size
        // limits: that is an error in the set, not a crash.
        let too_big = |what: &str, e: aho_corasick::BuildError| vec![format!("{what}: {e}")];
        let any_path_ac = (!any_paths.is_empty())
            .then(|| {
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::LeftmostLongest)
                    .start_kind(StartKind::Anchored)
                    .build(any_paths.iter().map(|(p, _)| p.as_bytes()))
                    .map_err(|e| too_big("path indicators", e))
            })
            .transpose()?;
        let ua_ac = (!self.user_agents.is_empty())
            .then(|| {
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .build(self.user_agents.iter().map(|(u, _)| u.as_bytes()))
                    .map_err(|e| too_big("user-agent indicators", e))
            })
            .transpose()?;
        Ok(SignatureSet {
            services,
            indicators,
            names,
            any_path_ids: any_paths.into_iter().map(|(_, id)| id).collect(),
            any_path_ac,
            ua_ids: self.user_agents.into_iter().map(|(_, id)| id).collect(),
            ua_ac,
            software,
            version,
            sha256,
        })
    }
}

/// What a name (a host, or a suffix of one) is an indicator for.
#[derive(Default)]
struct NameEntry {
    /// `host`: exactly this name.
    exact: Option<IndId>,
    /// `domain`: this name and every name under it.
    domain: Option<IndId>,
    /// `host_pattern`s whose literal suffix is this name.
    patterns: Vec<(HostPattern, IndId)>,
    /// Paths bound to this host or domain.
    paths: Vec<BoundPath>,
}

struct BoundPath {
    prefix: String,
    /// Bound to exactly this host (`host`), or to the domain and its subdomains.
    exact: bool,
    id: IndId,
}

/// A compiled, immutable signature set; share it by reference across threads.
pub struct SignatureSet {
    services: Vec<Service>,
    indicators: Vec<Indicator>,
    names: FxHashMap<Box<[u8]>, NameEntry>,
    any_path_ids: Vec<IndId>,
    any_path_ac: Option<AhoCorasick>,
    ua_ids: Vec<IndId>,
    ua_ac: Option<AhoCorasick>,
    /// Software selector keys (see [`super::software::key`]).
    software: FxHashMap<Box<[u8]>, IndId>,
    version: String,
    sha256: String,
}

/// One indicator that fired, with the value it fired on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    pub indicator: usize,
    pub service: usize,
    pub field: Field,
}

/// Per-thread scratch space so matching allocates nothing.
#[derive(Default)]
pub struct MatchScratch {
    /// The normalised host of the last observation matched.
    pub host: Vec<u8>,
}

impl SignatureSet {
    pub fn services(&self) -> &[Service] {
        &self.services
    }
    pub fn indicators(&self) -> &[Indicator] {
        &self.indicators
    }
    pub fn version(&self) -> &str {
        &self.version
    }
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// Every indicator `o` fires, at most one per service, into `hits` (cleared first).
    ///
    /// The host decides first: an exact host or host pattern beats any domain, a longer
    /// domain beats a shorter one. When the host belongs to a service, path and
    /// user-agent hits of other vendors are dropped (an OpenAI SDK talking to another
    /// provider's API is that provider's use).
    pub fn match_into(&self, o: &Observation<'_>, scratch: &mut MatchScratch, hits: &mut Vec<Hit>) {
        hits.clear();
        let host_ok = o.host.is_some_and(|h| normalize_host(h, &mut scratch.host));
        if !host_ok {
            scratch.host.clear();
        }
        let host = &scratch.host[..];
        // Walk the host's label-boundary suffixes, longest first: an exact host or a host
        // pattern wins outright, else the longest domain; paths bound to any of these names
        // are checked on the way.
        let (mut exact_hit, mut domain_hit) = (None, None);
        if host_ok {
            for start in suffix_starts(host) {
                let Some(e) = self.names.get(&host[start..]) else {
                    continue;
                };
                if start == 0 {
                    exact_hit = exact_hit.or(e.exact);
                }
                if exact_hit.is_none()
                    && let Some((_, id)) = e.patterns.iter().find(|(p, _)| p.matches(host))
                {
                    exact_hit = Some(*id);
                }
                if domain_hit.is_none() {
                    domain_hit = e.domain;
                }
                if let Some(path) = o.path {
                    for bp in &e.paths {
                        if (!bp.exact || start == 0) && path.starts_with(bp.prefix.as_bytes()) {
                            self.push(hits, bp.id);
                        }
                    }
                }
            }
        }
        let host_hit = exact_hit.or(domain_hit);
        if let Some(id) = host_hit {
            self.push(hits, id);
        }
        if let Some(path) = o.path {
            if let Some(ac) = &self.any_path_ac
                && let Ok(Some(m)) = ac.try_find(Input::new(path).anchored(Anchored::Yes))
            {
                self.push(hits, self.any_path_ids[m.pattern().as_usize()]);
            }
        }
        if let (Some(ua), Some(ac)) = (o.user_agent, &self.ua_ac) {
            for m in ac.find_overlapping_iter(ua) {
                self.push(hits, self.ua_ids[m.pattern().as_usize()]);
            }
        }
        if let Some(id) = host_hit {
            let vendor = &self.services[self.indicators[id].service].vendor_id;
            hits.retain(|h| self.services[h.service].vendor_id == *vendor);
        }
    }

    fn push(&self, hits: &mut Vec<Hit>, id: IndId) {
        let ind = &self.indicators[id];
        match hits.iter_mut().find(|h| h.service == ind.service) {
            // Keep the strongest indicator per service.
            Some(h) => {
                let cur = &self.indicators[h.indicator];
                if (cur.supporting, std::cmp::Reverse(cur.confidence))
                    > (ind.supporting, std::cmp::Reverse(ind.confidence))
                {
                    *h = Hit {
                        indicator: id,
                        service: ind.service,
                        field: ind.field,
                    };
                }
            }
            None => hits.push(Hit {
                indicator: id,
                service: ind.service,
                field: ind.field,
            }),
        }
    }

    /// The indicator a software selector key names: the key itself, and for a config path
    /// each folder above it (the longest that has an indicator wins).
    pub fn match_software(&self, key: &str) -> Option<Hit> {
        let hit = |id: IndId| Hit {
            indicator: id,
            service: self.indicators[id].service,
            field: Field::Software,
        };
        if let Some(path) = key.strip_prefix("config_path::") {
            return super::software::config_path_keys(path).find_map(|p| {
                let k = format!("config_path::{p}");
                self.software.get(k.as_bytes()).map(|&id| hit(id))
            });
        }
        self.software.get(key.as_bytes()).map(|&id| hit(id))
    }

    /// The services `example` resolves to with a primary (non-supporting) indicator.
    pub fn resolve_example(&self, example: &Example) -> Vec<&Service> {
        if let Example::Software(k) = example {
            return self
                .match_software(k)
                .filter(|h| !self.indicators[h.indicator].supporting)
                .map(|h| &self.services[h.service])
                .into_iter()
                .collect();
        }
        let mut o = Observation::default();
        match example {
            Example::Host(h) => o.host = Some(h.as_bytes()),
            Example::Url(u) => {
                let parts = split_url(u.as_bytes());
                o.host = parts.host;
                o.path = parts.path;
            }
            Example::UserAgent(ua) => o.user_agent = Some(ua.as_bytes()),
            Example::Software(_) => {}
        }
        let mut hits = Vec::new();
        self.match_into(&o, &mut MatchScratch::default(), &mut hits);
        hits.iter()
            .filter(|h| !self.indicators[h.indicator].supporting)
            .map(|h| &self.services[h.service])
            .collect()
    }

    /// Runs every service's `match` / `no_match` examples; returns one message per failure.
    pub fn check_examples(&self) -> Vec<String> {
        let mut failures = Vec::new();
        for s in &self.services {
            for e in &s.examples_match {
                let got = self.resolve_example(e);
                if !got.iter().any(|g| g.id == s.id) {
                    let got: Vec<_> = got.iter().map(|g| g.id.as_str()).collect();
                    failures.push(format!(
                        "{}: {}: match example {e} resolves to [{}], not to this service",
                        s.file,
                        s.id,
                        got.join(", ")
                    ));
                }
            }
            for e in &s.examples_no_match {
                if self.resolve_example(e).iter().any(|g| g.id == s.id) {
                    failures.push(format!(
                        "{}: {}: no_match example {e} matches this service",
                        s.file, s.id
                    ));
                }
            }
        }
        failures
    }
}

impl std::fmt::Debug for SignatureSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignatureSet")
            .field("version", &self.version)
            .field("services", &self.services.len())
            .field("indicators", &self.indicators.len())
            .finish()
    }
}
