//! Local AI: model runtimes (Ollama, LM Studio, llama.cpp, GPT4All, Jan, vLLM) and models on
//! disk: Ollama manifests, Hugging Face cache repos, LM Studio models, and GGUF,
//! safetensors, ONNX and PyTorch files recognised by their first bytes. Model files are
//! never read whole: at most 64 bytes of head, 64 KiB of a safetensors header, or the
//! end and 64 KiB of a zip's central directory.

use super::userpath::{
    ends_with_ci, eq, err, home_rest, lossy, read_at, read_capped, short_components, slash_path,
    starts_with_ci, tail,
};
use crate::endpoint::artifact::{
    Artifact, ArtifactKind, ArtifactSink, Descend, DetectError, EndpointCtx, Selector,
};
use serde::Deserialize;
use std::fs::File;
use std::io;
use std::path::Path;

/// Smaller files are not looked at as models (tokenizers, configs, test fixtures).
const MIN_MODEL_BYTES: u64 = 1 << 20;
/// An Ollama manifest is about 1 KB.
const MAX_OLLAMA_MANIFEST: u64 = 1 << 20;
/// The safetensors format refuses headers above 100 MB.
const MAX_SAFETENSORS_HEADER: u64 = 100_000_000;
/// Most bytes read of a safetensors header or of a zip central directory.
const PROBE: usize = 64 << 10;
/// Files counted in one Hugging Face repo folder, so a hostile tree cannot stall the walk.
const MAX_HF_ENTRIES: usize = 100_000;

/// llama.cpp's own tool names (`main` and other short names are too generic).
const LLAMA_BINS: &[&str] = &[
    "llama-server",
    "llama-cli",
    "llama-run",
    "llama-quantize",
    "llama-bench",
    "llama-gguf-split",
    "llama-mtmd-cli",
    "llama-llava-cli",
    "llama-imatrix",
    "llama-perplexity",
    "llama-embedding",
    "llama-simple",
    "llama-tokenize",
    "llama-export-lora",
    "llama-batched",
    "llama-speculative",
    "llama-infill",
    "llama-tts",
];

pub fn on_file(
    _ctx: &EndpointCtx,
    rel: &Path,
    abs: &Path,
    size: &dyn Fn() -> u64,
    sink: &mut ArtifactSink<'_>,
) -> Result<(), DetectError> {
    let t: [&[u8]; 6] = tail(rel);
    // Names first: the size costs a system call and is asked for only once a name matched.
    if let Some(ext) = model_ext(t[0]) {
        let size = size();
        if size < MIN_MODEL_BYTES {
            return Ok(());
        }
        return model_file(rel, abs, size, ext, &t, sink);
    }
    if let Some(bin) = runtime_binary(t[0]) {
        return binary(rel, abs, size(), bin, &t, sink);
    }
    if eq(t[4], "manifests") {
        return ollama_manifest(rel, abs, size(), &t, sink);
    }
    Ok(())
}

pub fn on_dir(
    _ctx: &EndpointCtx,
    rel: &Path,
    abs: &Path,
    sink: &mut ArtifactSink<'_>,
) -> Result<Descend, DetectError> {
    let [name]: [&[u8]; 1] = tail(rel);
    if name.len() > 8 && name.starts_with(b"models--") {
        return hf_repo(rel, abs, name, sink);
    }
    if name == b"blobs" && abs.parent().is_some_and(|p| is_dir(&p.join("manifests"))) {
        // Ollama's content-addressed store: the manifests name and size every blob.
        return Ok(Descend::Skip);
    }
    if let Some((tool, config)) = runtime_dir(rel, abs, name) {
        sink(Artifact {
            kind: ArtifactKind::LocalRuntime,
            selector: Selector::ConfigPath(config),
            name: Some(tool.to_string()),
            version: None,
            path: rel.to_path_buf(),
            line: None,
            size: None,
            detail: None,
        });
    }
    Ok(Descend::Yes)
}

/// The selector of a model kept in a tool's store: its path below the home folder (or, outside
/// homes, from the tool's own folder, e.g. `/usr/share/ollama/.ollama/…`), so it matches the
/// tool's `config_path` indicator; `None` where neither applies.
fn store_selector(rel: &Path, anchors: &[&str]) -> Selector {
    if let Some(rest) = home_rest(rel) {
        return Selector::ConfigPath(slash_path(rest));
    }
    let mut it = rel.components();
    loop {
        let here = it.as_path();
        match it.next() {
            Some(c)
                if anchors
                    .iter()
                    .any(|a| eq(c.as_os_str().as_encoded_bytes(), a)) =>
            {
                return Selector::ConfigPath(slash_path(here));
            }
            Some(_) => {}
            None => return Selector::None,
        }
    }
}

fn is_dir(p: &Path) -> bool {
    p.symlink_metadata().is_ok_and(|m| m.is_dir())
}

fn exists(p: &Path) -> bool {
    p.symlink_metadata().is_ok()
}

// ---------------------------------------------------------------- runtimes

/// A runtime's data folder: (tool, home-relative config path).
fn runtime_dir(rel: &Path, abs: &Path, name: &[u8]) -> Option<(&'static str, String)> {
    if !(eq(name, ".ollama")
        || eq(name, ".lmstudio")
        || eq(name, "lm-studio")
        || eq(name, "gpt4all")
        || eq(name, "jan")
        || eq(name, "data")
        || eq(name, "jan.ai.app")
        || eq(name, "vllm"))
    {
        return None;
    }
    let has_any = |names: &[&str]| names.iter().any(|n| exists(&abs.join(n)));
    if eq(name, ".ollama") {
        // Anywhere (the Linux service keeps it in /usr/share/ollama), but only with what
        // Ollama writes there: an empty `.ollama` folder is no evidence.
        return has_any(&["models", "id_ed25519", "id_ed25519.pub", "history"])
            .then(|| ("Ollama", ".ollama".to_string()));
    }
    let rest = home_rest(rel)?;
    let (c, n) = short_components::<5>(rest)?;
    let c = &c[..n];
    let tool = if is(c, &[".lmstudio"]) || is(c, &[".cache", "lm-studio"]) {
        "LM Studio"
    } else if is(c, &[".local", "share", "nomic.ai", "GPT4All"])
        || is(
            c,
            &["Library", "Application Support", "nomic.ai", "GPT4All"],
        )
        || is(c, &["AppData", "Local", "nomic.ai", "GPT4All"])
    {
        "GPT4All"
    } else if is(c, &["jan"]) {
        // Jan before 0.5 kept everything in ~/jan; a folder of that name needs Jan's layout.
        if !has_any(&["threads", "assistants"]) {
            return None;
        }
        "Jan"
    } else if is(c, &["Library", "Application Support", "Jan", "data"])
        || is(c, &["AppData", "Roaming", "Jan", "data"])
        || is(c, &[".config", "Jan", "data"])
        || is(c, &[".local", "share", "Jan", "data"])
    {
        // Jan 0.5 and later: the data folder in the platform's application data.
        "Jan"
    } else if is(c, &["Library", "Application Support", "jan.ai.app"])
        || is(c, &["AppData", "Roaming", "jan.ai.app"])
        || is(c, &[".local", "share", "jan.ai.app"])
    {
        "Jan"
    } else if is(c, &[".cache", "vllm"]) {
        "vLLM"
    } else {
        return None;
    };
    Some((tool, slash_path(rest)))
}

fn is(c: &[&[u8]], pat: &[&str]) -> bool {
    c.len() == pat.len() && c.iter().zip(pat).all(|(a, b)| eq(a, b))
}

#[derive(Copy, Clone)]
enum Bin {
    Ollama,
    Llama,
    /// vLLM's console script (a Python entry point, so a script, not a binary).
    Vllm,
}

fn runtime_binary(name: &[u8]) -> Option<Bin> {
    let stem = strip_exe(name);
    if eq(stem, "ollama") {
        return Some(Bin::Ollama);
    }
    if starts_with_ci(stem, "llama-") && LLAMA_BINS.iter().any(|b| eq(stem, b)) {
        return Some(Bin::Llama);
    }
    if name == b"vllm" {
        return Some(Bin::Vllm);
    }
    None
}

fn strip_exe(name: &[u8]) -> &[u8] {
    if ends_with_ci(name, ".exe") {
        &name[..name.len() - 4]
    } else {
        name
    }
}

fn binary(
    rel: &Path,
    abs: &Path,
    size: u64,
    bin: Bin,
    t: &[&[u8]; 6],
    sink: &mut ArtifactSink<'_>,
) -> Result<(), DetectError> {
    if size < 4 {
        return Ok(());
    }
    let mut head = [0u8; 128];
    let n = File::open(abs)
        .and_then(|mut f| read_at(&mut f, 0, &mut head))
        .map_err(|e| err(rel, format!("executable: {e}")))?;
    let head = &head[..n];
    let ok = match bin {
        // A script or a document that happens to carry the name is not the runtime.
        Bin::Ollama | Bin::Llama => is_executable(head),
        // pip's console script: `#!<python>` on the first line, in a `bin` folder.
        Bin::Vllm => {
            let first = head.split(|&b| b == b'\n').next().unwrap_or(b"");
            eq(t[1], "bin")
                && first.starts_with(b"#!")
                && memchr::memmem::find(first, b"python").is_some()
        }
    };
    if !ok {
        return Ok(());
    }
    // Homebrew: Cellar/<formula>/<version>/bin/<name>.
    let version = (eq(t[1], "bin") && eq(t[4], "Cellar") && !t[2].is_empty()).then(|| lossy(t[2]));
    sink(Artifact {
        kind: ArtifactKind::LocalRuntime,
        selector: Selector::Executable(lossy(strip_exe(t[0]))),
        name: Some(
            match bin {
                Bin::Ollama => "Ollama",
                Bin::Llama => "llama.cpp",
                Bin::Vllm => "vLLM",
            }
            .to_string(),
        ),
        version,
        path: rel.to_path_buf(),
        line: None,
        size: None,
        detail: None,
    });
    Ok(())
}

/// ELF, PE (`MZ`) or Mach-O (thin either byte order, or universal).
fn is_executable(head: &[u8]) -> bool {
    head.starts_with(b"\x7fELF")
        || head.starts_with(b"MZ")
        || matches!(
            head,
            [0xfe, 0xed, 0xfa, 0xce | 0xcf, ..]
                | [0xce | 0xcf, 0xfa, 0xed, 0xfe, ..]
                | [0xca, 0xfe, 0xba, 0xbe, ..]
        )
}

// ---------------------------------------------------------------- Ollama manifests

#[derive(Deserialize)]
struct OllamaManifest {
    #[serde(default)]
    config: Option<OllamaLayer>,
    #[serde(default)]
    layers: Vec<OllamaLayer>,
}

#[derive(Deserialize)]
struct OllamaLayer {
    #[serde(rename = "mediaType", default)]
    media_type: String,
    #[serde(default)]
    size: u64,
}

/// `<models>/manifests/<host>/<namespace>/<model>/<tag>`: `t` is `[tag, model, namespace,
/// host, "manifests", <models>]`.
fn ollama_manifest(
    rel: &Path,
    abs: &Path,
    size: u64,
    t: &[&[u8]; 6],
    sink: &mut ArtifactSink<'_>,
) -> Result<(), DetectError> {
    // Under the default root (`.ollama/models`) a file that is not a manifest is worth a
    // DetectError; under any other folder named `manifests` it is just not Ollama's.
    let ours = eq(t[5], "models");
    if size > MAX_OLLAMA_MANIFEST {
        return if ours {
            Err(err(rel, "ollama manifest: larger than 1 MiB".to_string()))
        } else {
            Ok(())
        };
    }
    let buf = read_capped(rel, abs, MAX_OLLAMA_MANIFEST, "ollama manifest")?;
    let m: OllamaManifest = match serde_json::from_slice(&buf) {
        Ok(m) => m,
        Err(_) if ours => {
            return Err(err(rel, "ollama manifest: not a JSON manifest".to_string()));
        }
        Err(_) => return Ok(()),
    };
    if !m
        .layers
        .iter()
        .any(|l| l.media_type.starts_with("application/vnd.ollama.image."))
    {
        return Ok(());
    }
    let total = m
        .layers
        .iter()
        .chain(m.config.as_ref())
        .fold(0u64, |acc, l| acc.saturating_add(l.size));
    let (tag, model, namespace, host) = (lossy(t[0]), lossy(t[1]), lossy(t[2]), lossy(t[3]));
    // As `ollama list` shows it: the default host and the `library` namespace are implied.
    let name = if host.eq_ignore_ascii_case("registry.ollama.ai") {
        if namespace.eq_ignore_ascii_case("library") {
            format!("{model}:{tag}")
        } else {
            format!("{namespace}/{model}:{tag}")
        }
    } else {
        format!("{host}/{namespace}/{model}:{tag}")
    };
    sink(Artifact {
        kind: ArtifactKind::Model,
        selector: store_selector(rel, &[".ollama"]),
        name: Some(name),
        version: None,
        path: rel.to_path_buf(),
        line: None,
        size: Some(total),
        detail: Some("ollama".to_string()),
    });
    Ok(())
}

// ---------------------------------------------------------------- Hugging Face cache

/// `…/hub/models--<org>--<name>/{blobs,refs,snapshots}`: one artefact, then skipped.
fn hf_repo(
    rel: &Path,
    abs: &Path,
    name: &[u8],
    sink: &mut ArtifactSink<'_>,
) -> Result<Descend, DetectError> {
    if !is_dir(&abs.join("snapshots")) && !is_dir(&abs.join("blobs")) {
        return Ok(Descend::Yes);
    }
    let id = lossy(&name[b"models--".len()..]).replace("--", "/");
    // Snapshot entries are symlinks into blobs/ (not counted); where symlinks are not
    // available (Windows) they are real files and blobs/ lacks them.
    let size = dir_bytes(&abs.join("blobs")).saturating_add(dir_bytes(&abs.join("snapshots")));
    let version = std::fs::read(abs.join("refs").join("main"))
        .ok()
        .filter(|b| b.len() <= 128)
        .and_then(|b| {
            let s = String::from_utf8(b).ok()?;
            let s = s.trim();
            (s.len() == 40 && s.bytes().all(|c| c.is_ascii_hexdigit())).then(|| s.to_string())
        });
    sink(Artifact {
        kind: ArtifactKind::Model,
        selector: store_selector(rel, &[".cache"]),
        name: Some(id),
        version,
        path: rel.to_path_buf(),
        line: None,
        size: Some(size),
        detail: Some("huggingface".to_string()),
    });
    Ok(Descend::Skip)
}

/// Bytes of the regular files under `dir` (symlinks not followed, not counted).
fn dir_bytes(dir: &Path) -> u64 {
    walkdir::WalkDir::new(dir)
        .follow_links(false)
        .max_depth(16)
        .into_iter()
        .take(MAX_HF_ENTRIES)
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| e.metadata().ok())
        .fold(0u64, |acc, m| acc.saturating_add(m.len()))
}

// ---------------------------------------------------------------- model files

#[derive(Copy, Clone, PartialEq, Eq)]
enum Ext {
    Gguf,
    Safetensors,
    Onnx,
    /// `.pt`, `.pth`, `.bin`, `.ckpt`: PyTorch zip or legacy pickle.
    Torch,
}

fn model_ext(name: &[u8]) -> Option<Ext> {
    if ends_with_ci(name, ".gguf") {
        Some(Ext::Gguf)
    } else if ends_with_ci(name, ".safetensors") {
        Some(Ext::Safetensors)
    } else if ends_with_ci(name, ".onnx") {
        Some(Ext::Onnx)
    } else if [".pt", ".pth", ".bin", ".ckpt"]
        .iter()
        .any(|e| ends_with_ci(name, e))
    {
        Some(Ext::Torch)
    } else {
        None
    }
}

fn model_file(
    rel: &Path,
    abs: &Path,
    size: u64,
    ext: Ext,
    t: &[&[u8]; 6],
    sink: &mut ArtifactSink<'_>,
) -> Result<(), DetectError> {
    let io_err = |e: io::Error| err(rel, format!("model file: {e}"));
    let mut f = File::open(abs).map_err(io_err)?;
    let mut head = [0u8; 64];
    let n = read_at(&mut f, 0, &mut head).map_err(io_err)?;
    let Some(format) = sniff(&mut f, &head[..n], size, ext).map_err(io_err)? else {
        return Ok(());
    };
    // LM Studio: <root>/models/<publisher>/<model>/<file>, named as LM Studio lists it.
    let lmstudio = eq(t[3], "models")
        && (eq(t[4], ".lmstudio") || (eq(t[4], "lm-studio") && eq(t[5], ".cache")));
    let (name, selector) = if lmstudio {
        (
            format!("{}/{}/{}", lossy(t[2]), lossy(t[1]), lossy(t[0])),
            store_selector(rel, &[".lmstudio", ".cache"]),
        )
    } else {
        (lossy(t[0]), Selector::None)
    };
    sink(Artifact {
        kind: ArtifactKind::Model,
        selector,
        name: Some(name),
        version: None,
        path: rel.to_path_buf(),
        line: None,
        size: Some(size),
        detail: Some(format),
    });
    Ok(())
}

/// The format by content; the extension only decides which of the weaker checks apply.
fn sniff(f: &mut File, head: &[u8], size: u64, ext: Ext) -> io::Result<Option<String>> {
    if let Some(v) = gguf_version(head) {
        return Ok(Some(format!("gguf v{v}")));
    }
    if safetensors(f, head, size)? {
        return Ok(Some("safetensors".to_string()));
    }
    Ok(match ext {
        Ext::Onnx => onnx_ir_version(head).map(|v| format!("onnx ir{v}")),
        Ext::Torch if head.starts_with(b"PK\x03\x04") => {
            zip_has_data_pkl(f, size)?.then(|| "pytorch zip".to_string())
        }
        Ext::Torch => torch_pickle(head).then(|| "pytorch pickle".to_string()),
        Ext::Gguf | Ext::Safetensors => None,
    })
}

/// `GGUF` then the version as u32, little-endian (big-endian files exist too).
fn gguf_version(head: &[u8]) -> Option<u32> {
    let rest = head.strip_prefix(b"GGUF")?;
    let v = u32::from_le_bytes(rest.get(..4)?.try_into().ok()?);
    let ok = |v: u32| (1..=15).contains(&v);
    if ok(v) {
        Some(v)
    } else {
        Some(v.swap_bytes()).filter(|&v| ok(v))
    }
}

/// u64 LE header length N, then N bytes of JSON object. Reads at most 64 KiB of it: a
/// complete header must parse, a longer one must parse as far as it was read.
fn safetensors(f: &mut File, head: &[u8], size: u64) -> io::Result<bool> {
    let Some(len) = head.get(..8) else {
        return Ok(false);
    };
    let n = u64::from_le_bytes(len.try_into().unwrap_or([0; 8]));
    if !(2..=MAX_SAFETENSORS_HEADER).contains(&n) || n.saturating_add(8) > size {
        return Ok(false);
    }
    if head.get(8) != Some(&b'{') || !matches!(head.get(9), Some(b'"' | b'}')) {
        return Ok(false);
    }
    let mut buf = vec![0u8; n.min(PROBE as u64) as usize];
    let got = read_at(f, 8, &mut buf)?;
    buf.truncate(got);
    Ok(
        match serde_json::from_slice::<serde::de::IgnoredAny>(&buf) {
            Ok(_) => true,
            Err(e) => e.is_eof() && (got as u64) < n,
        },
    )
}

/// ONNX ModelProto: field 1 `ir_version` (tag 0x08, a small varint), then another known
/// top-level field; `producer_name` (field 2) must be printable.
fn onnx_ir_version(head: &[u8]) -> Option<u8> {
    let [0x08, v @ 1..=15, tag, rest @ ..] = head else {
        return None;
    };
    match tag {
        0x12 => {
            let (&len, name) = rest.split_first()?;
            if len == 0 || len >= 0x80 {
                return None;
            }
            let name = &name[..name.len().min(len as usize)];
            name.iter()
                .all(|b| b.is_ascii_graphic() || *b == b' ')
                .then_some(*v)
        }
        // producer_version, domain, model_version, doc_string, graph, opset_import,
        // metadata_props.
        0x1a | 0x22 | 0x28 | 0x32 | 0x3a | 0x42 | 0x72 => Some(*v),
        _ => None,
    }
}

/// A pickle (protocol 2 to 5) whose first opcode is one a serialised object starts with;
/// protocols 4 and 5 always begin with a FRAME.
fn torch_pickle(head: &[u8]) -> bool {
    match head {
        [0x80, p @ 4..=5, op, ..] => *p >= 4 && *op == 0x95,
        [0x80, 2..=3, op, ..] => matches!(
            op,
            b'}' | b']'
                | b'('
                | b')'
                | b'c'
                | b'X'
                | b'q'
                | b'K'
                | b'M'
                | b'J'
                | b'U'
                | 0x8a
                | 0x8c
        ),
        _ => false,
    }
}

fn le16(b: &[u8], at: usize) -> Option<u64> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?) as u64)
}
fn le32(b: &[u8], at: usize) -> Option<u64> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?) as u64)
}
fn le64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Whether a zip's central directory names an entry ending in `data.pkl` (what
/// `torch.save` writes: `<archive>/data.pkl`). Finds the end-of-central-directory record
/// (zip64 too) in the last 64 KiB and reads at most 64 KiB of the directory.
fn zip_has_data_pkl(f: &mut File, size: u64) -> io::Result<bool> {
    const EOCD: &[u8] = b"PK\x05\x06";
    let tail_len = size.min(22 + 0xffff);
    let mut tail = vec![0u8; tail_len as usize];
    let got = read_at(f, size - tail_len, &mut tail)?;
    tail.truncate(got);
    let Some(pos) = tail
        .windows(4)
        .rposition(|w| w == EOCD)
        .filter(|&p| p + 22 <= tail.len())
    else {
        return Ok(false);
    };
    let eocd = &tail[pos..];
    let (Some(mut cd_size), Some(mut cd_off), Some(entries)) =
        (le32(eocd, 12), le32(eocd, 16), le16(eocd, 10))
    else {
        return Ok(false);
    };
    if cd_size == 0xffff_ffff || cd_off == 0xffff_ffff || entries == 0xffff {
        // Zip64: a locator just before the record points at the zip64 end record.
        let Some(loc) = pos.checked_sub(20).map(|p| &tail[p..pos]) else {
            return Ok(false);
        };
        if !loc.starts_with(b"PK\x06\x07") {
            return Ok(false);
        }
        let Some(rec_off) = le64(loc, 8).filter(|&o| o < size) else {
            return Ok(false);
        };
        let mut rec = [0u8; 56];
        if read_at(f, rec_off, &mut rec)? < 56 || !rec.starts_with(b"PK\x06\x06") {
            return Ok(false);
        }
        let (Some(s), Some(o)) = (le64(&rec, 40), le64(&rec, 48)) else {
            return Ok(false);
        };
        (cd_size, cd_off) = (s, o);
    }
    if cd_off >= size {
        return Ok(false);
    }
    let mut cd = vec![0u8; cd_size.min(size - cd_off).min(PROBE as u64) as usize];
    let got = read_at(f, cd_off, &mut cd)?;
    cd.truncate(got);
    let mut p = 0usize;
    while cd.get(p..p + 4) == Some(b"PK\x01\x02") {
        let (Some(n), Some(m), Some(k)) = (le16(&cd, p + 28), le16(&cd, p + 30), le16(&cd, p + 32))
        else {
            break;
        };
        let (n, m, k) = (n as usize, m as usize, k as usize);
        let Some(name) = cd.get(p + 46..p + 46 + n) else {
            break;
        };
        if name.ends_with(b"data.pkl") {
            return Ok(true);
        }
        p += 46 + n + m + k;
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::path::PathBuf;

    struct Tree {
        dir: tempfile::TempDir,
    }

    impl Tree {
        fn new() -> Tree {
            Tree {
                dir: tempfile::tempdir().unwrap(),
            }
        }
        fn root(&self) -> &Path {
            self.dir.path()
        }
        fn file(&self, rel: &str, data: &[u8]) -> PathBuf {
            let p = self.root().join(rel);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(&p, data).unwrap();
            p
        }
        fn mkdir(&self, rel: &str) {
            fs::create_dir_all(self.root().join(rel)).unwrap();
        }
        /// Runs both hooks over the whole tree the way the walker does (folders before
        /// their contents, skipped folders not entered).
        fn scan(&self) -> (Vec<Artifact>, Vec<DetectError>) {
            let ctx = EndpointCtx {
                endpoint: "test".into(),
                root: self.root().to_path_buf(),
            };
            let mut arts = Vec::new();
            let mut errs = Vec::new();
            let mut it = walkdir::WalkDir::new(self.root())
                .min_depth(1)
                .sort_by_file_name()
                .into_iter();
            while let Some(Ok(e)) = it.next() {
                let rel = e.path().strip_prefix(self.root()).unwrap().to_path_buf();
                // Artefacts and errors name files relative to the walk root, as the walker does.
                let mut sink = |a: Artifact| {
                    assert!(a.path.is_relative(), "{:?}", a.path);
                    arts.push(a)
                };
                if e.file_type().is_dir() {
                    match on_dir(&ctx, &rel, e.path(), &mut sink) {
                        Ok(Descend::Skip) => it.skip_current_dir(),
                        Ok(Descend::Yes) => {}
                        Err(x) => errs.push(x),
                    }
                } else if e.file_type().is_file() {
                    let size = e.metadata().unwrap().len();
                    if let Err(x) = on_file(&ctx, &rel, e.path(), &|| size, &mut sink) {
                        errs.push(x);
                    }
                }
            }
            (arts, errs)
        }
    }

    fn model(name: &str, path: &str, size: u64, detail: &str) -> Artifact {
        Artifact {
            kind: ArtifactKind::Model,
            selector: Selector::None,
            name: Some(name.into()),
            version: None,
            path: path.into(),
            line: None,
            size: Some(size),
            detail: Some(detail.into()),
        }
    }

    fn runtime(selector: Selector, name: &str, path: &str, version: Option<&str>) -> Artifact {
        Artifact {
            kind: ArtifactKind::LocalRuntime,
            selector,
            name: Some(name.into()),
            version: version.map(Into::into),
            path: path.into(),
            line: None,
            size: None,
            detail: None,
        }
    }

    /// `data` padded with zeros to `len` bytes.
    fn padded(data: &[u8], len: usize) -> Vec<u8> {
        let mut v = data.to_vec();
        v.resize(len.max(data.len()), 0);
        v
    }

    const MIB: usize = 1 << 20;

    fn gguf_header(version: u32) -> Vec<u8> {
        // GGUF: magic, version, tensor count (u64), metadata kv count (u64), then kvs.
        let mut h = b"GGUF".to_vec();
        h.extend_from_slice(&version.to_le_bytes());
        h.extend_from_slice(&291u64.to_le_bytes());
        h.extend_from_slice(&24u64.to_le_bytes());
        h.extend_from_slice(&20u64.to_le_bytes());
        h.extend_from_slice(b"general.architecture");
        h
    }

    fn safetensors_file(header: &str, len: usize) -> Vec<u8> {
        let mut v = (header.len() as u64).to_le_bytes().to_vec();
        v.extend_from_slice(header.as_bytes());
        padded(&v, len)
    }

    /// A stored (uncompressed) zip with the given entries, as `torch.save` lays it out.
    fn zip(entries: &[(&str, &[u8])], zip64: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let mut cd = Vec::new();
        for (name, data) in entries {
            let off = out.len() as u32;
            let crc = 0u32; // not checked by the detector
            out.extend_from_slice(b"PK\x03\x04");
            out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            out.extend_from_slice(&crc.to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(data);
            cd.extend_from_slice(b"PK\x01\x02");
            cd.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            cd.extend_from_slice(&crc.to_le_bytes());
            cd.extend_from_slice(&(data.len() as u32).to_le_bytes());
            cd.extend_from_slice(&(data.len() as u32).to_le_bytes());
            cd.extend_from_slice(&(name.len() as u16).to_le_bytes());
            cd.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            cd.extend_from_slice(&off.to_le_bytes());
            cd.extend_from_slice(name.as_bytes());
        }
        let cd_off = out.len() as u64;
        let cd_len = cd.len() as u64;
        out.extend_from_slice(&cd);
        if zip64 {
            let rec_off = out.len() as u64;
            out.extend_from_slice(b"PK\x06\x06");
            out.extend_from_slice(&44u64.to_le_bytes());
            out.extend_from_slice(&[45, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            out.extend_from_slice(&(entries.len() as u64).to_le_bytes());
            out.extend_from_slice(&(entries.len() as u64).to_le_bytes());
            out.extend_from_slice(&cd_len.to_le_bytes());
            out.extend_from_slice(&cd_off.to_le_bytes());
            out.extend_from_slice(b"PK\x06\x07");
            out.extend_from_slice(&0u32.to_le_bytes());
            out.extend_from_slice(&rec_off.to_le_bytes());
            out.extend_from_slice(&1u32.to_le_bytes());
        }
        out.extend_from_slice(b"PK\x05\x06");
        out.extend_from_slice(&[0, 0, 0, 0]);
        if zip64 {
            out.extend_from_slice(&[0xff; 16]);
        } else {
            out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
            out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
            out.extend_from_slice(&(cd_len as u32).to_le_bytes());
            out.extend_from_slice(&(cd_off as u32).to_le_bytes());
        }
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    fn torch_zip(zip64: bool) -> Vec<u8> {
        let big = vec![7u8; MIB + 10];
        zip(
            &[
                ("archive/data.pkl", b"\x80\x02}q\x00."),
                ("archive/.format_version", b"1"),
                ("archive/byteorder", b"little"),
                ("archive/data/0", &big),
                ("archive/version", b"3\n"),
            ],
            zip64,
        )
    }

    // Shape of a real manifest written by `ollama pull llama3.2` (digests shortened to
    // their real length with a fixed pattern; sizes as Ollama's library reports them).
    const OLLAMA_MANIFEST: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:34bb5ab01051a11372a91f95f3fbbc51173eed8e7f13ec395b9ae9b8bd0e242b","size":561},"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:dde5aa3fc5ffc17176b5e8bdc82f587b24b2678c6c66101bf7da77af9f7ccdff","size":2019377376},{"mediaType":"application/vnd.ollama.image.template","digest":"sha256:966de95ca8a62200913e3f8bfbf84c8494536f1b94b49166851e76644e966396","size":1429},{"mediaType":"application/vnd.ollama.image.license","digest":"sha256:fcc5a6bec9daf9b561a68827b67ab6088e1dba9d1fa2a50d7bbcc8384e0a265d","size":7711},{"mediaType":"application/vnd.ollama.image.license","digest":"sha256:a70ff7e570d97baaf4e62ac6e6ad9975e04caa6d900d3742d37698494479e0cd","size":6016},{"mediaType":"application/vnd.ollama.image.params","digest":"sha256:56bb8bd477a519ffa694fc449c2413c6f0e1d3b1c88fa7e3c9d88d3ae49d4dcb","size":96}]}"#;

    fn stored(name: &str, path: &str, size: u64, detail: &str, config: &str) -> Artifact {
        Artifact {
            selector: Selector::ConfigPath(config.into()),
            ..model(name, path, size, detail)
        }
    }

    #[test]
    fn ollama_store() {
        let t = Tree::new();
        let m = "home/alice/.ollama/models";
        t.file(
            &format!("{m}/manifests/registry.ollama.ai/library/llama3.2/latest"),
            OLLAMA_MANIFEST.as_bytes(),
        );
        t.file(
            &format!("{m}/manifests/registry.ollama.ai/jmorgan/tinyllama/1b"),
            OLLAMA_MANIFEST.as_bytes(),
        );
        t.file(
            &format!("{m}/manifests/hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF/Q4_K_M"),
            OLLAMA_MANIFEST.as_bytes(),
        );
        // The blob is a real GGUF file: reported through its manifest, not again by magic.
        t.file(
            &format!(
                "{m}/blobs/sha256-dde5aa3fc5ffc17176b5e8bdc82f587b24b2678c6c66101bf7da77af9f7ccdff"
            ),
            &padded(&gguf_header(3), MIB + 1),
        );
        t.file(
            "home/alice/.ollama/id_ed25519",
            b"-----BEGIN OPENSSH PRIVATE KEY-----\n",
        );
        let (arts, errs) = t.scan();
        assert!(errs.is_empty(), "{errs:?}");
        let size = 561 + 2019377376 + 1429 + 7711 + 6016 + 96;
        assert_eq!(
            arts,
            vec![
                runtime(
                    Selector::ConfigPath(".ollama".into()),
                    "Ollama",
                    "home/alice/.ollama",
                    None
                ),
                stored(
                    "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M",
                    &format!("{m}/manifests/hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF/Q4_K_M"),
                    size,
                    "ollama",
                    ".ollama/models/manifests/hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF/Q4_K_M",
                ),
                stored(
                    "jmorgan/tinyllama:1b",
                    &format!("{m}/manifests/registry.ollama.ai/jmorgan/tinyllama/1b"),
                    size,
                    "ollama",
                    ".ollama/models/manifests/registry.ollama.ai/jmorgan/tinyllama/1b",
                ),
                stored(
                    "llama3.2:latest",
                    &format!("{m}/manifests/registry.ollama.ai/library/llama3.2/latest"),
                    size,
                    "ollama",
                    ".ollama/models/manifests/registry.ollama.ai/library/llama3.2/latest",
                ),
            ]
        );
    }

    #[test]
    fn ollama_look_alikes() {
        let t = Tree::new();
        // A `.ollama` folder with nothing Ollama writes, and one with only a stray file.
        t.mkdir("home/bob/.ollama");
        t.file("home/carol/.ollama/notes.txt", b"todo");
        // A `manifests` tree that is not Ollama's (JSON, no Ollama layers; not JSON).
        t.file(
            "srv/app/manifests/a/b/c/d",
            br#"{"layers":[{"mediaType":"text/plain","size":3}]}"#,
        );
        t.file("srv/app/manifests/a/b/c/e", b"not json");
        let (arts, errs) = t.scan();
        assert_eq!(arts, vec![]);
        assert!(errs.is_empty(), "{errs:?}");
        // Under the default root a broken manifest is a DetectError.
        let t = Tree::new();
        t.file(
            ".ollama/models/manifests/registry.ollama.ai/library/x/latest",
            b"{\"layers\": [",
        );
        let (arts, errs) = t.scan();
        assert_eq!(
            arts,
            vec![runtime(
                Selector::ConfigPath(".ollama".into()),
                "Ollama",
                ".ollama",
                None
            )]
        );
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].reason, "ollama manifest: not a JSON manifest");
    }

    #[cfg(unix)]
    #[test]
    fn hugging_face_cache() {
        let t = Tree::new();
        let repo =
            "home/alice/.cache/huggingface/hub/models--sentence-transformers--all-MiniLM-L6-v2";
        let commit = "c9745ed1d9f207416be6d2e6f8de32d1f16199bf";
        t.file(&format!("{repo}/refs/main"), commit.as_bytes());
        let a = t.file(
            &format!(
                "{repo}/blobs/53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
            ),
            &padded(b"x", 1_500_000),
        );
        let b = t.file(
            &format!("{repo}/blobs/72b987fd805cfa2b58c4c8c952b274a11bfd5a00"),
            &[b'{'; 612],
        );
        let snap = t.root().join(format!("{repo}/snapshots/{commit}"));
        fs::create_dir_all(&snap).unwrap();
        std::os::unix::fs::symlink(&a, snap.join("model.safetensors")).unwrap();
        std::os::unix::fs::symlink(&b, snap.join("config.json")).unwrap();
        t.mkdir(&format!("{repo}/.no_exist/{commit}"));
        // A folder that only looks like a cache entry.
        t.mkdir("home/alice/projects/models--not-a-cache");
        let (arts, errs) = t.scan();
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(
            arts,
            vec![Artifact {
                kind: ArtifactKind::Model,
                selector: Selector::ConfigPath(
                    ".cache/huggingface/hub/models--sentence-transformers--all-MiniLM-L6-v2".into()
                ),
                name: Some("sentence-transformers/all-MiniLM-L6-v2".into()),
                version: Some(commit.into()),
                path: repo.into(),
                line: None,
                size: Some(1_500_000 + 612),
                detail: Some("huggingface".into()),
            }]
        );
    }

    #[test]
    fn model_files_by_magic() {
        let t = Tree::new();
        let d = "Users/alice/models";
        t.file(
            &format!("{d}/mistral-7b-instruct-v0.2.Q4_K_M.gguf"),
            &padded(&gguf_header(3), MIB),
        );
        // A real-shaped safetensors header (as `safetensors.torch.save_file` writes it).
        let header = r#"{"__metadata__":{"format":"pt"},"model.embed_tokens.weight":{"dtype":"BF16","shape":[32000,16],"data_offsets":[0,1024000]}}  "#;
        t.file(
            &format!("{d}/model.safetensors"),
            &safetensors_file(header, MIB + 4096),
        );
        t.file(&format!("{d}/pytorch_model.bin"), &torch_zip(false));
        t.file(&format!("{d}/big.ckpt"), &torch_zip(true));
        t.file(
            &format!("{d}/legacy.pth"),
            &padded(b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19.", MIB),
        );
        t.file(
            &format!("{d}/proto4.pt"),
            &padded(b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}", MIB),
        );
        // ONNX exported by torch.onnx: ir_version 8, producer "pytorch" "2.1.0".
        t.file(
            &format!("{d}/resnet50.onnx"),
            &padded(b"\x08\x08\x12\x07pytorch\x1a\x052.1.0:\x90\x01", 2 * MIB),
        );
        let (arts, errs) = t.scan();
        assert!(errs.is_empty(), "{errs:?}");
        let p = |f: &str| format!("{d}/{f}");
        let tz = torch_zip(false).len() as u64;
        let tz64 = torch_zip(true).len() as u64;
        assert_eq!(
            arts,
            vec![
                model("big.ckpt", &p("big.ckpt"), tz64, "pytorch zip"),
                model("legacy.pth", &p("legacy.pth"), MIB as u64, "pytorch pickle"),
                model(
                    "mistral-7b-instruct-v0.2.Q4_K_M.gguf",
                    &p("mistral-7b-instruct-v0.2.Q4_K_M.gguf"),
                    MIB as u64,
                    "gguf v3"
                ),
                model(
                    "model.safetensors",
                    &p("model.safetensors"),
                    (MIB + 4096) as u64,
                    "safetensors"
                ),
                model("proto4.pt", &p("proto4.pt"), MIB as u64, "pytorch pickle"),
                model(
                    "pytorch_model.bin",
                    &p("pytorch_model.bin"),
                    tz,
                    "pytorch zip"
                ),
                model(
                    "resnet50.onnx",
                    &p("resnet50.onnx"),
                    2 * MIB as u64,
                    "onnx ir8"
                ),
            ]
        );
    }

    #[test]
    fn model_look_alikes() {
        let t = Tree::new();
        let d = "home/bob/data";
        // Wrong magic, a small real GGUF, a zip without data.pkl, random bytes, a text file.
        t.file(
            &format!("{d}/fake.gguf"),
            &padded(b"GGML\x03\x00\x00\x00", MIB),
        );
        t.file(&format!("{d}/tiny.gguf"), &gguf_header(3));
        t.file(
            &format!("{d}/notes.bin"),
            &padded(b"Meeting notes, 2024-05-01\n", MIB),
        );
        t.file(
            &format!("{d}/archive.pt"),
            &padded(&zip(&[("readme.txt", b"hi")], false), MIB),
        );
        t.file(
            &format!("{d}/firmware.bin"),
            &(0..MIB).map(|i| (i * 7 + 3) as u8).collect::<Vec<_>>(),
        );
        // Header length larger than the file; header not JSON; JSON but not at byte 8.
        let mut st = (5_000_000u64).to_le_bytes().to_vec();
        st.extend_from_slice(b"{\"a\":1}");
        t.file(&format!("{d}/short.safetensors"), &padded(&st, MIB));
        t.file(
            &format!("{d}/broken.safetensors"),
            &safetensors_file("{\"a\":: }", MIB),
        );
        // An `.onnx` that is not protobuf; a pickle with an opcode no object starts with.
        t.file(&format!("{d}/model.onnx"), &padded(b"<html>", MIB));
        t.file(&format!("{d}/odd.pt"), &padded(b"\x80\x04N.", MIB));
        let (arts, errs) = t.scan();
        assert_eq!(arts, vec![]);
        assert!(errs.is_empty(), "{errs:?}");
    }

    #[test]
    fn lm_studio_and_runtimes() {
        let t = Tree::new();
        let lms = "home/alice/.lmstudio/models/lmstudio-community/Meta-Llama-3-8B-Instruct-GGUF";
        t.file(
            &format!("{lms}/Meta-Llama-3-8B-Instruct-Q4_K_M.gguf"),
            &padded(&gguf_header(3), MIB),
        );
        t.file(
            "home/alice/.local/share/nomic.ai/GPT4All/orca-mini-3b-gguf2-q4_0.gguf",
            &padded(&gguf_header(2), MIB),
        );
        t.file(
            "Users/bob/Library/Application Support/Jan/data/settings.json",
            b"{}",
        );
        t.mkdir("Users/bob/AppData/Roaming/jan.ai.app");
        t.mkdir("home/alice/jan/threads");
        t.mkdir("home/alice/.cache/vllm");
        // Not Jan: a folder named `jan` without Jan's layout.
        t.mkdir("home/carol/jan/photos");
        let elf = padded(b"\x7fELF\x02\x01\x01", 64);
        let macho = padded(&[0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1], 64);
        t.file("usr/local/bin/ollama", &elf);
        t.file(
            "Users/bob/AppData/Local/Programs/Ollama/ollama.exe",
            &padded(b"MZ\x90\x00", 64),
        );
        t.file(
            "opt/homebrew/Cellar/llama.cpp/5600/bin/llama-server",
            &macho,
        );
        t.file("home/alice/src/llama.cpp/build/bin/llama-cli", &elf);
        // Look-alikes: a script named ollama, a generic `main`, an unknown llama-* name.
        t.file(
            "home/alice/bin/ollama",
            b"#!/bin/sh\nexec docker exec ollama ollama \"$@\"\n",
        );
        t.file("home/alice/src/llama.cpp/build/bin/main", &elf);
        t.file("home/alice/.local/bin/llama-index-cli", &elf);
        // vLLM's console script; a `vllm` that is neither a Python script nor in `bin`.
        t.file(
            "home/alice/venvs/serve/bin/vllm",
            b"#!/home/alice/venvs/serve/bin/python3\n# -*- coding: utf-8 -*-\nimport re\nimport sys\nfrom vllm.entrypoints.cli.main import main\n",
        );
        t.file("home/alice/notes/vllm", b"#!/usr/bin/env python3\n");
        t.file("home/alice/.local/bin/vllm", b"vllm notes\n");
        // Jan's old root-level folder name, but no data folder inside Application Support.
        t.mkdir("Users/dan/Library/Application Support/Jan/logs");
        let (mut arts, errs) = t.scan();
        assert!(errs.is_empty(), "{errs:?}");
        arts.sort_by(|a, b| a.path.cmp(&b.path));
        let cp = |s: &str| Selector::ConfigPath(s.into());
        let ex = |s: &str| Selector::Executable(s.into());
        assert_eq!(
            arts,
            vec![
                runtime(
                    ex("ollama"),
                    "Ollama",
                    "Users/bob/AppData/Local/Programs/Ollama/ollama.exe",
                    None
                ),
                runtime(
                    cp("AppData/Roaming/jan.ai.app"),
                    "Jan",
                    "Users/bob/AppData/Roaming/jan.ai.app",
                    None
                ),
                runtime(
                    cp("Library/Application Support/Jan/data"),
                    "Jan",
                    "Users/bob/Library/Application Support/Jan/data",
                    None
                ),
                runtime(cp(".cache/vllm"), "vLLM", "home/alice/.cache/vllm", None),
                runtime(cp(".lmstudio"), "LM Studio", "home/alice/.lmstudio", None),
                stored(
                    "lmstudio-community/Meta-Llama-3-8B-Instruct-GGUF/Meta-Llama-3-8B-Instruct-Q4_K_M.gguf",
                    &format!("{lms}/Meta-Llama-3-8B-Instruct-Q4_K_M.gguf"),
                    MIB as u64,
                    "gguf v3",
                    ".lmstudio/models/lmstudio-community/Meta-Llama-3-8B-Instruct-GGUF/Meta-Llama-3-8B-Instruct-Q4_K_M.gguf",
                ),
                runtime(
                    cp(".local/share/nomic.ai/GPT4All"),
                    "GPT4All",
                    "home/alice/.local/share/nomic.ai/GPT4All",
                    None
                ),
                model(
                    "orca-mini-3b-gguf2-q4_0.gguf",
                    "home/alice/.local/share/nomic.ai/GPT4All/orca-mini-3b-gguf2-q4_0.gguf",
                    MIB as u64,
                    "gguf v2"
                ),
                runtime(cp("jan"), "Jan", "home/alice/jan", None),
                runtime(
                    ex("llama-cli"),
                    "llama.cpp",
                    "home/alice/src/llama.cpp/build/bin/llama-cli",
                    None
                ),
                runtime(ex("vllm"), "vLLM", "home/alice/venvs/serve/bin/vllm", None),
                runtime(
                    ex("llama-server"),
                    "llama.cpp",
                    "opt/homebrew/Cellar/llama.cpp/5600/bin/llama-server",
                    Some("5600")
                ),
                runtime(ex("ollama"), "Ollama", "usr/local/bin/ollama", None),
            ]
        );
    }

    #[test]
    fn garbage_never_panics() {
        let t = Tree::new();
        let shapes: Vec<Vec<u8>> = vec![
            vec![],
            b"GGUF".to_vec(),
            b"GGUF\xff\xff\xff\xff".to_vec(),
            (2u64).to_le_bytes().to_vec(),
            b"PK\x03\x04".to_vec(),
            b"PK\x05\x06".to_vec(),
            [
                b"PK\x03\x04".as_slice(),
                &[0xff; 40],
                b"PK\x05\x06",
                &[0xff; 18],
            ]
            .concat(),
            [
                b"PK\x03\x04".as_slice(),
                &[0; 40],
                b"PK\x06\x07",
                &[0xff; 16],
                b"PK\x05\x06",
                &[0xff; 18],
            ]
            .concat(),
            b"\x08\x08\x12\x7f".to_vec(),
            b"\x80\x02".to_vec(),
            b"{\"layers\":[{\"mediaType\":\"application/vnd.ollama.image.model\",\"size\":-1}]}"
                .to_vec(),
        ];
        for (i, s) in shapes.iter().enumerate() {
            for len in [s.len(), MIB] {
                let data = padded(s, len);
                for name in [
                    "a.gguf",
                    "a.safetensors",
                    "a.onnx",
                    "a.pt",
                    "a.bin",
                    "llama-server",
                    "ollama",
                ] {
                    t.file(&format!("home/u/{i}-{len}/{name}"), &data);
                }
                t.file(
                    &format!("home/u/.ollama/models/manifests/h/n/m{i}/{len}"),
                    &data,
                );
            }
        }
        let (_arts, _errs) = t.scan();
        // Sanity of the helpers on short input.
        assert_eq!(gguf_version(b"GGU"), None);
        assert_eq!(onnx_ir_version(b"\x08"), None);
        assert!(!torch_pickle(b"\x80"));
        assert!(!is_executable(b""));
    }
}
