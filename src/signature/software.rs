//! Software selectors: how a signature names an installed or stored thing (an app bundle, an
//! extension in a store, a package in an ecosystem, an executable, a config path) and the
//! one normalised key both the signature and the endpoint side compute, so matching is a
//! single hash lookup.

/// Package ecosystems a `package` selector may name.
pub const ECOSYSTEMS: &[&str] = &[
    "pypi", "npm", "cargo", "go", "deb", "rpm", "snap", "flatpak", "brew",
];
/// Extension stores an `extension` selector may name (`chrome` covers every Chromium
/// browser: they share the Web Store's ids).
pub const STORES: &[&str] = &["vscode", "jetbrains", "chrome", "firefox"];

/// Model file formats a `model_format` selector may name.
pub const MODEL_FORMATS: &[&str] = &["gguf", "safetensors", "onnx", "pytorch"];

/// The lookup key of a selector: `kind:qualifier:value`, normalised per kind, or why the
/// selector is not valid. Kinds: `bundle_id`, `extension` (qualifier: store), `package`
/// (qualifier: ecosystem), `executable`, `config_path`, `api_key` (a provider id, e.g.
/// `openai`: an API key of that provider found in a file), `model_format` (a model file
/// format found on disk).
pub fn key(kind: &str, qualifier: &str, value: &str) -> Result<String, String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(format!("{kind} is empty"));
    }
    let norm = match kind {
        "bundle_id" | "extension" | "api_key" => v.to_ascii_lowercase(),
        "model_format" => {
            let f = v.to_ascii_lowercase();
            if !MODEL_FORMATS.contains(&f.as_str()) {
                return Err(format!(
                    "model_format {v:?} is not one of {}",
                    MODEL_FORMATS.join(", ")
                ));
            }
            f
        }
        "package" => match qualifier {
            // PEP 503: case-insensitive, runs of `-`, `_`, `.` are one `-`.
            "pypi" => pep503(v),
            // A Go module's major version is part of its path (`…/openai-go/v3`): the
            // module is the same product whatever the version.
            "go" => strip_go_major(&v.to_ascii_lowercase()).to_string(),
            _ => v.to_ascii_lowercase(),
        },
        "executable" => {
            let l = v.to_ascii_lowercase();
            let stem = [".exe", ".app", ".appimage"]
                .iter()
                .find_map(|s| l.strip_suffix(s))
                .unwrap_or(&l);
            stem.to_string()
        }
        "config_path" => config_path(v),
        _ => return Err(format!("unknown software selector {kind:?}")),
    };
    match kind {
        "extension" if !STORES.contains(&qualifier) => {
            return Err(format!(
                "store {qualifier:?} is not one of {}",
                STORES.join(", ")
            ));
        }
        "package" if !ECOSYSTEMS.contains(&qualifier) => {
            return Err(format!(
                "ecosystem {qualifier:?} is not one of {}",
                ECOSYSTEMS.join(", ")
            ));
        }
        "config_path" if norm.is_empty() || norm.split('/').any(|c| c == "..") => {
            return Err(format!(
                "config_path {v:?} must be a path below the home folder"
            ));
        }
        _ => {}
    }
    Ok(format!("{kind}:{qualifier}:{norm}"))
}

/// `path/vN` → `path` for N ≥ 2 (Go semantic import versioning).
fn strip_go_major(m: &str) -> &str {
    match m.rsplit_once("/v") {
        Some((base, n)) if !base.is_empty() && n.parse::<u32>().is_ok_and(|n| n >= 2) => base,
        _ => m,
    }
}

/// PEP 503 name normalisation.
pub fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
            continue;
        }
        if sep && !out.is_empty() {
            out.push('-');
        }
        sep = false;
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// A home-relative path with `/` separators, no leading `~/` or `/`, no trailing `/`,
/// lowercased (Windows and macOS homes are case-insensitive; no tool relies on case).
pub fn config_path(p: &str) -> String {
    let p = p.replace('\\', "/");
    let p = p.trim_start_matches("~/").trim_matches('/');
    p.to_ascii_lowercase()
}

/// The keys a config path is matched under: the path and each folder above it, longest
/// first, so `.claude/settings.json` finds an indicator on `.claude`.
pub fn config_path_keys(normalised: &str) -> impl Iterator<Item = &str> {
    let mut end = Some(normalised.len());
    std::iter::from_fn(move || {
        let e = end?;
        let k = &normalised[..e];
        end = k.rfind('/');
        Some(k)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_normalised_per_kind() {
        assert_eq!(
            key("package", "pypi", "Google_Generative.AI").unwrap(),
            "package:pypi:google-generative-ai"
        );
        assert_eq!(
            key("package", "npm", "@Anthropic-AI/SDK").unwrap(),
            "package:npm:@anthropic-ai/sdk"
        );
        assert_eq!(
            key("extension", "vscode", "GitHub.Copilot").unwrap(),
            "extension:vscode:github.copilot"
        );
        assert_eq!(
            key("executable", "", "Ollama.exe").unwrap(),
            "executable::ollama"
        );
        assert_eq!(
            key("config_path", "", "~/.Claude/").unwrap(),
            "config_path::.claude"
        );
        assert!(key("package", "maven", "x").is_err());
        assert!(key("extension", "safari", "x").is_err());
        assert!(key("config_path", "", "../etc").is_err());
        assert!(key("bundle_id", "", " ").is_err());
    }

    #[test]
    fn config_paths_match_by_prefix_folder() {
        let k: Vec<&str> = config_path_keys(".claude/projects/x.json").collect();
        assert_eq!(
            k,
            [".claude/projects/x.json", ".claude/projects", ".claude"]
        );
    }
}
