//! Validation: rule files → a compiled [`Policy`]. Service ids and categories are checked
//! against the signature set, so a typo cannot silently sanction nothing.

use super::net::Subnet;
use super::raw::{RawRules, RawScope, RawTest};
use super::{Day, Department, Exclusion, Policy, Rule, Scope, Status, Use};
use crate::aggregate::SubjectKind;
use crate::signature::compile::{hash_file, load_toml};
use crate::signature::{CATEGORIES, SignatureSet};
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::Path;

/// The shipped default policy: sanctions nothing.
pub const DEFAULT_RULES: &str = include_str!("../../rules/default.toml");

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesError(pub String);

impl fmt::Display for RulesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Rule file texts to compile, in order (earlier rules win).
#[derive(Default)]
pub struct RuleSource {
    files: Vec<(String, String)>,
}

/// A rule test, kept for `rules check`.
#[derive(Debug)]
pub struct RuleTest {
    pub label: String,
    pub service: String,
    pub kind: SubjectKind,
    pub subject: String,
    pub clients: Vec<String>,
    pub day: Day,
    pub blocked: bool,
    pub allowed: bool,
    pub expect: Status,
    pub department: Option<String>,
    pub excluded: Option<String>,
}

impl RuleSource {
    pub fn builtin() -> Self {
        let mut s = RuleSource::default();
        s.add_text("<builtin>/default.toml", DEFAULT_RULES);
        s
    }

    pub fn add_text(&mut self, name: &str, text: &str) {
        self.files.push((name.to_string(), text.to_string()));
    }

    /// A rules file, or every `*.toml` directly in a folder (sorted by name).
    pub fn add_path(&mut self, path: &Path) -> Result<(), RulesError> {
        let err = |e: std::io::Error| RulesError(format!("{}: {e}", path.display()));
        if path.is_dir() {
            let mut paths: Vec<_> = std::fs::read_dir(path)
                .map_err(err)?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "toml") && p.is_file())
                .collect();
            paths.sort();
            if paths.is_empty() {
                return Err(RulesError(format!(
                    "{}: no *.toml rule files",
                    path.display()
                )));
            }
            for p in paths {
                self.add_path(&p)?;
            }
            return Ok(());
        }
        let text = std::fs::read_to_string(path).map_err(err)?;
        self.files.push((path.display().to_string(), text));
        Ok(())
    }

    /// Compiles every file against `sigs`. All problems are returned, not only the first.
    pub fn compile(&self, sigs: &SignatureSet) -> Result<(Policy, Vec<RuleTest>), Vec<RulesError>> {
        let mut errors = Vec::new();
        let mut policy = Policy::default();
        let mut tests = Vec::new();
        let mut hasher = Sha256::new();
        for (name, text) in &self.files {
            hash_file(&mut hasher, short(name), text);
            policy.files.push(name.clone());
            let raw: RawRules = match load_toml(name, text, |r: &RawRules| r.schema) {
                Ok(r) => r,
                Err(e) => {
                    errors.push(RulesError(e));
                    continue;
                }
            };
            let mut ctx = Ctx {
                name,
                sigs,
                errors: &mut errors,
            };
            for (i, d) in raw.department.into_iter().enumerate() {
                let at = format!("department[{i}] {:?}", d.id);
                let members = ctx.scope(
                    &at,
                    RawScope {
                        departments: vec![],
                        users: d.users,
                        subnets: d.subnets,
                        endpoints: d.endpoints,
                    },
                );
                if policy.departments.iter().any(|x| x.id == d.id) {
                    ctx.err(&at, "department id defined twice".into());
                }
                policy.departments.push(Department {
                    id: d.id,
                    name: d.name,
                    sensitive: d.sensitive,
                    members,
                });
            }
            for (i, x) in raw.exclusion.into_iter().enumerate() {
                let at = format!("exclusion[{i}] {:?}", x.id);
                let who = ctx.scope(
                    &at,
                    RawScope {
                        departments: vec![],
                        users: x.users,
                        subnets: x.subnets,
                        endpoints: x.endpoints,
                    },
                );
                if who.users.is_empty() && who.subnets.is_empty() && who.endpoints.is_empty() {
                    ctx.err(&at, "an exclusion needs users, subnets or endpoints".into());
                }
                for s in &x.services {
                    ctx.service(&at, s);
                }
                policy.exclusions.push(Exclusion {
                    id: x.id,
                    reason: x.reason,
                    who,
                    services: x.services,
                });
            }
            for (i, r) in raw.policy.into_iter().enumerate() {
                let at = format!("policy[{i}]");
                let service = match r.service.as_deref() {
                    None | Some("*") => None,
                    Some(s) => {
                        ctx.service(&at, s);
                        if !r.categories.is_empty() {
                            ctx.err(&at, "give `service` or `categories`, not both".into());
                        }
                        Some(s.to_string())
                    }
                };
                if service.is_none() && r.categories.is_empty() && r.service.is_none() {
                    ctx.err(
                        &at,
                        "needs `service` (an id, or \"*\" for all) or `categories`".into(),
                    );
                }
                for c in &r.categories {
                    if !CATEGORIES.contains(&c.as_str()) {
                        ctx.err(
                            &at,
                            format!("category {c:?} is not one of {}", CATEGORIES.join(", ")),
                        );
                    }
                }
                let status = match Status::parse(&r.status) {
                    Some(s) if s != Status::BlockedButUsed => s,
                    _ => {
                        ctx.err(&at, format!("status {:?} is not one of sanctioned, tolerated, unsanctioned, blocked", r.status));
                        Status::Unsanctioned
                    }
                };
                let review = r.review.as_deref().and_then(|d| ctx.day(&at, "review", d));
                let expires = r
                    .expires
                    .as_deref()
                    .and_then(|d| ctx.day(&at, "expires", d));
                let scope = r.scope.map(|s| ctx.scope(&at, s));
                if r.reason.trim().is_empty() {
                    ctx.err(&at, "a rule needs a reason".into());
                }
                policy.rules.push(Rule {
                    label: format!("{}#{at}", short(name)),
                    service,
                    categories: r.categories,
                    status,
                    scope,
                    owner: r.owner,
                    reason: r.reason,
                    review,
                    expires,
                });
            }
            if let Some(r) = raw.risk {
                if let Some(w) = r.weights {
                    let pw = &mut policy.risk.weights;
                    for (dst, v) in [
                        (&mut pw.trains_on_input, w.trains_on_input),
                        (&mut pw.retention, w.retention),
                        (&mut pw.jurisdiction, w.jurisdiction),
                        (&mut pw.enterprise_offering, w.enterprise_offering),
                        (&mut pw.category, w.category),
                        (&mut pw.users, w.users),
                        (&mut pw.volume_sent, w.volume_sent),
                        (&mut pw.uploads, w.uploads),
                        (&mut pw.sensitive_department, w.sensitive_department),
                        (&mut pw.account_type, w.account_type),
                    ] {
                        if let Some(v) = v {
                            if v > 100 {
                                ctx.err("risk.weights", format!("weight {v} is above 100"));
                            }
                            *dst = v;
                        }
                    }
                }
                if let Some(t) = r.trusted_jurisdictions {
                    for c in &t {
                        if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
                            ctx.err(
                                "risk.trusted_jurisdictions",
                                format!("{c:?} is not an ISO 3166-1 alpha-2 code"),
                            );
                        }
                    }
                    policy.risk.trusted_jurisdictions = t;
                }
            }
            if let Some(r) = raw.register {
                policy.register_per_department = r.per_department;
            }
            for (i, t) in raw.test.into_iter().enumerate() {
                if let Some(t) = ctx.test(&format!("test[{i}]"), t) {
                    tests.push(t);
                }
            }
        }
        // Scopes may name departments defined in any file.
        for r in &policy.rules {
            for d in r.scope.iter().flat_map(|s| &s.departments) {
                if !policy.departments.iter().any(|x| &x.id == d) {
                    errors.push(RulesError(format!(
                        "{}: scope names department {d:?}, which no rules file defines",
                        r.label
                    )));
                }
            }
        }
        policy.sha256 = crate::signature::hex_string(&hasher.finalize());
        if errors.is_empty() {
            Ok((policy, tests))
        } else {
            Err(errors)
        }
    }
}

fn short(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}

struct Ctx<'a> {
    name: &'a str,
    sigs: &'a SignatureSet,
    errors: &'a mut Vec<RulesError>,
}

impl Ctx<'_> {
    fn err(&mut self, at: &str, msg: String) {
        self.errors
            .push(RulesError(format!("{}: {at}: {msg}", self.name)));
    }

    fn service(&mut self, at: &str, id: &str) {
        if !self.sigs.services().iter().any(|s| s.id == id) {
            self.err(
                at,
                format!(
                    "service {id:?} is not in the signature set (see `shadow-ai signatures list`)"
                ),
            );
        }
    }

    fn day(&mut self, at: &str, field: &str, d: &str) -> Option<Day> {
        let day = Day::parse(d);
        if day.is_none() {
            self.err(at, format!("{field} {d:?} is not a date (YYYY-MM-DD)"));
        }
        day
    }

    fn scope(&mut self, at: &str, s: RawScope) -> Scope {
        let mut subnets = Vec::new();
        for n in &s.subnets {
            match Subnet::parse(n) {
                Ok(n) => subnets.push(n),
                Err(e) => self.err(at, e),
            }
        }
        Scope {
            departments: s.departments,
            users: s.users,
            subnets,
            endpoints: s.endpoints,
        }
    }

    /// Test services are checked when the tests run, so a scan with a custom signature
    /// set can still load rules whose tests name built-in services.
    fn test(&mut self, at: &str, t: RawTest) -> Option<RuleTest> {
        let day = self.day(at, "date", &t.date)?;
        let Some(expect) = Status::parse(&t.expect) else {
            self.err(at, format!("expect {:?} is not a status", t.expect));
            return None;
        };
        let (kind, subject, clients) = match (t.user, t.client) {
            (Some(u), c) => (SubjectKind::User, u, c.into_iter().collect()),
            (None, Some(c)) => (SubjectKind::Client, c, Vec::new()),
            (None, None) => {
                self.err(at, "a test needs a `user` or a `client`".into());
                return None;
            }
        };
        Some(RuleTest {
            label: format!("{}#{at}", short(self.name)),
            service: t.service,
            kind,
            subject,
            clients,
            day,
            blocked: t.blocked,
            allowed: t.allowed,
            expect,
            department: t.department,
            excluded: t.excluded,
        })
    }
}

/// Runs rule tests; one message per failure.
pub fn run_tests(policy: &Policy, sigs: &SignatureSet, tests: &[RuleTest]) -> Vec<String> {
    let mut failures = Vec::new();
    for t in tests {
        let Some(svc) = sigs.services().iter().find(|s| s.id == t.service) else {
            failures.push(format!(
                "{}: service {:?} is not in the signature set",
                t.label, t.service
            ));
            continue;
        };
        let u = Use {
            service: &svc.id,
            category: &svc.category,
            blocked: u64::from(t.blocked),
            allowed: u64::from(t.allowed),
        };
        let v = policy.evaluate_use(t.kind, &t.subject, &t.clients, &u, t.day);
        let dept = v.department.as_ref().map(|d| d.id.as_str());
        let excl = v.excluded.as_ref().map(|x| x.id.as_str());
        if v.status != t.expect || dept != t.department.as_deref() || excl != t.excluded.as_deref()
        {
            failures.push(format!(
                "{}: {} by {} {:?}: expected {} (department {:?}, excluded {:?}), got {} (department {dept:?}, excluded {excl:?}; {})",
                t.label,
                t.service,
                t.kind.as_str(),
                t.subject,
                t.expect.as_str(),
                t.department,
                t.excluded,
                v.status.as_str(),
                v.reason
            ));
        }
    }
    failures
}
