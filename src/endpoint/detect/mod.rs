//! The detectors: each module recognises one family of artefacts from the paths the walker
//! meets, reading only the few files that matter. They are called in turn for every folder
//! and file; each returns at once for paths it does not care about.

use super::artifact::{ArtifactSink, Descend, DetectError, EndpointCtx};
use std::path::Path;

macro_rules! detectors {
    ($($m:ident),* $(,)?) => {
        $(pub mod $m;)*

        /// Calls every detector for a folder; the walker skips the folder's contents when
        /// any detector read it whole.
        #[allow(unused_mut, unused_variables)]
        pub fn on_dir(
            ctx: &EndpointCtx,
            rel: &Path,
            abs: &Path,
            sink: &mut ArtifactSink<'_>,
        ) -> (Descend, Vec<DetectError>) {
            let mut descend = Descend::Yes;
            let mut errors = Vec::new();
            $(
                match $m::on_dir(ctx, rel, abs, sink) {
                    Ok(Descend::Skip) => descend = Descend::Skip,
                    Ok(Descend::Yes) => {}
                    Err(e) => errors.push(e),
                }
            )*
            (descend, errors)
        }

        /// Calls every detector for a file. The file's size costs a system call, so it is
        /// looked up only when a detector asks, and once.
        #[allow(unused_mut, unused_variables)]
        pub fn on_file(
            ctx: &EndpointCtx,
            rel: &Path,
            abs: &Path,
            size: &dyn Fn() -> u64,
            sink: &mut ArtifactSink<'_>,
        ) -> Vec<DetectError> {
            let cached = std::cell::OnceCell::new();
            let size = || *cached.get_or_init(size);
            let mut errors = Vec::new();
            $(
                if let Err(e) = $m::on_file(ctx, rel, abs, &size, sink) {
                    errors.push(e);
                }
            )*
            errors
        }
    };
}

mod manifest_io;

// Path and capped-read helpers shared by local_ai, agents and secrets.
pub(crate) mod userpath;

detectors!(
    apps, brew, ide, browser, packages, local_ai, agents, secrets
);
