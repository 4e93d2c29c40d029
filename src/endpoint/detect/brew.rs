//! Homebrew on macOS and Linux: formulae under `<prefix>/Cellar/<name>/<version>/` and casks
//! under `<prefix>/Caskroom/<token>/<version>/`, the prefix being `opt/homebrew` (Apple
//! silicon), `usr/local` (Intel) or `home/linuxbrew/.linuxbrew`. Each installed formula or
//! cask is a package named as Homebrew names it; the kegs themselves are not walked.

use super::manifest_io::{ancestor_name, file_name};
use crate::endpoint::artifact::{
    Artifact, ArtifactKind, ArtifactSink, Descend, DetectError, EndpointCtx, Selector,
};
use std::path::Path;

pub fn on_file(
    _ctx: &EndpointCtx,
    _rel: &Path,
    _abs: &Path,
    _size: &dyn Fn() -> u64,
    _sink: &mut ArtifactSink<'_>,
) -> Result<(), DetectError> {
    Ok(())
}

pub fn on_dir(
    _ctx: &EndpointCtx,
    rel: &Path,
    abs: &Path,
    sink: &mut ArtifactSink<'_>,
) -> Result<Descend, DetectError> {
    let kind = ancestor_name(rel, 1);
    let cask = match kind {
        b"Cellar" => false,
        b"Caskroom" => true,
        _ => return Ok(Descend::Yes),
    };
    // The folder holding Cellar/Caskroom is a Homebrew prefix.
    if !matches!(ancestor_name(rel, 2), b"homebrew" | b"local" | b".linuxbrew") {
        return Ok(Descend::Yes);
    }
    let name = String::from_utf8_lossy(file_name(rel)).into_owned();
    if name.is_empty() || name.starts_with('.') {
        return Ok(Descend::Yes);
    }
    // The newest installed version: Homebrew keeps older kegs until `brew cleanup`.
    let version = std::fs::read_dir(abs)
        .map_err(|e| DetectError {
            path: rel.to_path_buf(),
            reason: format!("Homebrew keg folder: {}", e.kind()),
        })?
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|v| !v.starts_with('.'))
        .max_by(|a, b| version_order(a, b));
    sink(Artifact {
        // Casks are applications; formulae are command-line tools and libraries.
        kind: if cask {
            ArtifactKind::App
        } else {
            ArtifactKind::Package
        },
        selector: Selector::Package {
            ecosystem: "brew",
            name: name.clone(),
        },
        name: Some(name),
        version,
        path: rel.to_path_buf(),
        line: None,
        size: None,
        detail: Some(if cask { "cask" } else { "formula" }.to_string()),
    });
    Ok(Descend::Skip)
}

/// Versions compared by their numeric runs (`0.10.1` after `0.9.7`), then as text.
fn version_order(a: &str, b: &str) -> std::cmp::Ordering {
    let nums = |s: &str| -> Vec<u64> {
        s.split(|c: char| !c.is_ascii_digit())
            .filter(|p| !p.is_empty())
            .map(|p| p.parse().unwrap_or(u64::MAX))
            .collect()
    };
    nums(a).cmp(&nums(b)).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(root: &Path, rel: &str) -> (Vec<Artifact>, Descend) {
        let ctx = EndpointCtx::default();
        let mut out = Vec::new();
        let d = on_dir(&ctx, Path::new(rel), &root.join(rel), &mut |a| out.push(a)).unwrap();
        (out, d)
    }

    #[test]
    fn formulae_and_casks_with_their_newest_version() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        for p in [
            "opt/homebrew/Cellar/ollama/0.9.7/bin",
            "opt/homebrew/Cellar/ollama/0.10.1/bin",
            "opt/homebrew/Caskroom/chatgpt/1.2025.350/ChatGPT.app",
            "opt/homebrew/Caskroom/chatgpt/.metadata",
            "home/linuxbrew/.linuxbrew/Cellar/llama.cpp/6140",
            "Users/alice/Cellar/wine/1.0",
        ] {
            std::fs::create_dir_all(r.join(p)).unwrap();
        }
        let (a, d) = found(r, "opt/homebrew/Cellar/ollama");
        assert_eq!(d, Descend::Skip);
        assert_eq!(a.len(), 1);
        assert_eq!(
            a[0].selector,
            Selector::Package {
                ecosystem: "brew",
                name: "ollama".into()
            }
        );
        assert_eq!(a[0].version.as_deref(), Some("0.10.1"));
        assert_eq!(a[0].detail.as_deref(), Some("formula"));
        let (a, _) = found(r, "opt/homebrew/Caskroom/chatgpt");
        assert_eq!(a[0].version.as_deref(), Some("1.2025.350"));
        assert_eq!(a[0].detail.as_deref(), Some("cask"));
        let (a, _) = found(r, "home/linuxbrew/.linuxbrew/Cellar/llama.cpp");
        assert_eq!(a[0].version.as_deref(), Some("6140"));
        // A folder called Cellar outside a Homebrew prefix is walked, not read.
        let (a, d) = found(r, "Users/alice/Cellar/wine");
        assert!(a.is_empty());
        assert_eq!(d, Descend::Yes);
        // The prefix and Cellar folders themselves are walked.
        assert_eq!(found(r, "opt/homebrew/Cellar").1, Descend::Yes);
    }
}
