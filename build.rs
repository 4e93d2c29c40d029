//! Embeds the default signature set: every `signatures/*.toml` plus `SET_VERSION`.
use std::{env, fs, path::Path};

fn main() {
    let dir = Path::new(&env::var("CARGO_MANIFEST_DIR").unwrap()).join("signatures");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = fs::read_dir(&dir)
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "toml"));
    files.sort();
    let mut out = String::from("pub static FILES: &[(&str, &str)] = &[\n");
    for p in &files {
        println!("cargo:rerun-if-changed={}", p.display());
        let name = p.file_name().unwrap().to_string_lossy();
        out += &format!(
            "    ({name:?}, include_str!({:?})),\n",
            p.display().to_string()
        );
    }
    out += "];\n";
    let version = dir.join("SET_VERSION");
    println!("cargo:rerun-if-changed={}", version.display());
    let version = fs::read_to_string(&version).unwrap_or_else(|_| "unversioned".into());
    out += &format!("pub static VERSION: &str = {:?};\n", version.trim());
    fs::write(
        Path::new(&env::var("OUT_DIR").unwrap()).join("builtin_signatures.rs"),
        out,
    )
    .unwrap();
}
