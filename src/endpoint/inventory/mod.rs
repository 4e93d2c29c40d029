//! Installed-software inventories that other tools exported, read as input: osquery results
//! ([`osquery`]: `osqueryi --json` and the daemon's results log) and CSV exports from EDR and
//! MDM consoles ([`csv`]: Intune, Defender, or any export through a column mapping).
//!
//! Each usable row becomes an [`InventoryRow`]: the [`Artifact`] the walker's detectors would
//! have reported for the same thing, plus the endpoint and the user the export names (a walk
//! learns those from the root and the home folder; an export states them per row). Rows that
//! do not describe something installed (an osquery `removed` row, a Firefox theme, a dpkg
//! package in `deinstall` state, a row with no name) are counted by reason in
//! [`InventoryStats`], never silently dropped.

pub mod csv;
pub mod osquery;

use super::artifact::Artifact;
use std::collections::BTreeMap;

/// One installed thing an inventory export lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InventoryRow {
    /// The endpoint the row is about (host name, device name), when the export names it.
    /// `None` for a bare `osqueryi --json` result: the caller names it (file name, flag).
    pub endpoint: Option<String>,
    /// The user the thing belongs to: a user-name column, else the home folder in the row's
    /// path (`/Users/<u>/…`, `/home/<u>/…`, `C:\Users\<u>\…`), else `uid:<n>` from osquery.
    pub user: Option<String>,
    pub artifact: Artifact,
}

/// What one inventory file held. `records` = `used` + every count in `skipped`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InventoryStats {
    /// Rows (records) read.
    pub records: u64,
    /// Rows that became an [`InventoryRow`].
    pub used: u64,
    /// Rows that did not, by reason (a short fixed phrase, e.g. `"removed row"`).
    pub skipped: BTreeMap<&'static str, u64>,
}

impl InventoryStats {
    fn used(&mut self) {
        self.records += 1;
        self.used += 1;
    }

    fn skip(&mut self, reason: &'static str) {
        self.records += 1;
        *self.skipped.entry(reason).or_insert(0) += 1;
    }

    /// All skipped rows, whatever the reason.
    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }
}

/// The user whose home folder `path` lies in: `/Users/<u>/…` (macOS), `/home/<u>/…` (Linux),
/// `C:\Users\<u>\…` or `\Users\<u>\…` (Windows), `/root/…`. Shared profiles (`Shared`,
/// `Public`, `Default`, `All Users`) are nobody's.
pub fn user_from_path(path: &str) -> Option<String> {
    let mut parts = path.split(['/', '\\']).filter(|p| !p.is_empty());
    let mut first = parts.next()?;
    // A Windows drive (`C:`) may stand before `Users`.
    if first.len() == 2 && first.ends_with(':') {
        first = parts.next()?;
    }
    if first == "root" {
        return Some("root".to_owned());
    }
    if !(first.eq_ignore_ascii_case("users") || first == "home") {
        return None;
    }
    let user = parts.next()?;
    // `/home/<u>` alone is the home folder itself: still the user's.
    const SHARED: [&str; 6] = [
        "shared",
        "public",
        "default",
        "default user",
        "all users",
        "guest",
    ];
    if SHARED.iter().any(|s| user.eq_ignore_ascii_case(s)) || user.starts_with('.') {
        return None;
    }
    Some(user.to_owned())
}

pub use crate::signature::software::pep503;

/// The ecosystem a package-manager name denotes, as [`Selector::Package`] spells it, or
/// `None` for a value that names no package ecosystem (`Application`, `Win32`, …).
///
/// [`Selector::Package`]: super::artifact::Selector::Package
pub fn ecosystem(value: &str) -> Option<&'static str> {
    let v = value.trim().to_ascii_lowercase();
    Some(match v.as_str() {
        "pypi" | "pip" | "python" | "python_packages" | "conda" => "pypi",
        "npm" | "node" | "nodejs" | "node.js" | "npm_packages" | "yarn" | "pnpm" => "npm",
        "cargo" | "crates" | "crates.io" | "rust" => "cargo",
        "go" | "golang" | "go module" | "gomod" => "go",
        "deb" | "debian" | "dpkg" | "apt" | "deb_packages" => "deb",
        "rpm" | "rpm_packages" | "yum" | "dnf" => "rpm",
        "snap" => "snap",
        "flatpak" => "flatpak",
        "brew" | "homebrew" | "homebrew_packages" => "brew",
        _ => return None,
    })
}

/// A package name as its ecosystem compares it: PEP 503 for PyPI, lower case for npm, deb
/// and crates (case-insensitive registries), unchanged elsewhere.
pub fn package_name(ecosystem: &str, name: &str) -> String {
    let name = name.trim();
    match ecosystem {
        "pypi" => pep503(name),
        "npm" | "deb" | "cargo" => name.to_ascii_lowercase(),
        _ => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_from_paths() {
        let cases = [
            ("/Users/alice/Library/Application Support/x", Some("alice")),
            ("/home/bob/.local/lib/python3.12/site-packages", Some("bob")),
            (
                "C:\\Users\\Carol\\AppData\\Local\\Programs\\Ollama",
                Some("Carol"),
            ),
            ("c:/users/dave/AppData", Some("dave")),
            ("\\Users\\erin\\x", Some("erin")),
            ("/root/.vscode/extensions", Some("root")),
            ("/home/frank", Some("frank")),
            ("/Users/Shared/x", None),
            ("C:\\Users\\Public\\Desktop", None),
            ("C:\\Users\\Default\\x", None),
            ("/usr/lib/python3/dist-packages", None),
            ("/Applications/ChatGPT.app", None),
            ("C:\\Program Files\\Ollama", None),
            ("/opt/home/x", None),
            ("", None),
            ("/Users", None),
        ];
        for (path, want) in cases {
            assert_eq!(user_from_path(path).as_deref(), want, "{path}");
        }
    }

    #[test]
    fn pep503_names() {
        assert_eq!(pep503("Foo.Bar__baz-_-Qux"), "foo-bar-baz-qux");
        assert_eq!(pep503("google_generativeai"), "google-generativeai");
        assert_eq!(pep503("openai"), "openai");
    }

    #[test]
    fn ecosystems() {
        assert_eq!(ecosystem(" PyPI "), Some("pypi"));
        assert_eq!(ecosystem("Homebrew"), Some("brew"));
        assert_eq!(ecosystem("Application"), None);
        assert_eq!(package_name("pypi", "LangChain_Core"), "langchain-core");
        assert_eq!(
            package_name("npm", "@Anthropic-AI/SDK"),
            "@anthropic-ai/sdk"
        );
        assert_eq!(
            package_name("go", "github.com/Foo/Bar"),
            "github.com/Foo/Bar"
        );
    }
}
