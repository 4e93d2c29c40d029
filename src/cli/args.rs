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
    #[arg(required_unless_present_any = ["endpoint", "interface"], value_name = "PATH")]
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
    /// Read CSV software inventories (EDR/MDM exports) through this column mapping (TOML:
    /// which columns hold endpoint, user, name, version, bundle id, package, …). Intune
    /// discovered-apps and Defender software-inventory exports are read without one;
    /// osquery results are recognised by themselves.
    #[arg(long, value_name = "FILE")]
    pub inventory_map: Option<PathBuf>,
    /// Capture live on this network interface (libpcap) instead of reading files, until
    /// SIGINT or SIGTERM; outputs are rewritten every --flush-every and once at the end.
    /// Needs a build with the `live-capture` feature, and capture rights (root or
    /// CAP_NET_RAW).
    #[arg(long, value_name = "IFACE", conflicts_with_all = ["paths", "endpoint"])]
    pub interface: Option<String>,
    /// With --interface: capture only packets this BPF filter (tcpdump syntax) accepts,
    /// e.g. "port 53 or port 443".
    #[arg(
        long,
        value_name = "FILTER",
        requires = "interface",
        conflicts_with = "paths"
    )]
    pub bpf: Option<String>,
    /// With --interface: write the findings so far this often (e.g. 30s, 5m, 1h; default
    /// 60s). With --out-dir or --output the files are rewritten; on standard output each
    /// flush adds a full snapshot.
    #[arg(
        long,
        value_name = "DURATION",
        requires = "interface",
        conflicts_with = "paths"
    )]
    pub flush_every: Option<FlushInterval>,
    /// With --interface: put the interface in promiscuous mode (a SPAN or mirror port
    /// carries traffic addressed to other hosts).
    #[arg(long, requires = "interface", conflicts_with = "paths")]
    pub promiscuous: bool,
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

/// A duration of whole seconds, minutes or hours: `30s`, `5m`, `1h` (a bare number is
/// seconds). From one second to a week.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct FlushInterval(pub std::time::Duration);

impl FlushInterval {
    /// `--flush-every` when not given (no clap default: clap never checks an argument
    /// that has one for conflicts).
    pub const DEFAULT: FlushInterval = FlushInterval(std::time::Duration::from_secs(60));
    const MAX_SECS: u64 = 7 * 24 * 3600;
}

impl std::str::FromStr for FlushInterval {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let (num, unit) = match t.char_indices().last() {
            Some((i, c)) if c.is_ascii_alphabetic() => (&t[..i], c),
            _ => (t, 's'),
        };
        let mult: u64 = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => {
                return Err(format!(
                    "{s:?}: unknown unit (use s, m or h, e.g. 30s, 5m, 1h)"
                ));
            }
        };
        let n: u64 = num
            .parse()
            .map_err(|_| format!("{s:?} is not a duration (e.g. 30s, 5m, 1h)"))?;
        if n == 0 {
            return Err(format!("{s:?}: must be at least 1s"));
        }
        // A week at most: a bound that keeps timer arithmetic far from overflow.
        match n.checked_mul(mult) {
            Some(secs) if secs <= FlushInterval::MAX_SECS => {
                Ok(FlushInterval(std::time::Duration::from_secs(secs)))
            }
            _ => Err(format!("{s:?} is too long (at most 168h)")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::error::ErrorKind;
    use std::time::Duration;

    fn interval(s: &str) -> Result<Duration, String> {
        s.parse::<FlushInterval>().map(|f| f.0)
    }

    #[test]
    fn flush_interval_units() {
        assert_eq!(interval("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(interval("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(interval("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(interval("45"), Ok(Duration::from_secs(45)));
        assert_eq!(interval(" 2m "), Ok(Duration::from_secs(120)));
        assert_eq!(FlushInterval::DEFAULT.0, Duration::from_secs(60));
    }

    #[test]
    fn flush_interval_rejects() {
        assert_eq!(interval("0s"), Err(r#""0s": must be at least 1s"#.into()));
        assert_eq!(
            interval("1x"),
            Err(r#""1x": unknown unit (use s, m or h, e.g. 30s, 5m, 1h)"#.into())
        );
        assert_eq!(
            interval("1.5m"),
            Err(r#""1.5m" is not a duration (e.g. 30s, 5m, 1h)"#.into())
        );
        for bad in ["", "m", "-1s", "1 h", "99999999999999999999s"] {
            assert!(interval(bad).is_err(), "{bad:?}");
        }
        assert_eq!(interval("168h"), Ok(Duration::from_secs(604_800)));
        assert_eq!(
            interval("169h"),
            Err(r#""169h" is too long (at most 168h)"#.into())
        );
        // n × 3600 overflows u64.
        assert_eq!(
            interval("5124095576030432h"),
            Err(r#""5124095576030432h" is too long (at most 168h)"#.into())
        );
    }

    fn scan(args: &[&str]) -> Result<ScanArgs, ErrorKind> {
        let argv = ["shadow-ai", "scan"].iter().chain(args);
        match Args::try_parse_from(argv) {
            Ok(Args {
                command: Command::Scan(a),
            }) => Ok(a),
            Ok(other) => panic!("not a scan: {other:?}"),
            Err(e) => Err(e.kind()),
        }
    }

    #[test]
    fn interface_replaces_paths() {
        let a = scan(&["--interface", "eth0"]).unwrap();
        assert_eq!(a.interface.as_deref(), Some("eth0"));
        assert!(a.paths.is_empty());
        assert_eq!((a.bpf, a.flush_every, a.promiscuous), (None, None, false));
        let a = scan(&[
            "--interface",
            "eth0",
            "--bpf",
            "port 53 or port 443",
            "--flush-every",
            "5m",
            "--promiscuous",
        ])
        .unwrap();
        assert_eq!(a.bpf.as_deref(), Some("port 53 or port 443"));
        assert_eq!(a.flush_every, Some(FlushInterval(Duration::from_secs(300))));
        assert!(a.promiscuous);
        // Files still need a PATH.
        assert_eq!(scan(&[]).unwrap_err(), ErrorKind::MissingRequiredArgument);
        assert_eq!(scan(&["x.log"]).unwrap().paths, [PathBuf::from("x.log")]);
    }

    #[test]
    fn live_flags_conflict_with_paths() {
        for args in [
            &["--interface", "eth0", "x.log"][..],
            &["x.log", "--bpf", "udp"],
            &["x.log", "--flush-every", "5m"],
            &["x.log", "--promiscuous"],
        ] {
            assert_eq!(
                scan(args).unwrap_err(),
                ErrorKind::ArgumentConflict,
                "{args:?}"
            );
        }
        // Live-only flags without --interface (and no PATH).
        for args in [
            &["--bpf", "udp"][..],
            &["--flush-every", "5m"],
            &["--promiscuous"],
        ] {
            assert_eq!(
                scan(args).unwrap_err(),
                ErrorKind::MissingRequiredArgument,
                "{args:?}"
            );
        }
        assert_eq!(
            scan(&["--interface", "eth0", "--flush-every", "0s"]).unwrap_err(),
            ErrorKind::ValueValidation
        );
    }
}
