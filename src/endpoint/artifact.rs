//! What an endpoint input reports: one installed or stored thing (an app, an extension, a
//! package, a local model, an agent config, an MCP server, an API key), with the selector
//! the signature set matches it by.

use std::path::PathBuf;

/// What kind of thing was found.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ArtifactKind {
    /// A desktop application (macOS bundle, Windows program, Linux package or .desktop).
    App,
    /// An IDE extension or plugin (VS Code family, JetBrains).
    IdeExtension,
    /// A browser extension (Chromium family, Firefox).
    BrowserExtension,
    /// A library package installed or declared in a project (PyPI, npm, crates.io, Go).
    Package,
    /// A local model runtime (Ollama, LM Studio, llama.cpp, GPT4All, Jan, vLLM …).
    LocalRuntime,
    /// A model stored on disk (GGUF, safetensors, ONNX, PyTorch; Ollama or Hugging Face
    /// cache entries).
    Model,
    /// An AI command-line agent or its configuration (Claude Code, Codex, Gemini CLI …).
    Agent,
    /// An MCP server configured for an AI client.
    McpServer,
    /// An AI provider API key found in a file (masked: never the key itself).
    ApiKey,
}

impl ArtifactKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ArtifactKind::App => "app",
            ArtifactKind::IdeExtension => "ide_extension",
            ArtifactKind::BrowserExtension => "browser_extension",
            ArtifactKind::Package => "package",
            ArtifactKind::LocalRuntime => "local_runtime",
            ArtifactKind::Model => "model",
            ArtifactKind::Agent => "agent",
            ArtifactKind::McpServer => "mcp_server",
            ArtifactKind::ApiKey => "api_key",
        }
    }
}

/// How the signature set recognises an artefact. Values are compared case-insensitively
/// (after the normalisation each kind documents).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Selector {
    /// A macOS bundle identifier (`com.openai.chat`), a Windows program's display name
    /// prefix is NOT a bundle id: use `Executable` or `Program` for those.
    BundleId(String),
    /// An extension id in a store: `store` is `vscode` (VS Code family, `publisher.name`),
    /// `jetbrains` (plugin id), `chrome` (32-letter id, for Chrome, Edge and Brave), `firefox`
    /// (add-on id).
    Extension { store: &'static str, id: String },
    /// A package in an ecosystem: `pypi` (PEP 503-normalised name), `npm` (`@scope/name`),
    /// `cargo`, `go` (module path), `deb`, `rpm`, `snap`, `flatpak` (app id), `brew`.
    Package {
        ecosystem: &'static str,
        name: String,
    },
    /// An executable or program name as installed (`ollama`, `LM Studio`, `Claude`): the
    /// file stem of a binary, a `.app` bundle name, a Windows `DisplayName`, a `.desktop`
    /// `Name`.
    Executable(String),
    /// A configuration or data path that only this tool writes, relative to the user's home
    /// with `/` separators (`.claude/settings.json`, `.ollama/models`).
    ConfigPath(String),
    /// Nothing in the signature set can name it (a model file, an MCP server, an API key of
    /// a provider not in the set); reported by kind alone.
    None,
}

/// One thing found on an endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifact {
    pub kind: ArtifactKind,
    pub selector: Selector,
    /// Display name as the artefact states it (manifest name, bundle name, model name).
    pub name: Option<String>,
    pub version: Option<String>,
    /// The file or folder that shows it (manifest, bundle, model file, config file).
    pub path: PathBuf,
    /// 1-based line in `path`, where the artefact is one line of a file (an API key, a
    /// requirements entry).
    pub line: Option<u64>,
    /// Bytes on disk, where meaningful (model files, bundles when cheap).
    pub size: Option<u64>,
    /// Kind-specific detail, short: model format (`gguf`), MCP server command line, API key
    /// provider and fingerprint (`openai sha256:1a2b3c4d…`), package declared vs installed.
    pub detail: Option<String>,
}

/// Where an endpoint's files are: detectors use it to name the user a file belongs to.
#[derive(Clone, Debug, Default)]
pub struct EndpointCtx {
    /// The endpoint's name (host name, or the root folder's name when scanning a collected
    /// copy).
    pub endpoint: String,
    /// The root walked (a mounted disk image, a collected home folder, or `/`).
    pub root: PathBuf,
}

/// Receives each artefact a detector finds. The walker adds the endpoint and the user (the
/// owner of the home folder the path is in) before matching.
pub type ArtifactSink<'s> = dyn FnMut(Artifact) + 's;

/// Why a file a detector wanted to read could not be read; counted and reported by the
/// walker with the path, never fatal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DetectError {
    pub path: PathBuf,
    /// Short and specific: "Info.plist: not a plist (XML, binary or ASCII)".
    pub reason: String,
}

/// Whether the walker goes into a folder.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Descend {
    Yes,
    /// Everything needed was read from the folder's manifest (an extension folder, a
    /// package's `node_modules` subtree past the depth that matters, a model blob store).
    Skip,
}

/// Most bytes a detector reads from one manifest or config file; larger ones are skipped
/// with a `DetectError`, so a hostile file cannot exhaust memory.
pub const MAX_MANIFEST_BYTES: u64 = 4 << 20;
