//! Shared test helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

pub fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Runs the built binary with `args`, feeding `stdin` if given. The default state
/// database goes to a temporary folder (removed afterwards), never into the real home.
pub fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let data_home = tempfile::tempdir().expect("temporary XDG_DATA_HOME");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_shadow-ai"));
    cmd.args(args)
        .env_remove("RUST_LOG")
        .env("XDG_DATA_HOME", data_home.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = cmd.spawn().expect("spawn shadow-ai");
    if let Some(input) = stdin {
        use std::io::Write;
        let mut si = child.stdin.take().unwrap();
        si.write_all(input).unwrap();
    }
    child.wait_with_output().unwrap()
}

pub fn stdout_records(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {e}: {l}")))
        .collect()
}

pub fn findings(records: &[serde_json::Value]) -> Vec<&serde_json::Value> {
    records
        .iter()
        .filter(|r| r["record_type"] == "finding")
        .collect()
}

pub fn summary(records: &[serde_json::Value]) -> &serde_json::Value {
    records
        .iter()
        .find(|r| r["record_type"] == "summary")
        .expect("a summary record")
}

/// A path as a command-line argument.
pub fn s(p: impl AsRef<Path>) -> String {
    p.as_ref().display().to_string()
}

/// The names in a folder, sorted.
pub fn sorted_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
