//! Walks an endpoint's file tree (a live root, a mounted disk image, or a collected home
//! folder) and hands every folder and file to the detectors.
//!
//! The tree is split into jobs (each top-level folder, and each user's home folder) that
//! the threads take in turn, so both cores walk. Symbolic links are never followed (so
//! there are no loops, and nothing outside the root is read); they are counted. By default
//! the walk stays on the root's filesystem and passes over the kernel's virtual trees and
//! container layers; permission errors and unreadable entries are counted with examples.

use super::artifact::{Artifact, Descend, DetectError, EndpointCtx};
use super::detect;
use serde::Serialize;
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Folders (relative to the root) not walked unless asked: virtual filesystems, caches of
/// container images, swap, and the parts of an OS image that hold no user software.
pub const DEFAULT_SKIP: &[&str] = &[
    "proc",
    "sys",
    "dev",
    "run",
    "var/lib/docker",
    "var/lib/containerd",
    "var/lib/containers",
    "var/cache",
    "var/log",
    "private/var/vm",
    "System/Volumes",
    "Windows/WinSxS",
    "Windows/Installer",
    "$Recycle.Bin",
    "System Volume Information",
];

/// Folder names never entered anywhere: version-control object stores and byte-code caches
/// hold nothing a detector reads.
const SKIP_NAMES: &[&str] = &[".git", ".hg", ".svn", "__pycache__"];

#[derive(Clone, Debug)]
pub struct WalkOptions {
    /// Stay on the root's filesystem.
    pub one_filesystem: bool,
    /// Deepest folder level walked below the root.
    pub max_depth: usize,
    /// Root-relative folders passed over (defaults plus the user's).
    pub skip: Vec<PathBuf>,
    pub threads: usize,
    /// Root-relative mount points of other local-disk filesystems, walked even with
    /// `one_filesystem` (filled in for a live `/`).
    pub disk_mounts: Vec<PathBuf>,
}

impl Default for WalkOptions {
    fn default() -> Self {
        WalkOptions {
            one_filesystem: true,
            max_depth: 48,
            skip: DEFAULT_SKIP.iter().map(PathBuf::from).collect(),
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            disk_mounts: Vec::new(),
        }
    }
}

/// One place an error was met, for the summary.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct WalkProblem {
    pub path: String,
    pub reason: String,
}

/// What a walk saw.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct WalkStats {
    pub dirs: u64,
    pub files: u64,
    /// Symbolic links met (never followed).
    pub symlinks: u64,
    /// Folders passed over: on another filesystem, in the skip list, or past the depth limit.
    pub other_filesystem: u64,
    pub skip_listed: u64,
    pub too_deep: u64,
    /// Folders a detector read whole (bundles, extension and package folders).
    pub read_whole: u64,
    /// Entries that could not be listed or read (permission denied, vanished, I/O errors).
    pub unreadable: u64,
    /// Files a detector could not read (malformed manifests and the like).
    pub detect_errors: u64,
    /// The first few problems of each kind, with their paths.
    pub problems: Vec<WalkProblem>,
    /// Unreadable entries and detector errors by reason.
    pub reasons: BTreeMap<String, u64>,
}

const MAX_PROBLEMS: usize = 10;

impl WalkStats {
    fn add(&mut self, o: WalkStats) {
        self.dirs += o.dirs;
        self.files += o.files;
        self.symlinks += o.symlinks;
        self.other_filesystem += o.other_filesystem;
        self.skip_listed += o.skip_listed;
        self.too_deep += o.too_deep;
        self.read_whole += o.read_whole;
        self.unreadable += o.unreadable;
        self.detect_errors += o.detect_errors;
        for p in o.problems {
            if self.problems.len() < MAX_PROBLEMS {
                self.problems.push(p);
            }
        }
        for (k, v) in o.reasons {
            *self.reasons.entry(k).or_default() += v;
        }
    }

    fn problem(&mut self, path: &Path, reason: String) {
        *self.reasons.entry(reason.clone()).or_default() += 1;
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(WalkProblem {
                path: path.display().to_string(),
                reason,
            });
        }
    }

    fn detect_error(&mut self, e: DetectError) {
        self.detect_errors += 1;
        self.problem(&e.path, e.reason);
    }
}

/// The user a root-relative path belongs to: the owner of the home folder it is in
/// (`home/<u>`, `Users/<u>`, `Documents and Settings/<u>`, `root`), or `home_user` when the
/// root is itself a collected home folder.
pub fn user_of<'a>(rel: &'a Path, home_user: Option<&'a str>) -> Option<&'a str> {
    let mut c = rel.components().filter_map(|c| match c {
        Component::Normal(s) => s.to_str(),
        _ => None,
    });
    match c.next() {
        Some(first)
            if first == "home"
                || first.eq_ignore_ascii_case("users")
                || first.eq_ignore_ascii_case("documents and settings") =>
        {
            c.next().filter(|u| {
                !matches!(
                    *u,
                    "Public" | "Default" | "Default User" | "All Users" | "Shared"
                )
            })
        }
        Some("root") => Some("root"),
        _ => home_user,
    }
}

/// Whether `root` looks like one user's home folder rather than a whole system.
fn is_home_folder(root: &Path) -> bool {
    let has = |n: &str| root.join(n).exists();
    !(has("home") || has("Users") || has("etc") || has("Windows") || has("usr"))
        && (has(".config")
            || has(".local")
            || has("AppData")
            || has("Library")
            || has(".bashrc")
            || has(".profile")
            || has(".zshrc"))
}

/// Walks `ctx.root`; `found` receives each artefact with its user. Returns what the walk
/// saw; it never fails as a whole (an unreadable root is one problem).
pub fn walk(
    ctx: &EndpointCtx,
    opts: &WalkOptions,
    found: &(dyn Fn(Option<&str>, Artifact) + Sync),
) -> WalkStats {
    let root = ctx.root.as_path();
    // `.` or `jdoe/..` name no folder: the collected home's owner is the real folder's name.
    let real_name = std::fs::canonicalize(root)
        .ok()
        .and_then(|p| p.file_name().and_then(OsStr::to_str).map(str::to_string));
    let home_user = if is_home_folder(root) {
        real_name.as_deref()
    } else {
        None
    };
    let mut stats = WalkStats::default();
    // The root itself may be a link (to a mounted image): its filesystem is the target's.
    let root_dev = device_following(root);
    // On a live system, "one filesystem" means local disks: a separate /home or /opt
    // partition is walked, virtual, removable-media and network mounts are not.
    let disk_mounts = if root == Path::new("/") {
        local_disk_mounts()
    } else {
        Vec::new()
    };
    let opts = &WalkOptions {
        disk_mounts,
        ..opts.clone()
    };
    // Jobs: the root's own files, then every top-level folder, with home folders split
    // per user so one big home does not leave a core idle.
    let mut jobs: Vec<PathBuf> = Vec::new();
    let mut top = WalkStats::default();
    visit_dir(ctx, root, Path::new(""), home_user, found, &mut top);
    match std::fs::read_dir(root) {
        Ok(rd) => {
            for e in rd {
                let e = match e {
                    Ok(e) => e,
                    Err(err) => {
                        top.unreadable += 1;
                        top.problem(root, err.to_string());
                        continue;
                    }
                };
                let rel = PathBuf::from(e.file_name());
                let Ok(ft) = e.file_type() else { continue };
                if ft.is_symlink() {
                    top.symlinks += 1;
                } else if ft.is_file() {
                    top.files += 1;
                    visit_file(ctx, &e.path(), &rel, home_user, found, &mut top);
                } else if ft.is_dir() {
                    if skipped(&rel, opts)
                        || SKIP_NAMES.iter().any(|n| e.file_name() == OsStr::new(n))
                    {
                        top.skip_listed += 1;
                        continue;
                    }
                    let is_homes = rel == Path::new("home") || rel == Path::new("Users");
                    if is_homes {
                        top.dirs += 1;
                        if let Descend::Skip =
                            visit_dir(ctx, &e.path(), &rel, home_user, found, &mut top)
                        {
                            top.read_whole += 1;
                            continue;
                        }
                        match std::fs::read_dir(e.path()) {
                            Ok(users) => {
                                for u in users.flatten() {
                                    let urel = rel.join(u.file_name());
                                    match u.file_type() {
                                        Ok(t) if t.is_dir() && skipped(&urel, opts) => {
                                            top.skip_listed += 1;
                                        }
                                        Ok(t) if t.is_dir() => jobs.push(urel),
                                        Ok(t) if t.is_symlink() => top.symlinks += 1,
                                        Ok(t) if t.is_file() => {
                                            top.files += 1;
                                            visit_file(
                                                ctx,
                                                &u.path(),
                                                &urel,
                                                home_user,
                                                found,
                                                &mut top,
                                            );
                                        }
                                        _ => {}
                                    }
                                }
                            }
                            Err(err) => {
                                top.unreadable += 1;
                                top.problem(&e.path(), err.to_string());
                            }
                        }
                    } else {
                        jobs.push(rel);
                    }
                }
            }
        }
        Err(err) => {
            top.unreadable += 1;
            top.problem(root, format!("cannot list the endpoint root: {err}"));
        }
    }
    stats.add(top);
    let next = AtomicUsize::new(0);
    let merged = Mutex::new(WalkStats::default());
    let threads = opts.threads.max(1).min(jobs.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut local = WalkStats::default();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(rel) = jobs.get(i) else { break };
                    walk_job(ctx, opts, rel, root_dev, home_user, found, &mut local);
                }
                merged.lock().unwrap_or_else(|e| e.into_inner()).add(local);
            });
        }
    });
    stats.add(merged.into_inner().unwrap_or_else(|e| e.into_inner()));
    stats
}

fn skipped(rel: &Path, opts: &WalkOptions) -> bool {
    opts.skip.iter().any(|s| s == rel)
}

#[cfg(unix)]
fn device(p: &Path) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(p).ok().map(|m| m.dev())
}

#[cfg(not(unix))]
fn device(_: &Path) -> Option<u64> {
    None
}

/// Mount points (relative to `/`) of filesystems on local disks, from the kernel's mount
/// table; empty where there is none.
fn local_disk_mounts() -> Vec<PathBuf> {
    const DISK_TYPES: &[&str] = &[
        "ext2", "ext3", "ext4", "xfs", "btrfs", "zfs", "f2fs", "jfs", "reiserfs", "bcachefs",
        "nilfs2", "ntfs", "ntfs3", "fuseblk", "vfat", "exfat", "apfs", "hfsplus",
    ];
    match std::fs::read_to_string("/proc/self/mountinfo") {
        Ok(table) => disk_mounts_in(&table, DISK_TYPES),
        Err(_) => Vec::new(),
    }
}

fn disk_mounts_in(table: &str, disk_types: &[&str]) -> Vec<PathBuf> {
    table
        .lines()
        .filter_map(|l| {
            let (left, right) = l.split_once(" - ")?;
            let fstype = right.split(' ').next()?;
            let point = left.split(' ').nth(4)?;
            disk_types.contains(&fstype).then(|| {
                // The table escapes space, tab, newline and backslash as octal.
                let p = point
                    .replace("\\040", " ")
                    .replace("\\011", "\t")
                    .replace("\\012", "\n")
                    .replace("\\134", "\\");
                PathBuf::from(p.trim_start_matches('/'))
            })
        })
        .filter(|p| !p.as_os_str().is_empty())
        .collect()
}

#[cfg(unix)]
fn device_following(p: &Path) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(p).ok().map(|m| m.dev())
}

#[cfg(not(unix))]
fn device_following(_: &Path) -> Option<u64> {
    None
}

/// Walks one job: a folder below the root, given relative to it.
#[allow(clippy::too_many_arguments)]
fn walk_job(
    ctx: &EndpointCtx,
    opts: &WalkOptions,
    rel: &Path,
    root_dev: Option<u64>,
    home_user: Option<&str>,
    found: &(dyn Fn(Option<&str>, Artifact) + Sync),
    st: &mut WalkStats,
) {
    let start = ctx.root.join(rel);
    if opts.one_filesystem
        && root_dev.is_some()
        && device(&start) != root_dev
        && !opts.disk_mounts.iter().any(|m| rel.starts_with(m))
    {
        st.other_filesystem += 1;
        return;
    }
    let job_dev = device(&start);
    let depth0 = rel.components().count();
    // Filesystem boundaries are checked here (not by walkdir) so a mount point is counted
    // and not shown to the detectors.
    let mut it = walkdir::WalkDir::new(&start)
        .follow_links(false)
        .max_depth(opts.max_depth.saturating_sub(depth0) + 1)
        .into_iter();
    while let Some(entry) = it.next() {
        let entry = match entry {
            Ok(e) => e,
            Err(err) => {
                st.unreadable += 1;
                let path = err
                    .path()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| start.clone());
                let reason = match err.io_error() {
                    Some(io) => io.kind().to_string(),
                    None => "file system loop".to_string(),
                };
                st.problem(&path, reason);
                continue;
            }
        };
        let abs = entry.path();
        let Ok(rel_here) = abs.strip_prefix(&ctx.root) else {
            continue;
        };
        let ft = entry.file_type();
        if ft.is_dir() {
            if entry.depth() > 0 {
                let name = entry.file_name();
                if SKIP_NAMES.iter().any(|n| name == OsStr::new(n)) || skipped(rel_here, opts) {
                    st.skip_listed += 1;
                    it.skip_current_dir();
                    continue;
                }
            }
            if entry.depth() > 0
                && opts.one_filesystem
                && job_dev.is_some()
                && device(abs) != job_dev
                && !opts.disk_mounts.iter().any(|m| m == rel_here)
            {
                st.other_filesystem += 1;
                it.skip_current_dir();
                continue;
            }
            if entry.depth() + depth0 > opts.max_depth {
                st.too_deep += 1;
            }
            st.dirs += 1;
            if let Descend::Skip = visit_dir(ctx, abs, rel_here, home_user, found, st) {
                st.read_whole += 1;
                it.skip_current_dir();
            }
        } else if ft.is_symlink() {
            st.symlinks += 1;
        } else if ft.is_file() {
            st.files += 1;
            visit_file(ctx, abs, rel_here, home_user, found, st);
        }
    }
}

fn visit_dir(
    ctx: &EndpointCtx,
    abs: &Path,
    rel: &Path,
    home_user: Option<&str>,
    found: &(dyn Fn(Option<&str>, Artifact) + Sync),
    st: &mut WalkStats,
) -> Descend {
    let user = user_of(rel, home_user);
    let mut sink = |a: Artifact| found(user, a);
    let (descend, errors) = detect::on_dir(ctx, rel, abs, &mut sink);
    for e in errors {
        st.detect_error(e);
    }
    descend
}

fn visit_file(
    ctx: &EndpointCtx,
    abs: &Path,
    rel: &Path,
    home_user: Option<&str>,
    found: &(dyn Fn(Option<&str>, Artifact) + Sync),
    st: &mut WalkStats,
) {
    let user = user_of(rel, home_user);
    let mut sink = |a: Artifact| found(user, a);
    let size = || std::fs::symlink_metadata(abs).map(|m| m.len()).unwrap_or(0);
    for e in detect::on_file(ctx, rel, abs, &size, &mut sink) {
        st.detect_error(e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_come_from_home_folders() {
        let u = |p: &str| user_of(Path::new(p), None).map(str::to_string);
        assert_eq!(u("home/alice/.vscode/x"), Some("alice".into()));
        assert_eq!(u("Users/Bob/AppData/Local/x"), Some("Bob".into()));
        assert_eq!(u("users/carol/Library"), Some("carol".into()));
        assert_eq!(u("root/.claude"), Some("root".into()));
        assert_eq!(u("Users/Public/Desktop/x.lnk"), None);
        assert_eq!(u("opt/ollama/bin/ollama"), None);
        assert_eq!(
            user_of(Path::new(".claude/settings.json"), Some("dave")),
            Some("dave")
        );
    }

    fn files_seen(root: &Path, opts: &WalkOptions) -> WalkStats {
        let ctx = EndpointCtx {
            endpoint: "t".into(),
            root: root.to_path_buf(),
        };
        walk(&ctx, opts, &|_, _| {})
    }

    #[cfg(unix)]
    #[test]
    fn links_are_counted_not_followed_and_skips_and_depth_hold() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        for p in [
            "home/alice/a/b/c/d/e/deep.txt",
            "home/alice/x.txt",
            "proc/1/status",
            "srv/.git/objects/ab",
            "srv/data/y.txt",
        ] {
            let p = r.join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, b"x").unwrap();
        }
        // A loop back to the root and a link out of it: neither is followed.
        std::os::unix::fs::symlink(r, r.join("home/alice/loop")).unwrap();
        std::os::unix::fs::symlink("/etc", r.join("srv/etc-link")).unwrap();
        let st = files_seen(r, &WalkOptions::default());
        assert_eq!(st.symlinks, 2);
        // proc/ is on the default skip list and .git is never entered.
        assert_eq!(st.files, 3);
        assert_eq!(st.skip_listed, 2);
        assert_eq!(st.unreadable, 0);
        let shallow = WalkOptions {
            max_depth: 4,
            ..WalkOptions::default()
        };
        let st = files_seen(r, &shallow);
        assert_eq!(st.files, 2, "deep.txt is below the depth limit");
        let mut extra = WalkOptions::default();
        extra.skip.push(PathBuf::from("srv/data"));
        assert_eq!(files_seen(r, &extra).files, 2);
        // A user's home on the skip list is passed over too.
        let mut no_alice = WalkOptions::default();
        no_alice.skip.push(PathBuf::from("home/alice"));
        let st = files_seen(r, &no_alice);
        assert_eq!((st.files, st.skip_listed), (1, 3));
        // Only the folder past the limit is too deep.
        let st = files_seen(r, &shallow);
        assert_eq!(st.too_deep, 1);
        // A root given as a link to the tree walks the tree.
        let link = dir.path().with_extension("link");
        std::os::unix::fs::symlink(r, &link).unwrap();
        let st = files_seen(&link, &WalkOptions::default());
        let _ = std::fs::remove_file(&link);
        assert_eq!((st.files, st.other_filesystem), (3, 0));
    }

    #[test]
    fn a_collected_home_folder_is_its_owners() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("jdoe");
        std::fs::create_dir_all(home.join(".config")).unwrap();
        assert!(is_home_folder(&home));
        assert!(!is_home_folder(dir.path()));
    }

    #[test]
    fn local_disks_come_from_the_mount_table() {
        let table = "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n\
            25 22 8:2 / /home rw,relatime shared:2 - xfs /dev/sda2 rw\n\
            26 22 0:5 / /proc rw - proc proc rw\n\
            27 22 8:3 / /srv/my\\040data rw - ext4 /dev/sda3 rw\n\
            28 22 0:40 / /mnt/share rw - nfs4 srv:/x rw\n\
            29 22 7:1 / /snap/core/1 ro - squashfs /dev/loop1 ro\n";
        let got = disk_mounts_in(table, &["ext4", "xfs"]);
        assert_eq!(got, [PathBuf::from("home"), PathBuf::from("srv/my data")]);
    }
}
