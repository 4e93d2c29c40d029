//! The `shadow-ai` binary: parse arguments, run, map the outcome to an exit status.
#![forbid(unsafe_code)]

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = shadow_ai::cli::args::Args::parse();
    ExitCode::from(shadow_ai::cli::run(args))
}
