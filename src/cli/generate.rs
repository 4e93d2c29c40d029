//! `shadow-ai generate man|completions DIR`: man pages and shell completions made from the
//! clap definition, so they cannot drift from `--help`. The subcommand is hidden: it is for
//! packagers (`packaging/build-deb.sh`), and neither the pages nor the completions list it.

use super::args::{Args, GenerateCommand};
use super::exit;
use clap::CommandFactory;
use clap_complete::{Generator, Shell};
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, italic, roman};
use std::io;
use std::path::{Path, PathBuf};

/// The shells a completion script is written for.
const SHELLS: &[Shell] = &[Shell::Bash, Shell::Zsh, Shell::Fish];

pub fn run(cmd: &GenerateCommand) -> u8 {
    let (dir, written) = match cmd {
        GenerateCommand::Man { dir } => (dir, man(dir)),
        GenerateCommand::Completions { dir } => (dir, completions(dir)),
    };
    match written {
        Ok(files) => {
            for f in files {
                say!("{}", f.display());
            }
            exit::CLEAN
        }
        Err(e) => {
            warn!("shadow-ai: generate: {}: {e}", dir.display());
            exit::ERROR
        }
    }
}

/// Writes `shadow-ai.1` and one page per visible subcommand (`shadow-ai-scan.1`,
/// `shadow-ai-signatures-check.1`, …) into `dir`, creating it. Returns the files written.
pub fn man(dir: &Path) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut root = Args::command().disable_help_subcommand(true);
    // Gives every subcommand its display name ("shadow-ai-signatures-check").
    root.build();
    let mut pages = Vec::new();
    collect(&root, &mut pages);
    let names: Vec<String> = pages.iter().map(page_name).collect();
    let mut written = Vec::new();
    for (i, (cmd, name)) in pages.iter().zip(&names).enumerate() {
        let mut text = Vec::new();
        Man::new(cmd.clone())
            .manual("shadow-ai manual")
            .source(concat!("shadow-ai ", env!("CARGO_PKG_VERSION")))
            .render(&mut text)?;
        let mut extra = Roff::new();
        if i == 0 {
            exit_status(&mut extra, true);
            files(&mut extra);
            see_also(&mut extra, names.iter().skip(1));
        } else {
            if cmd.get_name() == "scan" {
                exit_status(&mut extra, false);
            }
            see_also(&mut extra, [&names[0]]);
        }
        text.extend_from_slice(extra.to_roff().as_bytes());
        let path = dir.join(format!("{name}.1"));
        std::fs::write(&path, text)?;
        written.push(path);
    }
    Ok(written)
}

/// Writes `shadow-ai.bash`, `_shadow-ai` and `shadow-ai.fish` into `dir`, creating it.
pub fn completions(dir: &Path) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut cmd = without_hidden_subcommands(&Args::command());
    let mut written = Vec::new();
    for &shell in SHELLS {
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut cmd, BIN, &mut script);
        let mut script = String::from_utf8(script).map_err(io::Error::other)?;
        if shell == Shell::Bash {
            script = fix_bash_hyphen(&script);
        }
        let path = dir.join(shell.file_name(BIN));
        std::fs::write(&path, script)?;
        written.push(path);
    }
    Ok(written)
}

const BIN: &str = "shadow-ai";

/// clap_complete (4.6.11) spells the bash states of a hyphenated binary two ways: the loop
/// that reads the words arrives at `shadow__ai__subcmd__scan`, the `case` arms say
/// `shadow__subcmd__ai__subcmd__scan`, so nothing after a subcommand ever completes
/// (clap-rs/clap#6421). Renaming the arms to the loop's spelling fixes it; once upstream is
/// fixed the pattern no longer occurs and this does nothing.
fn fix_bash_hyphen(script: &str) -> String {
    script.replace("shadow__subcmd__ai", "shadow__ai")
}

/// The top-level command without its hidden subcommands (`generate`): clap_complete, unlike
/// clap_mangen, would offer them. The copy keeps what completion needs: arguments,
/// subcommands and the version flag.
fn without_hidden_subcommands(cmd: &clap::Command) -> clap::Command {
    let mut out = clap::Command::new(BIN)
        .version(env!("CARGO_PKG_VERSION"))
        .subcommand_required(true)
        .args(cmd.get_arguments().cloned())
        .subcommands(cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned());
    if let Some(about) = cmd.get_about() {
        out = out.about(about.clone());
    }
    out
}

/// The command and its visible subcommands, depth first, parents before children.
fn collect(cmd: &clap::Command, into: &mut Vec<clap::Command>) {
    into.push(cmd.clone());
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        collect(sub, into);
    }
}

fn page_name(cmd: &clap::Command) -> String {
    cmd.get_display_name()
        .unwrap_or_else(|| cmd.get_name())
        .to_string()
}

/// The exit statuses of `scan`, and with `checks` those of `signatures check` and
/// `rules check` too.
fn exit_status(r: &mut Roff, checks: bool) {
    r.control("SH", ["EXIT STATUS"]);
    for (code, scan, check) in [
        (
            exit::CLEAN,
            "scan: no finding at or above --fail-on.",
            " Checks: everything is valid and every test passes.",
        ),
        (
            exit::FINDINGS,
            "scan: a finding at or above --fail-on (default: unsanctioned use, or use of a \
             blocked service, by a subject that is not excluded).",
            " Checks: a file is invalid or a test fails.",
        ),
        (
            exit::ERROR,
            "scan: an input could not be read (the other inputs are still scanned and \
             reported), the output could not be written, or the signatures or rules are \
             invalid.",
            "",
        ),
    ] {
        r.control("TP", []);
        r.text([bold(code.to_string())]);
        let text = if checks {
            format!("{scan}{check}")
        } else {
            scan.to_string()
        };
        r.text([roman(text)]);
    }
}

fn files(r: &mut Roff) {
    r.control("SH", ["FILES"]);
    r.text([roman(
        "Where the Debian package installs them. The scanner reads none of them unless \
         told to: the signature set and the default policy are built in.",
    )]);
    for (path, text) in [
        (
            "/usr/share/shadow-ai/signatures/",
            "The signature set the binary embeds, for --signatures and signatures check.",
        ),
        (
            "/etc/shadow-ai/rules/",
            "The organisation's policy (default.toml sanctions nothing), for --rules.",
        ),
        (
            "/etc/default/shadow-ai",
            "Inputs and options of the scheduled scan (shadow-ai.service, shadow-ai.timer).",
        ),
        (
            "/var/lib/shadow-ai/findings.jsonl",
            "Findings of the last scheduled scan.",
        ),
        (
            "/usr/share/shadow-ai/schema/findings-v1.schema.json",
            "JSON Schema of the findings and the run summary.",
        ),
    ] {
        r.control("TP", []);
        r.text([italic(path)]);
        r.text([roman(text)]);
    }
}

fn see_also<'a>(r: &mut Roff, names: impl IntoIterator<Item = &'a String>) {
    let refs: Vec<String> = names.into_iter().map(|n| format!("{n}(1)")).collect();
    r.control("SH", ["SEE ALSO"]);
    r.text([roman(refs.join(", "))]);
}
