//! Browser extensions: the Chromium family (Chrome and its channels, Chromium, Edge, Brave,
//! Vivaldi, Opera, Arc, and any other browser with the same profile layout) and Firefox
//! (and the forks that keep its profile layout: LibreWolf, Waterfox, Floorp, Zen).
//!
//! Chromium: `<profile>/Extensions/<32 letters a-p>/<version>_<n>/manifest.json`, read when
//! the walker reaches the id folder (then skipped). The newest version folder counts.
//! `__MSG_key__` names resolve through `_locales/<default_locale>/messages.json`, keys
//! case-insensitively. A manifest without a `name` is a browser component, not reported.
//!
//! Firefox: `<profile>/extensions.json`, `addons[]` of type `extension` outside the
//! built-in and system locations.

use std::path::Path;

use serde_json::Value;

use super::manifest_io::{
    ancestor_name, eq_ci, error, file_name, is_real_dir, json_str, list, lossy, parse_json,
    read_child, read_file, report_rel, starts_with_ci, version_cmp,
};
use crate::endpoint::artifact::{
    Artifact, ArtifactKind, ArtifactSink, Descend, DetectError, EndpointCtx, Selector,
};

/// Most version folders looked at under one extension id.
const MAX_VERSIONS: usize = 64;

/// Every regular file the walker meets; returns at once for the ones this module does not
/// read. Paths in artefacts and errors are relative to the walk root.
pub fn on_file(
    _ctx: &EndpointCtx,
    rel: &Path,
    abs: &Path,
    size: &dyn Fn() -> u64,
    sink: &mut ArtifactSink<'_>,
) -> Result<(), DetectError> {
    report_rel(abs, rel, sink, |sink| file_hook(rel, abs, size, sink))
}

/// Every folder, before the walker goes in: `Descend::Skip` for folders read whole here.
pub fn on_dir(
    _ctx: &EndpointCtx,
    rel: &Path,
    abs: &Path,
    sink: &mut ArtifactSink<'_>,
) -> Result<Descend, DetectError> {
    report_rel(abs, rel, sink, |sink| dir_hook(rel, abs, sink))
}

fn file_hook(
    rel: &Path,
    abs: &Path,
    size: &dyn Fn() -> u64,
    sink: &mut ArtifactSink<'_>,
) -> Result<(), DetectError> {
    if !eq_ci(file_name(rel), "extensions.json") {
        return Ok(());
    }
    let Some(browser) = firefox_family(rel) else {
        return Ok(());
    };
    let profile = lossy(ancestor_name(rel, 1));
    let doc = parse_json(&read_file(abs, size())?, abs)?;
    let Some(addons) = doc.get("addons").and_then(Value::as_array) else {
        return Err(error(abs, "extensions.json: no addons array".into()));
    };
    for addon in addons {
        if json_str(addon.get("type")).is_some_and(|t| t != "extension") {
            continue;
        }
        // Built into the browser or shipped with it: not something a user installed.
        if json_str(addon.get("location")).is_some_and(|l| {
            matches!(
                l,
                "app-builtin" | "app-system-defaults" | "app-system-addons"
            )
        }) {
            continue;
        }
        let Some(id) = json_str(addon.get("id")) else {
            continue;
        };
        let state = if addon.get("active").and_then(Value::as_bool) == Some(true) {
            "active"
        } else {
            "disabled"
        };
        sink(Artifact {
            kind: ArtifactKind::BrowserExtension,
            selector: Selector::Extension {
                store: "firefox",
                id: id.to_owned(),
            },
            name: json_str(addon.pointer("/defaultLocale/name")).map(str::to_owned),
            version: json_str(addon.get("version")).map(str::to_owned),
            path: abs.to_path_buf(),
            line: None,
            size: None,
            detail: Some(format!("{browser} {profile} {state}")),
        });
    }
    Ok(())
}

fn dir_hook(rel: &Path, abs: &Path, sink: &mut ArtifactSink<'_>) -> Result<Descend, DetectError> {
    let id = file_name(rel);
    if !(is_chrome_id(id) && eq_ci(ancestor_name(rel, 1), "Extensions")) {
        return Ok(Descend::Yes);
    }
    let profile_rel = match rel.parent().and_then(Path::parent) {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => return Ok(Descend::Yes),
    };
    let (browser, profile) = chromium_browser(profile_rel);
    read_chrome_extension(abs, &lossy(id), &browser, &profile, sink)?;
    Ok(Descend::Skip)
}

/// A Chrome Web Store id: 32 letters `a`-`p` (a hex SHA-256 prefix mapped to a-p).
fn is_chrome_id(b: &[u8]) -> bool {
    b.len() == 32 && b.iter().all(|c| (b'a'..=b'p').contains(c))
}

/// Which Chromium browser a profile folder belongs to, and the profile's name, from the
/// folders above it:
/// - Linux `~/.config/google-chrome/Default`, `~/.config/BraveSoftware/Brave-Browser/
///   Profile 1`, snap `~/snap/chromium/common/chromium/Default`;
/// - macOS `~/Library/Application Support/Google/Chrome Canary/Default`, `…/Arc/User Data/
///   Default`;
/// - Windows `AppData/Local/Microsoft/Edge/User Data/Default`, `…/Google/Chrome SxS/User
///   Data/Default`;
/// - Opera keeps one profile in its data folder (`~/.config/opera`, `AppData/Roaming/Opera
///   Software/Opera Stable`, `com.operasoftware.Opera`): the profile is that folder.
///
/// An unknown browser with the same layout is named by its data folder.
fn chromium_browser(profile_rel: &Path) -> (String, String) {
    let profile = lossy(file_name(profile_rel));
    let p = profile.to_ascii_lowercase();
    if p.starts_with("opera") || p.starts_with("com.operasoftware.opera") {
        return ("opera".into(), profile);
    }
    // Skip a Windows-style "User Data" level.
    let mut level = 1;
    if eq_ci(ancestor_name(profile_rel, 1), "User Data") {
        level = 2;
    }
    let data = ancestor_name(profile_rel, level);
    let vendor = ancestor_name(profile_rel, level + 1);
    let d = String::from_utf8_lossy(data).to_ascii_lowercase();
    let channel = |base: &str| -> String {
        let suffix = if d.ends_with("beta") {
            "-beta"
        } else if d.ends_with("dev") || d.ends_with("unstable") {
            "-dev"
        } else if d.ends_with("canary") || d.ends_with("sxs") {
            "-canary"
        } else if d.ends_with("nightly") {
            "-nightly"
        } else {
            ""
        };
        format!("{base}{suffix}")
    };
    let browser =
        if d.starts_with("google-chrome") || (eq_ci(vendor, "Google") && d.starts_with("chrome")) {
            channel("chrome")
        } else if d == "chromium" {
            "chromium".into()
        } else if d.starts_with("microsoft-edge")
            || d.starts_with("microsoft edge")
            || (eq_ci(vendor, "Microsoft") && d.starts_with("edge"))
        {
            channel("edge")
        } else if eq_ci(vendor, "BraveSoftware") || starts_with_ci(data, "brave") {
            channel("brave")
        } else if d.starts_with("vivaldi") {
            "vivaldi".into()
        } else if d == "arc" {
            "arc".into()
        } else if data.is_empty() {
            "chromium-family".into()
        } else {
            lossy(data)
        };
    (browser, profile)
}

fn read_chrome_extension(
    abs: &Path,
    id: &str,
    browser: &str,
    profile: &str,
    sink: &mut ArtifactSink<'_>,
) -> Result<(), DetectError> {
    // Version folders are `<version>_<n>`; during an update two may exist.
    let versions = list(abs, true, MAX_VERSIONS)?;
    let Some(newest) = versions
        .iter()
        .filter_map(|v| {
            let s = v.to_str()?;
            let (ver, n) = s.rsplit_once('_')?;
            (!ver.is_empty() && n.bytes().all(|b| b.is_ascii_digit())).then_some((s, ver))
        })
        .max_by(|a, b| version_cmp(a.1, b.1))
        .map(|(s, _)| s)
    else {
        return Ok(());
    };
    let dir_abs = abs.join(newest);
    let Some((bytes, manifest_path)) = read_child(&dir_abs, "manifest.json")? else {
        return Ok(());
    };
    let manifest = parse_json(&bytes, &manifest_path)?;
    let Some(raw_name) = json_str(manifest.get("name")) else {
        return Ok(());
    };
    let name = if raw_name.contains("__MSG_") {
        resolve_messages(raw_name, &manifest, &dir_abs)
    } else {
        Some(raw_name.to_owned())
    };
    sink(Artifact {
        kind: ArtifactKind::BrowserExtension,
        selector: Selector::Extension {
            store: "chrome",
            id: id.to_owned(),
        },
        name,
        version: json_str(manifest.get("version")).map(str::to_owned),
        path: manifest_path,
        line: None,
        size: None,
        detail: Some(format!("{browser} {profile}")),
    });
    Ok(())
}

/// Replaces each `__MSG_key__` in `text` from the extension's default locale (then `en`,
/// `en_US`); `None` when a key cannot be resolved.
fn resolve_messages(text: &str, manifest: &Value, dir: &Path) -> Option<String> {
    let locales = dir.join("_locales");
    if !is_real_dir(&locales) {
        return None;
    }
    let default = json_str(manifest.get("default_locale"));
    let messages = [default, Some("en"), Some("en_US")]
        .into_iter()
        .flatten()
        .filter(|l| !l.contains(['/', '\\']) && *l != "..")
        .find_map(|l| {
            let locale = locales.join(l);
            if !is_real_dir(&locale) {
                return None;
            }
            let (bytes, path) = read_child(&locale, "messages.json").ok()??;
            parse_json(&bytes, &path).ok()
        })?;
    let map = messages.as_object()?;
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("__MSG_") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 6..];
        let end = after.find("__")?;
        let key = &after[..end];
        let msg = map
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .and_then(|(_, v)| json_str(v.get("message")))?;
        out.push_str(msg);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    let out = out.trim().to_owned();
    (!out.is_empty()).then_some(out)
}

/// The browser label when `rel` is a Firefox-family profile's `extensions.json`:
/// `.mozilla/firefox/<profile>/` (Linux, snap `snap/firefox/common/.mozilla/firefox`,
/// flatpak `.var/app/org.mozilla.firefox/.mozilla/firefox`, XDG `.config/mozilla/firefox`),
/// `Firefox/Profiles/<profile>/` (Windows `AppData/Roaming/Mozilla`, macOS `Library/
/// Application Support`), and the same shapes for the forks.
fn firefox_family(rel: &Path) -> Option<&'static str> {
    const FORKS: &[(&str, &str)] = &[
        ("firefox", "firefox"),
        ("librewolf", "librewolf"),
        ("waterfox", "waterfox"),
        ("floorp", "floorp"),
        ("zen", "zen"),
    ];
    let above = ancestor_name(rel, 2);
    let (holder, dotted) = if eq_ci(above, "Profiles") {
        (ancestor_name(rel, 3), false)
    } else {
        (above, true)
    };
    let holder = if dotted {
        holder.strip_prefix(b".").unwrap_or(holder)
    } else {
        holder
    };
    FORKS
        .iter()
        .find(|(dir, _)| eq_ci(holder, dir))
        .map(|(_, label)| *label)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::path::PathBuf;

    fn write(root: &Path, rel: &str, content: &[u8]) {
        let p = root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, content).unwrap();
    }

    fn walk(root: &Path) -> (Vec<Artifact>, Vec<DetectError>, Vec<String>) {
        fn go(root: &Path, rel: &Path, out: &mut (Vec<Artifact>, Vec<DetectError>, Vec<String>)) {
            let ctx = EndpointCtx::default();
            let mut entries: Vec<_> = fs::read_dir(root.join(rel))
                .unwrap()
                .map(|e| e.unwrap())
                .collect();
            entries.sort_by_key(|e| e.file_name());
            for e in entries {
                let r = rel.join(e.file_name());
                let a = root.join(&r);
                let ft = e.file_type().unwrap();
                let mut found = Vec::new();
                let mut sink = |x: Artifact| found.push(x);
                if ft.is_dir() {
                    let res = on_dir(&ctx, &r, &a, &mut sink);
                    out.0.append(&mut found);
                    match res {
                        Ok(Descend::Skip) => out.2.push(r.to_string_lossy().into_owned()),
                        Ok(Descend::Yes) => go(root, &r, out),
                        Err(x) => {
                            out.1.push(x);
                            go(root, &r, out)
                        }
                    }
                } else if ft.is_file() {
                    let size = e.metadata().unwrap().len();
                    let res = on_file(&ctx, &r, &a, &|| size, &mut sink);
                    out.0.append(&mut found);
                    if let Err(x) = res {
                        out.1.push(x);
                    }
                }
            }
        }
        let mut out = (Vec::new(), Vec::new(), Vec::new());
        go(root, Path::new(""), &mut out);
        out
    }

    fn chrome(id: &str, name: Option<&str>, version: &str, path: &str, detail: &str) -> Artifact {
        Artifact {
            kind: ArtifactKind::BrowserExtension,
            selector: Selector::Extension {
                store: "chrome",
                id: id.into(),
            },
            name: name.map(Into::into),
            version: Some(version.into()),
            path: PathBuf::from(path),
            line: None,
            size: None,
            detail: Some(detail.into()),
        }
    }

    // Manifest V3 shape as the Chrome Web Store serves it (the store adds `key` and
    // `update_url`); ids and values made up for the test.
    const MV3_MSG: &str = r#"{
   "action": { "default_popup": "popup.html", "default_title": "__MSG_appName__" },
   "background": { "service_worker": "background.js" },
   "default_locale": "en",
   "description": "__MSG_appDesc__",
   "host_permissions": [ "https://chatgpt.com/*" ],
   "icons": { "128": "icons/128.png" },
   "key": "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA",
   "manifest_version": 3,
   "name": "__MSG_appName__",
   "permissions": [ "storage", "sidePanel" ],
   "update_url": "https://clients2.google.com/service/update2/crx",
   "version": "1.3.7"
}
"#;

    #[test]
    fn chromium_profiles() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        let aid = "aaaabbbbccccddddeeeeffffgggghhhh";
        let bid = "iiiijjjjkkkkllllmmmmnnnnoooopppp";
        let lin = "home/alice/.config/google-chrome/Default/Extensions";
        // Older version folder left behind by an update; the newer one counts.
        write(
            r,
            &format!("{lin}/{aid}/1.2.0_0/manifest.json"),
            br#"{"name":"Old","version":"1.2.0","manifest_version":3}"#,
        );
        write(
            r,
            &format!("{lin}/{aid}/1.3.7_0/manifest.json"),
            MV3_MSG.as_bytes(),
        );
        // messages.json keys are matched case-insensitively.
        write(
            r,
            &format!("{lin}/{aid}/1.3.7_0/_locales/en/messages.json"),
            "\u{feff}{\"AppName\":{\"message\":\"ChatGPT Sidebar\",\"description\":\"x\"},\"appDesc\":{\"message\":\"d\"}}".as_bytes(),
        );
        // A component-like manifest without a name is skipped; so is the Temp folder.
        write(
            r,
            &format!("{lin}/{bid}/0.9_0/manifest.json"),
            br#"{"version":"0.9","manifest_version":2}"#,
        );
        write(r, &format!("{lin}/Temp/x/manifest.json"), b"{}");
        // Windows Edge, profile "Profile 1"; unresolvable __MSG_ name: reported unnamed.
        let win = "Users/bob/AppData/Local/Microsoft/Edge/User Data/Profile 1/Extensions";
        write(
            r,
            &format!("{win}/{bid}/2.0.1_0/manifest.json"),
            br#"{"name":"__MSG_extName__","version":"2.0.1","default_locale":"de"}"#,
        );
        // macOS Brave; Opera on Windows keeps Extensions in its data folder.
        let mac = "Users/carol/Library/Application Support/BraveSoftware/Brave-Browser/Default/Extensions";
        write(
            r,
            &format!("{mac}/{aid}/5.0_1/manifest.json"),
            br#"{"name":"NotCopilot","version":"5.0"}"#,
        );
        let opera = "Users/bob/AppData/Roaming/Opera Software/Opera Stable/Extensions";
        write(
            r,
            &format!("{opera}/{aid}/1_0/manifest.json"),
            br#"{"name":"X","version":"1"}"#,
        );
        // Not an id (uppercase, 31 letters): ignored.
        write(
            r,
            &format!("{lin}/AAAABBBBCCCCDDDDEEEEFFFFGGGGHHHH/1_0/manifest.json"),
            br#"{"name":"Y","version":"1"}"#,
        );

        let (arts, errs, skipped) = walk(r);
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(
            arts,
            vec![
                chrome(
                    bid,
                    None,
                    "2.0.1",
                    &format!("{win}/{bid}/2.0.1_0/manifest.json"),
                    "edge Profile 1"
                ),
                chrome(
                    aid,
                    Some("X"),
                    "1",
                    &format!("{opera}/{aid}/1_0/manifest.json"),
                    "opera Opera Stable"
                ),
                chrome(
                    aid,
                    Some("NotCopilot"),
                    "5.0",
                    &format!("{mac}/{aid}/5.0_1/manifest.json"),
                    "brave Default"
                ),
                chrome(
                    aid,
                    Some("ChatGPT Sidebar"),
                    "1.3.7",
                    &format!("{lin}/{aid}/1.3.7_0/manifest.json"),
                    "chrome Default"
                ),
            ]
        );
        assert!(skipped.contains(&format!("{lin}/{bid}")));
    }

    #[test]
    fn browser_names() {
        let cases = [
            ("home/u/.config/google-chrome-beta/Default", "chrome-beta"),
            (
                "home/u/.config/google-chrome-unstable/Profile 2",
                "chrome-dev",
            ),
            (
                "Users/u/Library/Application Support/Google/Chrome Canary/Default",
                "chrome-canary",
            ),
            (
                "Users/u/AppData/Local/Google/Chrome SxS/User Data/Default",
                "chrome-canary",
            ),
            (
                "Users/u/AppData/Local/Google/Chrome/User Data/Default",
                "chrome",
            ),
            ("home/u/snap/chromium/common/chromium/Default", "chromium"),
            ("home/u/.config/microsoft-edge-dev/Default", "edge-dev"),
            (
                "Users/u/Library/Application Support/Microsoft Edge Beta/Default",
                "edge-beta",
            ),
            (
                "home/u/.config/BraveSoftware/Brave-Browser-Nightly/Default",
                "brave-nightly",
            ),
            ("home/u/.config/vivaldi/Default", "vivaldi"),
            (
                "Users/u/Library/Application Support/Arc/User Data/Profile 1",
                "arc",
            ),
            ("home/u/.config/opera", "opera"),
            (
                "Users/u/Library/Application Support/com.operasoftware.Opera",
                "opera",
            ),
            (
                "Users/u/AppData/Local/Perplexity/Comet/User Data/Default",
                "Comet",
            ),
            ("Default", "chromium-family"),
        ];
        for (p, want) in cases {
            assert_eq!(chromium_browser(Path::new(p)).0, want, "{p}");
        }
    }

    fn ff(id: &str, name: &str, version: &str, path: &str, detail: &str) -> Artifact {
        Artifact {
            kind: ArtifactKind::BrowserExtension,
            selector: Selector::Extension {
                store: "firefox",
                id: id.into(),
            },
            name: Some(name.into()),
            version: Some(version.into()),
            path: PathBuf::from(path),
            line: None,
            size: None,
            detail: Some(detail.into()),
        }
    }

    /// Firefox 12x `extensions.json` shape (schemaVersion 36): fields as Firefox writes
    /// them, trimmed; ids of the themes and system add-ons are Firefox's own.
    fn firefox_json() -> String {
        let addon = |id: &str, ty: &str, loc: &str, name: &str, active: bool| {
            format!(
                r#"{{"id":"{id}","syncGUID":"{{5b9e1b33-2a4e-4a5c-9c2e-0f6c8d1e7a11}}","version":"2.4.1","type":"{ty}","loader":null,"updateURL":null,"installOrigins":null,"manifestVersion":2,"optionsURL":null,"optionsType":null,"optionsBrowserStyle":true,"aboutURL":null,"defaultLocale":{{"name":"{name}","description":"d","creator":"c","homepageURL":null,"developers":null,"translators":null,"contributors":null}},"visible":true,"active":{active},"userDisabled":{ud},"appDisabled":false,"embedderDisabled":false,"installDate":1700000000000,"updateDate":1700000000000,"applyBackgroundUpdates":1,"path":"/home/alice/.mozilla/firefox/abcd1234.default-release/extensions/{id}.xpi","skinnable":false,"sourceURI":"https://addons.mozilla.org/firefox/downloads/file/1/x.xpi","releaseNotesURI":null,"softDisabled":false,"foreignInstall":false,"strictCompatibility":true,"locales":[],"targetApplications":[{{"id":"toolkit@mozilla.org","minVersion":"58.0","maxVersion":null}}],"targetPlatforms":[],"signedState":2,"signedTypes":[2,0],"seen":true,"dependencies":[],"incognito":"spanning","userPermissions":{{"permissions":["storage"],"origins":[]}},"optionalPermissions":{{"permissions":[],"origins":[]}},"icons":{{}},"iconURL":null,"blocklistAttentionDismissed":false,"hidden":false,"installTelemetryInfo":{{"source":"amo"}},"recommendationState":null,"rootURI":"jar:file:///x.xpi!/","location":"{loc}"}}"#,
                ud = !active
            )
        };
        format!(
            r#"{{"schemaVersion":36,"addons":[{},{},{},{},{},{}]}}"#,
            addon(
                "{0c3ab5c8-57ac-4ad8-9dd1-ee331517884d}",
                "extension",
                "app-profile",
                "Sider: ChatGPT Sidebar",
                true
            ),
            addon(
                "notcopilot@example.org",
                "extension",
                "app-profile",
                "NotCopilot",
                false
            ),
            addon(
                "firefox-compact-dark@mozilla.org",
                "theme",
                "app-builtin",
                "Dark",
                true
            ),
            addon(
                "formautofill@mozilla.org",
                "extension",
                "app-system-defaults",
                "Form Autofill",
                true
            ),
            addon(
                "addons-search-detection@mozilla.com",
                "extension",
                "app-builtin",
                "Add-ons Search Detection",
                true
            ),
            addon(
                "fr-dictionary@dictionaries.addons.mozilla.org",
                "dictionary",
                "app-profile",
                "French",
                true
            ),
        )
    }

    #[test]
    fn firefox_profiles() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        let lin = "home/alice/.mozilla/firefox/abcd1234.default-release/extensions.json";
        let win = "Users/bob/AppData/Roaming/Mozilla/Firefox/Profiles/x9y8.default/extensions.json";
        let snap = "home/alice/snap/firefox/common/.mozilla/firefox/q1.default/extensions.json";
        let j = firefox_json();
        write(r, lin, j.as_bytes());
        write(r, win, j.as_bytes());
        write(r, snap, br#"{"schemaVersion":36,"addons":[]}"#);
        // Thunderbird and a VS Code extensions.json are not Firefox profiles.
        write(
            r,
            "home/alice/.thunderbird/p.default/extensions.json",
            j.as_bytes(),
        );
        write(r, "home/alice/.vscode/extensions/extensions.json", b"[]");
        let (arts, errs, _) = walk(r);
        assert!(errs.is_empty(), "{errs:?}");
        let sider = "{0c3ab5c8-57ac-4ad8-9dd1-ee331517884d}";
        assert_eq!(
            arts,
            vec![
                ff(
                    sider,
                    "Sider: ChatGPT Sidebar",
                    "2.4.1",
                    win,
                    "firefox x9y8.default active"
                ),
                ff(
                    "notcopilot@example.org",
                    "NotCopilot",
                    "2.4.1",
                    win,
                    "firefox x9y8.default disabled"
                ),
                ff(
                    sider,
                    "Sider: ChatGPT Sidebar",
                    "2.4.1",
                    lin,
                    "firefox abcd1234.default-release active"
                ),
                ff(
                    "notcopilot@example.org",
                    "NotCopilot",
                    "2.4.1",
                    lin,
                    "firefox abcd1234.default-release disabled"
                ),
            ]
        );
        for (p, want) in [
            (
                "home/u/.librewolf/a.default/extensions.json",
                Some("librewolf"),
            ),
            (
                "Users/u/Library/Application Support/Firefox/Profiles/a/extensions.json",
                Some("firefox"),
            ),
            (
                "home/u/.config/mozilla/firefox/a/extensions.json",
                Some("firefox"),
            ),
            ("home/u/.thunderbird/a/extensions.json", None),
            ("extensions.json", None),
        ] {
            assert_eq!(firefox_family(Path::new(p)), want, "{p}");
        }
    }

    #[test]
    fn garbage_does_not_panic() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        let id = "aaaabbbbccccddddeeeeffffgggghhhh";
        let ext = "home/u/.config/chromium/Default/Extensions";
        write(
            r,
            &format!("{ext}/{id}/1_0/manifest.json"),
            b"{\"name\":\"__MSG_a",
        );
        write(
            r,
            &format!("{ext}/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb/1_0/manifest.json"),
            b"{\"name\":\"__MSG_unterminated\",\"version\":7}",
        );
        write(
            r,
            &format!("{ext}/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb/1_0/_locales/en/messages.json"),
            b"[\"not an object\"]",
        );
        write(
            r,
            &format!("{ext}/cccccccccccccccccccccccccccccccc/_0/manifest.json"),
            b"{}",
        );
        write(
            r,
            "home/u/.mozilla/firefox/p/extensions.json",
            b"{\"addons\":{}}",
        );
        write(r, "home/u/.mozilla/firefox/q/extensions.json", b"\x00\xff");
        write(
            r,
            "home/u/.mozilla/firefox/s/extensions.json",
            br#"{"addons":[1,null,{"id":7},{"type":"extension"},{"id":"a@b","defaultLocale":[]}]}"#,
        );
        let (arts, errs, _) = walk(r);
        let names: Vec<_> = arts
            .iter()
            .map(|a| (a.name.clone(), a.version.clone()))
            .collect();
        assert_eq!(names, vec![(None, None), (None, None)]);
        let reasons: Vec<_> = errs.iter().map(|e| e.reason.as_str()).collect();
        assert_eq!(reasons.len(), 3, "{reasons:?}");
        assert_eq!(reasons[0], "manifest.json: not JSON (cut short)");
        assert_eq!(reasons[1], "extensions.json: no addons array");
        assert_eq!(reasons[2], "extensions.json: not JSON");
        assert_eq!(
            errs[1].path,
            Path::new("home/u/.mozilla/firefox/p/extensions.json")
        );
    }
}
