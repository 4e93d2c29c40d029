//! What packaging ships besides the binary: man pages and shell completions generated from
//! the clap definition (`shadow-ai generate`, hidden).

use crate::util::run;
use std::path::Path;

fn generate(what: &str, dir: &Path) -> Vec<String> {
    let out = run(&["generate", what, &dir.display().to_string()], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let p = Path::new(l);
            assert!(p.is_file(), "{l} is listed but not written");
            p.file_name().unwrap().to_string_lossy().into_owned()
        })
        .collect()
}

/// A man page's text with roff's escaped hyphens (`\-\-rules`) read back as hyphens.
fn page(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .replace("\\-", "-")
}

#[test]
fn man_pages_cover_every_visible_subcommand() {
    let tmp = tempfile::tempdir().unwrap();
    // The folder is created if missing.
    let dir = tmp.path().join("man/man1");
    let files = generate("man", &dir);
    for name in [
        "shadow-ai.1",
        "shadow-ai-scan.1",
        "shadow-ai-signatures-check.1",
        "shadow-ai-signatures-list.1",
        "shadow-ai-rules-check.1",
        "shadow-ai-formats.1",
    ] {
        assert!(files.iter().any(|f| f == name), "{name} missing: {files:?}");
    }
    let scan = page(&dir, "shadow-ai-scan.1");
    assert!(scan.starts_with(".ie") || scan.starts_with(".TH"), "{scan}");
    for opt in ["--rules", "--fail-on", "--signatures", "unsanctioned"] {
        assert!(scan.contains(opt), "scan page lacks {opt}:\n{scan}");
    }
    assert!(scan.contains("EXIT STATUS"), "{scan}");
    let main = page(&dir, "shadow-ai.1");
    assert!(main.contains("shadow-ai-scan(1)"), "{main}");
    assert!(main.contains("/etc/shadow-ai/rules"), "{main}");
    // `generate` is for packagers: no page, and no mention in the others.
    for f in &files {
        assert!(!f.contains("generate"), "{files:?}");
        assert!(!page(&dir, f).contains("generate"), "{f} mentions generate");
    }
}

#[test]
fn completions_for_bash_zsh_fish() {
    let tmp = tempfile::tempdir().unwrap();
    let files = generate("completions", tmp.path());
    assert_eq!(files, ["shadow-ai.bash", "_shadow-ai", "shadow-ai.fish"]);
    let bash = std::fs::read_to_string(tmp.path().join("shadow-ai.bash")).unwrap();
    assert!(bash.contains("scan"), "{bash}");
    assert!(bash.contains("--fail-on"), "{bash}");
    let zsh = std::fs::read_to_string(tmp.path().join("_shadow-ai")).unwrap();
    assert!(zsh.starts_with("#compdef shadow-ai"), "{zsh}");
    let fish = std::fs::read_to_string(tmp.path().join("shadow-ai.fish")).unwrap();
    assert!(fish.contains("-a \"scan\""), "{fish}");
    for (name, text) in [("bash", &bash), ("zsh", &zsh), ("fish", &fish)] {
        assert!(
            !text.contains("generate"),
            "{name} completion offers generate"
        );
    }
}

/// Runs the bash completion function as bash would for `COMP_WORDS`, when bash is here.
fn bash_complete(script: &Path, words: &[&str]) -> Option<String> {
    let cword = words.len() - 1;
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let prog = format!(
        "source '{}'; COMP_WORDS=({}); COMP_CWORD={cword}; _shadow__ai shadow-ai '{}' '{}'; \
         echo \"${{COMPREPLY[*]}}\"",
        script.display(),
        quoted.join(" "),
        words[cword],
        words[cword - 1],
    );
    let out = std::process::Command::new("bash")
        .args(["--noprofile", "--norc", "-c", &prog])
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap().trim().to_string())
}

#[test]
fn bash_completes_subcommands_and_their_options() {
    let tmp = tempfile::tempdir().unwrap();
    generate("completions", tmp.path());
    let script = tmp.path().join("shadow-ai.bash");
    let Some(top) = bash_complete(&script, &["shadow-ai", "sc"]) else {
        eprintln!("bash not found: completion not exercised");
        return;
    };
    assert_eq!(top, "scan");
    // After a subcommand (broken upstream for hyphenated names: clap-rs/clap#6421).
    assert_eq!(
        bash_complete(&script, &["shadow-ai", "scan", "--fail-on", "u"]).unwrap(),
        "unsanctioned"
    );
    assert_eq!(
        bash_complete(&script, &["shadow-ai", "signatures", "c"]).unwrap(),
        "check"
    );
}
