//! Inputs: which files a scan reads, how each is opened (decompressed by magic bytes,
//! capped) and which format it holds.

pub mod decompress;
pub mod detect;
pub mod lines;

use std::path::{Path, PathBuf};

/// One input the user asked for, after folders are expanded.
#[derive(Clone, Debug)]
pub struct Input {
    pub path: InputPath,
    /// Size on disk (compressed size for compressed files); 0 for stdin.
    pub size: u64,
    /// Named on the command line (an unknown format is then an error), rather than found
    /// in a folder (an unknown format is then reported and passed over).
    pub explicit: bool,
    /// Year of the file's modification time, for timestamps that omit the year.
    pub mtime_year: Option<i32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputPath {
    Stdin,
    File(PathBuf),
}

impl std::fmt::Display for InputPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InputPath::Stdin => f.write_str("<stdin>"),
            InputPath::File(p) => write!(f, "{}", p.display()),
        }
    }
}

/// A path that could not be listed or opened while expanding the inputs.
#[derive(Clone, Debug)]
pub struct InputError {
    pub path: String,
    pub message: String,
}

/// Expands `args` (files, folders walked recursively in name order, `-` for stdin) into
/// inputs. Hidden files are included: log folders often hold rotated `.1` files and the
/// like. Symbolic links to files are followed; links inside folders are not walked into.
/// A file reached twice (named twice, or inside a folder also named) is read once.
pub fn expand(args: &[PathBuf]) -> (Vec<Input>, Vec<InputError>) {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    expand_into(args, &mut inputs, &mut errors);
    // Keep the first occurrence, but named-on-the-command-line wins if any occurrence was.
    let key = |i: &Input| match &i.path {
        InputPath::File(p) => std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()),
        InputPath::Stdin => PathBuf::from("-"),
    };
    let mut first: std::collections::HashMap<PathBuf, usize> = std::collections::HashMap::new();
    let mut keep = vec![true; inputs.len()];
    for i in 0..inputs.len() {
        match first.get(&key(&inputs[i])) {
            Some(&f) => {
                keep[i] = false;
                let explicit = inputs[i].explicit;
                inputs[f].explicit |= explicit;
            }
            None => {
                first.insert(key(&inputs[i]), i);
            }
        }
    }
    let mut keep = keep.into_iter();
    inputs.retain(|_| keep.next().unwrap_or(true));

    (inputs, errors)
}

fn expand_into(args: &[PathBuf], inputs: &mut Vec<Input>, errors: &mut Vec<InputError>) {
    for arg in args {
        if arg.as_os_str() == "-" {
            inputs.push(Input {
                path: InputPath::Stdin,
                size: 0,
                explicit: true,
                mtime_year: None,
            });
            continue;
        }
        match std::fs::metadata(arg) {
            Ok(m) if m.is_dir() => walk(arg, inputs, errors),
            Ok(m) => inputs.push(file_input(arg.clone(), &m, true)),
            Err(e) => errors.push(InputError {
                path: arg.display().to_string(),
                message: e.to_string(),
            }),
        }
    }
}

fn walk(dir: &Path, inputs: &mut Vec<Input>, errors: &mut Vec<InputError>) {
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        match entry {
            Ok(e) if e.file_type().is_file() => match e.metadata() {
                Ok(m) => inputs.push(file_input(e.into_path(), &m, false)),
                Err(err) => errors.push(InputError {
                    path: e.path().display().to_string(),
                    message: err.to_string(),
                }),
            },
            // A link to a file is read; links to folders are not walked (no loops), and a
            // dangling link is reported.
            Ok(e) if e.path_is_symlink() => match std::fs::metadata(e.path()) {
                Ok(m) if m.is_file() => inputs.push(file_input(e.into_path(), &m, false)),
                Ok(_) => {}
                Err(err) => errors.push(InputError {
                    path: e.path().display().to_string(),
                    message: format!("symbolic link: {err}"),
                }),
            },
            Ok(_) => {}
            Err(err) => errors.push(InputError {
                path: err
                    .path()
                    .map_or_else(|| dir.display().to_string(), |p| p.display().to_string()),
                message: err
                    .io_error()
                    .map_or_else(|| err.to_string(), ToString::to_string),
            }),
        }
    }
}

fn file_input(path: PathBuf, m: &std::fs::Metadata, explicit: bool) -> Input {
    let mtime_year = m
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| crate::time::Timestamp::from_secs(d.as_secs() as i64).year());
    Input {
        path: InputPath::File(path),
        size: m.len(),
        explicit,
        mtime_year,
    }
}
