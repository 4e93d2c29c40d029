//! Argument definitions (clap derive). Kept apart from what the commands do.

use crate::emit::OutputFormat;
use crate::emit::ocsf::OcsfVersion;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "shadow-ai", version, about = "Finds use of external AI services in DNS and proxy logs", long_about = None)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
// Parsed once per run: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// Scan logs (files, folders, compressed files, `-` for stdin) for AI service use.
    Scan(ScanArgs),
    /// Validate or list the signature set.
    Signatures {
        #[command(subcommand)]
        command: SigCommand,
    },
    /// Validate the policy (rules files) and run its tests.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// List the input formats the scanner detects.
    Formats,
    /// Write the man pages or the shell completions into a folder (for packagers).
    #[command(hide = true)]
    Generate {
        #[command(subcommand)]
        command: GenerateCommand,
    },
    /// List the scans recorded in the state database and what changed in each.
    History(HistoryArgs),
}

#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Files or folders to scan (folders recursively); `-` reads standard input.
    #[arg(required_unless_present_any = ["endpoint"], value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Walk this endpoint's file tree for installed AI software: `/`, a mounted disk image
    /// or a collected home folder, optionally named (`NAME=ROOT`; default: its host name).
    /// Repeatable.
    #[arg(long, value_name = "[NAME=]ROOT")]
    pub endpoint: Vec<String>,
    /// Endpoints: also pass over this root-relative folder (repeatable; virtual
    /// filesystems, container layers and the like are passed over already).
    #[arg(long, value_name = "PATH", requires = "endpoint")]
    pub endpoint_skip: Vec<PathBuf>,
    /// Endpoints: cross into other mounted filesystems (default: stay on the root's).
    #[arg(long, requires = "endpoint")]
    pub all_filesystems: bool,
    /// Read every input as this format instead of detecting it (see `shadow-ai formats`).
    #[arg(long, value_name = "ID")]
    pub format: Option<String>,
    /// Write findings here (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Output format (for --output or standard output).
    #[arg(long, value_enum, default_value_t = OutputFormat::Jsonl)]
    pub format_out: OutputFormat,
    /// OCSF schema version for the `ocsf` output; attributes the version lacks are left out.
    #[arg(long, value_enum, default_value_t = OcsfVersion::default(), value_name = "VERSION")]
    pub ocsf_version: OcsfVersion,
    /// Write a set of outputs into this folder (each file atomically): what a scheduled
    /// scan does. Standard output then stays empty.
    #[arg(long, value_name = "DIR", conflicts_with = "output")]
    pub out_dir: Option<PathBuf>,
    /// With --out-dir: which outputs (comma-separated; default: all).
    #[arg(long, value_enum, value_delimiter = ',', requires = "out_dir")]
    pub outputs: Vec<OutputFormat>,
    /// Add the signature files of this folder; a service id it defines replaces the built-in one.
    #[arg(long, value_name = "DIR")]
    pub signatures: Vec<PathBuf>,
    /// Use only the --signatures folders, not the built-in set.
    #[arg(long)]
    pub no_builtin_signatures: bool,
    /// The organisation's policy: a rules file or a folder of them (repeatable; earlier
    /// rules win). Default: the shipped policy, which sanctions nothing.
    #[arg(long, value_name = "FILE|DIR")]
    pub rules: Vec<PathBuf>,
    /// Exit with status 1 when a finding reaches this level. Excluded subjects never do.
    #[arg(long, value_enum, default_value_t = FailOn::Unsanctioned)]
    pub fail_on: FailOn,
    /// Worker threads (default: one per core).
    #[arg(short = 'j', long)]
    pub threads: Option<usize>,
    /// Never draw the progress bar (it is drawn only when stderr is a terminal).
    #[arg(long)]
    pub no_progress: bool,
    /// Print nothing on stderr except errors.
    #[arg(short, long)]
    pub quiet: bool,
    /// Stop decompressing an input after this many bytes (e.g. 64G).
    #[arg(long, default_value = "64G", value_name = "BYTES")]
    pub max_decompressed: ByteSize,
    /// Skip (and count) lines longer than this.
    #[arg(long, default_value = "1M", value_name = "BYTES")]
    pub max_line: ByteSize,
    /// Year for timestamps that carry none (syslog); default: each file's modification year.
    #[arg(long)]
    pub year: Option<i32>,
    /// Captures: also read this port's UDP and TCP traffic as DNS (53 always is; repeatable).
    #[arg(long, value_name = "PORT")]
    pub dns_port: Vec<u16>,
    /// Captures: most connections tracked at once; beyond it the least recently seen are
    /// reported and dropped (counted as evicted).
    #[arg(long, default_value_t = 131_072, value_name = "N")]
    pub max_flows: usize,
    /// Record the scan in this state database (SQLite) so findings are marked new or
    /// recurring and the summary lists those gone. Default:
    /// $XDG_DATA_HOME/shadow-ai/state.sqlite, else ~/.local/share/shadow-ai/state.sqlite.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Record nothing (findings then carry no lifecycle): for one-off scans and tests.
    #[arg(long, conflicts_with = "state")]
    pub no_state: bool,
}

#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// The state database (default: as for `scan`).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// One JSON object per scan, with every change listed.
    #[arg(long)]
    pub json: bool,
    /// Show the latest N scans.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub limit: usize,
}

#[derive(Debug, Subcommand)]
pub enum SigCommand {
    /// Validate signature files and run every match / no_match example. With DIRs, checks
    /// those folders alone; without, the built-in set.
    Check {
        #[arg(value_name = "DIR")]
        dirs: Vec<PathBuf>,
        /// With DIRs: check them alone (the default). Kept for symmetry with `scan`.
        #[arg(long)]
        no_builtin: bool,
    },
    /// List services and their indicators.
    List {
        #[arg(long, value_name = "DIR")]
        signatures: Vec<PathBuf>,
        #[arg(long)]
        no_builtin_signatures: bool,
        /// One JSON object per service.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Validate rules files (default: the shipped policy) and run their tests.
    Check {
        #[arg(value_name = "FILE|DIR")]
        paths: Vec<PathBuf>,
        /// Check against these signature folders as well as the built-in set.
        #[arg(long, value_name = "DIR")]
        signatures: Vec<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum GenerateCommand {
    /// shadow-ai.1 and one page per subcommand (shadow-ai-scan.1, …).
    Man {
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
    /// Completions for bash (shadow-ai.bash), zsh (_shadow-ai) and fish (shadow-ai.fish).
    Completions {
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Any finding, whatever the policy says of it.
    Any,
    /// Unsanctioned use, and use of a blocked service (the default).
    Unsanctioned,
    /// Only use of a service that is blocked (by a rule or by the device).
    BlockedButUsed,
    /// Never: exit 0 unless an error occurred.
    Never,
}

/// A byte count with an optional K/M/G/T suffix (powers of 1024).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ByteSize(pub u64);

impl std::str::FromStr for ByteSize {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (num, mult) = match s.char_indices().last() {
            Some((i, c)) if c.is_ascii_alphabetic() => {
                let m = match c.to_ascii_uppercase() {
                    'K' => 1u64 << 10,
                    'M' => 1 << 20,
                    'G' => 1 << 30,
                    'T' => 1 << 40,
                    _ => return Err(format!("{s:?}: unknown unit (use K, M, G or T)")),
                };
                (&s[..i], m)
            }
            _ => (s, 1),
        };
        let n: u64 = num
            .parse()
            .map_err(|_| format!("{s:?} is not a byte count"))?;
        n.checked_mul(mult)
            .map(ByteSize)
            .ok_or_else(|| format!("{s:?} is too large"))
    }
}
