//! The organisation's policy (`rules/*.toml`): which AI services are sanctioned,
//! tolerated, unsanctioned or blocked, for whom and until when; which department a
//! subject belongs to; and which subjects are excluded (reported as such, never dropped).
//!
//! Like signatures, rules load in two steps (`raw` → `compile`) and carry tests that
//! `shadow-ai rules check` runs. The shipped default sanctions nothing.

pub mod compile;
pub mod net;
mod raw;

pub use compile::{RuleSource, RulesError};

use crate::aggregate::{Finding, SubjectKind};
use crate::time::Timestamp;
use net::{Subnet, glob_match};
use serde::Serialize;
use std::net::IpAddr;

/// Where a service stands for a subject.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Sanctioned,
    Tolerated,
    Unsanctioned,
    Blocked,
    /// Use of a blocked service: the device logged a block, or traffic went through
    /// although a rule blocks the service.
    BlockedButUsed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Sanctioned => "sanctioned",
            Status::Tolerated => "tolerated",
            Status::Unsanctioned => "unsanctioned",
            Status::Blocked => "blocked",
            Status::BlockedButUsed => "blocked_but_used",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        [
            Status::Sanctioned,
            Status::Tolerated,
            Status::Unsanctioned,
            Status::Blocked,
            Status::BlockedButUsed,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }

    /// Use in this state needs governance attention.
    pub fn needs_attention(self) -> bool {
        matches!(self, Status::Unsanctioned | Status::BlockedButUsed)
    }
}

#[derive(Clone, Debug, Default)]
pub struct Scope {
    pub departments: Vec<String>,
    pub users: Vec<String>,
    pub subnets: Vec<Subnet>,
    pub endpoints: Vec<String>,
}

impl Scope {
    fn is_empty(&self) -> bool {
        self.departments.is_empty()
            && self.users.is_empty()
            && self.subnets.is_empty()
            && self.endpoints.is_empty()
    }

    fn matches(&self, who: &Who<'_>, department: Option<&str>) -> bool {
        department.is_some_and(|d| self.departments.iter().any(|x| x == d))
            || self.matches_identity(who)
    }

    fn matches_identity(&self, who: &Who<'_>) -> bool {
        who.user
            .is_some_and(|u| self.users.iter().any(|p| glob_match(p, u)))
            || who
                .ips
                .iter()
                .any(|ip| self.subnets.iter().any(|n| n.contains(*ip)))
            || who
                .endpoint
                .is_some_and(|e| self.endpoints.iter().any(|p| glob_match(p, e)))
    }
}

#[derive(Clone, Debug)]
pub struct Department {
    pub id: String,
    pub name: String,
    pub sensitive: bool,
    pub members: Scope,
}

#[derive(Clone, Debug)]
pub struct Exclusion {
    pub id: String,
    pub reason: String,
    pub who: Scope,
    pub services: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Rule {
    /// `file#policy[n]`, shown in verdicts.
    pub label: String,
    /// `None`: any service (narrowed by `categories`).
    pub service: Option<String>,
    pub categories: Vec<String>,
    pub status: Status,
    pub scope: Option<Scope>,
    pub owner: Option<String>,
    pub reason: String,
    pub review: Option<Day>,
    pub expires: Option<Day>,
}

/// A calendar day (UTC), written `YYYY-MM-DD`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Day(pub i64);

impl Day {
    pub fn parse(s: &str) -> Option<Day> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let (y, m, d) = (
            s[..4].parse().ok()?,
            s[5..7].parse().ok()?,
            s[8..].parse().ok()?,
        );
        Timestamp::from_civil(y, m, d, 0, 0, 0, 0).map(Day::of)
    }

    pub fn of(t: Timestamp) -> Day {
        Day(t.0.div_euclid(86_400_000_000))
    }
}

impl std::fmt::Display for Day {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (y, m, d, ..) = Timestamp(self.0 * 86_400_000_000).to_civil();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

fn ser_day<S: serde::Serializer>(d: &Option<Day>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.collect_str(d),
        None => s.serialize_none(),
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DepartmentRef {
    pub id: String,
    pub name: String,
    pub sensitive: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExclusionRef {
    pub id: String,
    pub reason: String,
}

/// The policy's verdict on one finding, with its reasons.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub status: Status,
    /// The rule that decided (`file#policy[n]`); `null` when no rule applies.
    pub rule: Option<String>,
    pub reason: String,
    pub owner: Option<String>,
    #[serde(serialize_with = "ser_day")]
    pub review: Option<Day>,
    #[serde(serialize_with = "ser_day")]
    pub expires: Option<Day>,
    /// The approval this rule gave has run out; the status fell back to unsanctioned.
    pub expired: bool,
    pub department: Option<DepartmentRef>,
    pub excluded: Option<ExclusionRef>,
}

/// A compiled, validated policy.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    pub departments: Vec<Department>,
    pub exclusions: Vec<Exclusion>,
    pub rules: Vec<Rule>,
    /// Rule files, in load order (for the summary).
    pub files: Vec<String>,
    pub sha256: String,
    pub risk: crate::governance::risk::RiskSettings,
    /// Register entries per service and department (else per service).
    pub register_per_department: bool,
}

/// Who a finding is about, as the rules see it.
struct Who<'a> {
    user: Option<&'a str>,
    ips: Vec<IpAddr>,
    endpoint: Option<&'a str>,
}

impl<'a> Who<'a> {
    fn of(kind: SubjectKind, value: &'a str, clients: &'a [String]) -> Who<'a> {
        let mut ips: Vec<IpAddr> = clients.iter().filter_map(|c| c.parse().ok()).collect();
        let (mut user, mut endpoint) = (None, None);
        match kind {
            SubjectKind::User => user = Some(value),
            SubjectKind::Client => match value.parse() {
                Ok(ip) => ips.push(ip),
                Err(_) => endpoint = Some(value),
            },
            SubjectKind::Unknown => {}
        }
        Who {
            user,
            ips,
            endpoint,
        }
    }
}

/// What a verdict depends on besides the subject: the service and what the device did.
pub struct Use<'a> {
    pub service: &'a str,
    pub category: &'a str,
    pub blocked: u64,
    pub allowed: u64,
}

impl Policy {
    fn department_of(&self, who: &Who<'_>) -> Option<&Department> {
        // A user name is the strongest tie; addresses and endpoint names come next.
        let by_user = who.user.and_then(|u| {
            self.departments
                .iter()
                .find(|d| d.members.users.iter().any(|p| glob_match(p, u)))
        });
        by_user.or_else(|| {
            self.departments.iter().find(|d| {
                who.ips
                    .iter()
                    .any(|ip| d.members.subnets.iter().any(|n| n.contains(*ip)))
                    || who
                        .endpoint
                        .is_some_and(|e| d.members.endpoints.iter().any(|p| glob_match(p, e)))
            })
        })
    }

    fn verdict_for(&self, who: &Who<'_>, u: &Use<'_>, today: Day) -> Verdict {
        let dept = self.department_of(who);
        let excluded = self
            .exclusions
            .iter()
            .find(|x| {
                (x.services.is_empty() || x.services.iter().any(|s| s == u.service))
                    && x.who.matches_identity(who)
            })
            .map(|x| ExclusionRef {
                id: x.id.clone(),
                reason: x.reason.clone(),
            });
        let rule = self.rules.iter().find(|r| {
            let service_ok = match &r.service {
                Some(s) => s == u.service,
                None => r.categories.is_empty() || r.categories.iter().any(|c| c == u.category),
            };
            service_ok
                && r.scope
                    .as_ref()
                    .is_none_or(|s| s.is_empty() || s.matches(who, dept.map(|d| d.id.as_str())))
        });
        let mut v = Verdict {
            status: Status::Unsanctioned,
            rule: None,
            reason: "no policy rule covers this service for this subject".to_string(),
            owner: None,
            review: None,
            expires: None,
            expired: false,
            department: dept.map(|d| DepartmentRef {
                id: d.id.clone(),
                name: d.name.clone(),
                sensitive: d.sensitive,
            }),
            excluded,
        };
        if let Some(r) = rule {
            v.status = r.status;
            v.rule = Some(r.label.clone());
            v.reason = r.reason.clone();
            v.owner = r.owner.clone();
            v.review = r.review;
            v.expires = r.expires;
            if let Some(end) = r.expires
                && today > end
                && matches!(r.status, Status::Sanctioned | Status::Tolerated)
            {
                v.status = Status::Unsanctioned;
                v.expired = true;
                v.reason = format!(
                    "approval expired on {end} ({} was: {})",
                    r.status.as_str(),
                    r.reason
                );
            }
        }
        let approved = matches!(v.status, Status::Sanctioned | Status::Tolerated);
        if u.blocked > 0 && !approved {
            v.status = Status::BlockedButUsed;
            v.reason = format!("the device blocked {} attempts; {}", u.blocked, v.reason);
        } else if v.status == Status::Blocked && u.allowed > 0 {
            v.status = Status::BlockedButUsed;
            v.reason = format!(
                "{} requests went through although a rule blocks the service; {}",
                u.allowed, v.reason
            );
        }
        v
    }

    /// The verdict on `f`, as of `today`.
    pub fn evaluate(&self, f: &Finding, today: Day) -> Verdict {
        let who = Who::of(f.subject.kind, &f.subject.value, &f.clients);
        let u = Use {
            service: &f.service.id,
            category: &f.service.category,
            blocked: f.actions.get("blocked").copied().unwrap_or(0),
            allowed: f.actions.get("allowed").copied().unwrap_or(0),
        };
        self.verdict_for(&who, &u, today)
    }

    /// Sets every finding's verdict as of `today` and returns the summary of them.
    pub fn apply(&self, findings: &mut [Finding], today: Day) -> crate::summary::PolicySummary {
        let mut statuses = std::collections::BTreeMap::new();
        let mut excluded = 0;
        for f in findings.iter_mut() {
            let v = self.evaluate(f, today);
            *statuses.entry(v.status.as_str()).or_insert(0) += 1;
            excluded += u64::from(v.excluded.is_some());
            f.policy = Some(v);
        }
        crate::summary::PolicySummary {
            files: self.files.clone(),
            sha256: self.sha256.clone(),
            as_of: today.to_string(),
            statuses,
            excluded,
        }
    }

    /// Verdict for a described use (rule tests, and callers without a finding).
    pub fn evaluate_use(
        &self,
        kind: SubjectKind,
        subject: &str,
        clients: &[String],
        u: &Use<'_>,
        today: Day,
    ) -> Verdict {
        self.verdict_for(&Who::of(kind, subject, clients), u, today)
    }
}

#[cfg(test)]
mod tests {
    use super::compile::{RuleSource, run_tests};
    use super::*;
    use crate::signature::SignatureSource;

    fn load(text: &str) -> Result<(Policy, Vec<compile::RuleTest>), Vec<RulesError>> {
        let sigs = SignatureSource::builtin().compile().unwrap();
        let mut src = RuleSource::default();
        src.add_text("org.toml", text);
        src.compile(&sigs)
    }

    /// The verdict on a chat assistant `service` used by `user` (from `clients`).
    fn status(
        p: &Policy,
        service: &str,
        user: &str,
        clients: &[&str],
        blocked: u64,
        allowed: u64,
        day: &str,
    ) -> Verdict {
        let clients: Vec<String> = clients.iter().map(|c| c.to_string()).collect();
        let u = Use {
            service,
            category: "chat-assistant",
            blocked,
            allowed,
        };
        p.evaluate_use(
            SubjectKind::User,
            user,
            &clients,
            &u,
            Day::parse(day).unwrap(),
        )
    }

    const ORG: &str = r#"
schema = 1
[[department]]
id = "eng"
name = "Engineering"
users = ["dev-*"]
subnets = ["10.30.0.0/16"]
[[exclusion]]
id = "scanner"
reason = "security tooling"
users = ["svc-scan"]
services = ["openai-chatgpt"]
[[policy]]
service = "openai-chatgpt"
status = "sanctioned"
scope = { departments = ["eng"] }
reason = "enterprise workspace"
owner = "gov@example.com"
review = "2027-01-01"
expires = "2026-12-31"
[[policy]]
service = "openai-chatgpt"
status = "tolerated"
reason = "everyone else, for now"
[[policy]]
service = "deepseek-chat"
status = "blocked"
reason = "jurisdiction"
"#;

    #[test]
    fn first_fitting_rule_decides_with_scope_and_expiry() {
        let (p, _) = load(ORG).unwrap();
        let v = status(&p, "openai-chatgpt", "dev-ana", &[], 0, 3, "2026-11-27");
        assert_eq!(
            (v.status, v.rule.as_deref()),
            (Status::Sanctioned, Some("org.toml#policy[0]"))
        );
        assert_eq!(v.department.as_ref().map(|d| d.id.as_str()), Some("eng"));
        assert_eq!(
            (
                v.review.unwrap().to_string(),
                v.expires.unwrap().to_string()
            ),
            ("2027-01-01".into(), "2026-12-31".into())
        );
        // A user outside engineering, seen from an engineering address: the subnet decides.
        let v = status(
            &p,
            "openai-chatgpt",
            "ann",
            &["10.30.2.2"],
            0,
            1,
            "2026-11-27",
        );
        assert_eq!(v.status, Status::Sanctioned);
        let v = status(
            &p,
            "openai-chatgpt",
            "ann",
            &["10.1.1.1"],
            0,
            1,
            "2026-11-27",
        );
        assert_eq!(
            (v.status, v.rule.as_deref(), v.department.is_none()),
            (Status::Tolerated, Some("org.toml#policy[1]"), true)
        );
        // The day after expiry the approval falls back to unsanctioned and says so.
        let v = status(&p, "openai-chatgpt", "dev-ana", &[], 0, 1, "2027-01-01");
        assert_eq!((v.status, v.expired), (Status::Unsanctioned, true));
        assert_eq!(
            v.reason,
            "approval expired on 2026-12-31 (sanctioned was: enterprise workspace)"
        );
        // Services no rule covers are unsanctioned.
        let v = status(&p, "anthropic-claude", "dev-ana", &[], 0, 1, "2026-11-27");
        assert_eq!((v.status, v.rule.is_none()), (Status::Unsanctioned, true));
    }

    #[test]
    fn blocked_but_used_and_exclusions() {
        let (p, _) = load(ORG).unwrap();
        // Traffic went through despite the block rule.
        let v = status(&p, "deepseek-chat", "ann", &[], 0, 2, "2026-11-27");
        assert_eq!(v.status, Status::BlockedButUsed);
        assert!(
            v.reason
                .starts_with("2 requests went through although a rule blocks the service"),
            "{}",
            v.reason
        );
        // Seen only in DNS (no action logged): blocked, nothing got through that we know of.
        let v = status(&p, "deepseek-chat", "ann", &[], 0, 0, "2026-11-27");
        assert_eq!(v.status, Status::Blocked);
        // The device blocked an unsanctioned service.
        let v = status(&p, "anthropic-claude", "ann", &[], 4, 0, "2026-11-27");
        assert_eq!(v.status, Status::BlockedButUsed);
        // Excluded subjects keep their status and are flagged, only for the listed services.
        let v = status(&p, "openai-chatgpt", "svc-scan", &[], 0, 1, "2026-11-27");
        assert_eq!(v.excluded.as_ref().map(|x| x.id.as_str()), Some("scanner"));
        let v = status(&p, "anthropic-claude", "svc-scan", &[], 0, 1, "2026-11-27");
        assert!(v.excluded.is_none());
    }

    #[test]
    fn rule_errors_name_file_rule_and_field() {
        let errs = load(&ORG.replace("service = \"deepseek-chat\"", "service = \"deepseak-chat\""))
            .unwrap_err();
        assert_eq!(
            errs[0].0,
            "org.toml: policy[2]: service \"deepseak-chat\" is not in the signature set (see `shadow-ai signatures list`)"
        );
        let errs =
            load(&ORG.replace("status = \"tolerated\"", "status = \"allowed\"")).unwrap_err();
        assert_eq!(
            errs[0].0,
            "org.toml: policy[1]: status \"allowed\" is not one of sanctioned, tolerated, unsanctioned, blocked"
        );
        let errs = load(&ORG.replace("10.30.0.0/16", "10.30.0.0/40")).unwrap_err();
        assert_eq!(
            errs[0].0,
            "org.toml: department[0] \"eng\": \"10.30.0.0/40\": prefix must be 0..=32"
        );
        let errs =
            load(&ORG.replace("expires = \"2026-12-31\"", "expires = \"31/12/2026\"")).unwrap_err();
        assert_eq!(
            errs[0].0,
            "org.toml: policy[0]: expires \"31/12/2026\" is not a date (YYYY-MM-DD)"
        );
        let errs = load(&ORG.replace("departments = [\"eng\"]", "departments = [\"engineering\"]"))
            .unwrap_err();
        assert_eq!(
            errs[0].0,
            "org.toml#policy[0]: scope names department \"engineering\", which no rules file defines"
        );
    }

    #[test]
    fn shipped_rules_pass_their_tests() {
        let sigs = SignatureSource::builtin().compile().unwrap();
        let load = |path: &str| {
            let mut src = RuleSource::default();
            src.add_path(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join(path)
                    .as_path(),
            )
            .unwrap();
            src.compile(&sigs).unwrap()
        };
        let (p, tests) = load("rules/examples/acme.toml");
        assert!(!tests.is_empty());
        assert_eq!(run_tests(&p, &sigs, &tests), Vec::<String>::new());
        // The default policy sanctions nothing: every service, any subject, is unsanctioned.
        let (p, _) = load("rules/default.toml");
        assert!(p.rules.is_empty() && p.departments.is_empty() && p.exclusions.is_empty());
        for svc in sigs.services() {
            let u = Use {
                service: &svc.id,
                category: &svc.category,
                blocked: 0,
                allowed: 1,
            };
            let v = p.evaluate_use(
                SubjectKind::User,
                "anyone",
                &[],
                &u,
                Day::parse("2026-11-27").unwrap(),
            );
            assert_eq!(v.status, Status::Unsanctioned, "{}", svc.id);
        }
    }
}
