//! Generates an endpoint-like file tree for the endpoint benchmark (benches/endpoint.sh):
//! user homes with projects (npm `node_modules`, Python virtual environments), editor and
//! browser profiles, documents, and a few AI artefacts among them (SDK packages, IDE
//! extensions, agent configs, a local model store), in realistic file layouts.
//!
//!     gen-tree-bench ROOT FILES [SEED]
//!
//! Writes ROOT.truth.tsv: per AI artefact planted, its user and selector, so the scan's
//! findings can be checked.

#[path = "rng.rs"]
#[allow(dead_code)] // each generator uses part of it
mod rng;
use rng::Rng;

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USERS: &[&str] = &["alice", "bob", "carol", "dave", "erin", "frank"];

/// Ordinary npm and PyPI packages (most of every tree).
const NPM: &[&str] = &[
    "react",
    "lodash",
    "express",
    "typescript",
    "webpack",
    "chalk",
    "debug",
    "commander",
    "axios",
    "moment",
    "uuid",
    "semver",
    "glob",
    "yargs",
    "eslint",
    "jest",
    "rxjs",
    "tslib",
];
const PYPI: &[&str] = &[
    "requests",
    "numpy",
    "pandas",
    "urllib3",
    "certifi",
    "idna",
    "six",
    "setuptools",
    "pyyaml",
    "click",
    "jinja2",
    "markupsafe",
    "attrs",
    "packaging",
    "pytest",
    "boto3",
];
/// AI SDKs planted now and then (selector, version).
const AI_NPM: &[&str] = &["openai", "@anthropic-ai/sdk", "@google/generative-ai"];
const AI_PYPI: &[&str] = &["openai", "anthropic", "mistralai"];
/// Look-alikes that must not match.
const LOOKALIKE_PYPI: &[&str] = &["openai-clone", "anthropics"];

struct Gen {
    rng: Rng,
    files: u64,
    target: u64,
    truth: Vec<String>,
}

impl Gen {
    fn file(&mut self, p: &Path, data: &[u8]) -> io::Result<()> {
        if let Some(d) = p.parent() {
            fs::create_dir_all(d)?;
        }
        // A package picked twice for one project is written once: count distinct files.
        if !p.exists() {
            self.files += 1;
        }
        fs::write(p, data)?;
        Ok(())
    }

    fn npm_package(&mut self, nm: &Path, name: &str, ai: bool) -> io::Result<()> {
        let dir = nm.join(name);
        let version = format!(
            "{}.{}.{}",
            1 + self.rng.below(5),
            self.rng.below(20),
            self.rng.below(10)
        );
        let manifest = format!(
            "{{\n  \"name\": \"{name}\",\n  \"version\": \"{version}\",\n  \"main\": \"lib/index.js\"\n}}\n"
        );
        self.file(&dir.join("package.json"), manifest.as_bytes())?;
        for i in 0..(4 + self.rng.below(12)) {
            self.file(&dir.join(format!("lib/m{i}.js")), b"module.exports = {};\n")?;
        }
        if ai {
            self.truth.push(format!("package\tnpm\t{name}"));
        }
        Ok(())
    }

    fn py_package(&mut self, sp: &Path, name: &str, ai: bool) -> io::Result<()> {
        let version = format!(
            "{}.{}.{}",
            self.rng.below(3),
            self.rng.below(60),
            self.rng.below(10)
        );
        let dist = sp.join(format!("{}-{version}.dist-info", name.replace('-', "_")));
        let meta = format!(
            "Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: a package\n\n"
        );
        self.file(&dist.join("METADATA"), meta.as_bytes())?;
        self.file(&dist.join("RECORD"), b"")?;
        let module = sp.join(name.replace('-', "_"));
        for i in 0..(4 + self.rng.below(16)) {
            self.file(&module.join(format!("m{i}.py")), b"pass\n")?;
        }
        if ai {
            self.truth.push(format!("package\tpypi\t{name}"));
        }
        Ok(())
    }

    fn project(&mut self, home: &Path, n: u64) -> io::Result<()> {
        let proj = home.join(format!("src/project{n}"));
        self.file(&proj.join("README.md"), b"# project\n")?;
        match self.rng.below(2) {
            0 => {
                let nm = proj.join("node_modules");
                for _ in 0..(5 + self.rng.below(30)) {
                    let name = NPM[self.rng.index(NPM.len())];
                    self.npm_package(&nm, name, false)?;
                }
                if self.rng.below(8) == 0 {
                    let name = AI_NPM[self.rng.index(AI_NPM.len())];
                    self.npm_package(&nm, name, true)?;
                }
            }
            _ => {
                let sp = proj.join(".venv/lib/python3.12/site-packages");
                self.file(&proj.join(".venv/pyvenv.cfg"), b"home = /usr/bin\n")?;
                for _ in 0..(5 + self.rng.below(25)) {
                    let name = PYPI[self.rng.index(PYPI.len())];
                    self.py_package(&sp, name, false)?;
                }
                if self.rng.below(8) == 0 {
                    let name = AI_PYPI[self.rng.index(AI_PYPI.len())];
                    self.py_package(&sp, name, true)?;
                }
                if self.rng.below(16) == 0 {
                    let name = LOOKALIKE_PYPI[self.rng.index(LOOKALIKE_PYPI.len())];
                    self.py_package(&sp, name, false)?;
                }
            }
        }
        for i in 0..(10 + self.rng.below(40)) {
            self.file(
                &proj.join(format!("docs/d{}/note{i}.txt", i % 5)),
                b"text\n",
            )?;
        }
        Ok(())
    }

    fn home_extras(&mut self, home: &Path, user: &str) -> io::Result<()> {
        self.file(&home.join(".bashrc"), b"export PATH=$HOME/bin:$PATH\n")?;
        if self.rng.below(2) == 0 {
            let ext = home.join(".vscode/extensions/github.copilot-1.250.0");
            let pkg = b"{\"name\":\"copilot\",\"publisher\":\"GitHub\",\"version\":\"1.250.0\",\"displayName\":\"GitHub Copilot\"}";
            self.file(&ext.join("package.json"), pkg)?;
            for i in 0..40 {
                self.file(&ext.join(format!("dist/c{i}.js")), b"x")?;
            }
            self.truth
                .push(format!("extension\tvscode\tgithub.copilot\t{user}"));
        }
        if self.rng.below(3) == 0 {
            self.file(&home.join(".claude/settings.json"), b"{}\n")?;
            self.truth.push(format!("config_path\t\t.claude\t{user}"));
        }
        if self.rng.below(4) == 0 {
            let m = home.join(".ollama/models/manifests/registry.ollama.ai/library/llama3/latest");
            self.file(&m, b"{\"schemaVersion\":2,\"layers\":[{\"mediaType\":\"application/vnd.ollama.image.model\",\"digest\":\"sha256:00\",\"size\":4661211424}]}")?;
            self.truth.push(format!("config_path\t\t.ollama\t{user}"));
        }
        Ok(())
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(root), Some(files)) = (args.get(1), args.get(2).and_then(|n| n.parse::<u64>().ok()))
    else {
        eprintln!("usage: gen-tree-bench ROOT FILES [SEED]");
        return ExitCode::from(2);
    };
    let seed = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(42);
    let root = PathBuf::from(root);
    let mut g = Gen {
        rng: Rng::new(seed),
        files: 0,
        target: files,
        truth: Vec::new(),
    };
    let run = |g: &mut Gen| -> io::Result<()> {
        for u in USERS {
            g.home_extras(&root.join("home").join(u), u)?;
        }
        let mut n = 0u64;
        while g.files < g.target {
            let user = USERS[g.rng.index(USERS.len())];
            g.project(&root.join("home").join(user), n)?;
            n += 1;
        }
        let mut t = fs::File::create(format!("{}.truth.tsv", root.display()))?;
        writeln!(t, "# files\t{}", g.files)?;
        g.truth.sort();
        for line in &g.truth {
            writeln!(t, "{line}")?;
        }
        Ok(())
    };
    match run(&mut g) {
        Ok(()) => {
            println!("{} files", g.files);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen-tree-bench: {e}");
            ExitCode::from(1)
        }
    }
}
