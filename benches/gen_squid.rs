//! `gen-squid-bench`: writes a synthetic but realistic Squid native `access.log` of a requested
//! size, for throughput benchmarks (see `benches/throughput.sh`).
//!
//! ```text
//! gen-squid-bench --bytes 1073741824 --seed 42 --out bench-data/squid-1g.log
//! ```
//!
//! Lines follow `logformat squid`
//! (`%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt`) over one working day
//! (2026-11-27, 07:30–17:30 UTC). About 1.5 % of the lines go to AI services; a few go to
//! look-alike hosts that must *not* count as AI use (`notchatgpt.com`, `gemini.com`, …), and
//! much of the ordinary traffic goes to shared infrastructure that AI services also live on
//! (`storage.googleapis.com`, `*.blob.core.windows.net`, `s3.*.amazonaws.com`, …).
//!
//! The output is a pure function of `--bytes` and `--seed`. At the end the generator prints on
//! stderr a ground truth the benchmark can check, as tab-separated lines:
//!
//! ```text
//! lines       <n>                 every line written
//! bytes       <n>
//! ai_lines    <n>                 lines whose host is an AI service
//! ai_denied   <n>                 … of which the proxy denied (TCP_DENIED/403)
//! ai          <host>  <lines>  <denied>
//! trap        <host>  <lines>     look-alikes: not AI use
//! ```
//!
//! Only std: a small wyrand PRNG, lookup tables for weighted choices, hand-written integer
//! formatting and one large output buffer keep it well above 300 MB/s on one core.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::mpsc;
use std::thread;
use std::time::Instant;

// ---------------------------------------------------------------------------------------------
// PRNG and sampling
// ---------------------------------------------------------------------------------------------

#[path = "rng.rs"]
#[allow(dead_code)] // each generator uses part of it
mod rng;
use rng::Rng;

/// Draws this generator needs beyond uniform ones.
impl Rng {
    /// True with probability `permille / 1000`.
    #[inline]
    fn chance(&mut self, permille: u32) -> bool {
        self.below(1000) < u64::from(permille)
    }

    #[inline]
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.index(items.len())]
    }

    /// Pareto(xm, alpha) with a jittered scale (so values don't pile up at `xm`), capped.
    /// Heavy tail for sizes and durations.
    #[inline]
    fn pareto(&mut self, xm: f64, alpha: f64, cap: u64) -> u64 {
        let v = xm * (0.25 + 1.5 * self.unit()) * self.unit().powf(-1.0 / alpha);
        // Past the cap, spread over its upper half rather than piling up on one value.
        if v >= cap as f64 {
            cap / 2 + self.below(cap / 2)
        } else {
            v as u64
        }
    }
}

/// Weighted choice in O(1): 65,536 slots, each holding the index that owns that quantile.
struct Table(Vec<u16>);

impl Table {
    fn new(weights: &[f64]) -> Self {
        assert!(!weights.is_empty() && weights.len() <= 1 << 16);
        let total: f64 = weights.iter().sum();
        let mut slots = Vec::with_capacity(1 << 16);
        let (mut i, mut cum) = (0usize, weights[0] / total);
        for s in 0..(1u32 << 16) {
            let q = (f64::from(s) + 0.5) / 65536.0;
            while q > cum && i + 1 < weights.len() {
                i += 1;
                cum += weights[i] / total;
            }
            slots.push(i as u16);
        }
        Table(slots)
    }

    #[inline]
    fn sample(&self, rng: &mut Rng) -> usize {
        usize::from(self.0[(rng.next() >> 48) as usize])
    }
}

/// Zipf-like weights `1 / (rank + offset)^s`.
fn zipf(n: usize, s: f64, offset: f64) -> Vec<f64> {
    (0..n).map(|r| 1.0 / (r as f64 + offset).powf(s)).collect()
}

fn shuffle<T>(rng: &mut Rng, v: &mut [T]) {
    for i in (1..v.len()).rev() {
        v.swap(i, rng.index(i + 1));
    }
}

// ---------------------------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------------------------

#[inline]
fn push_u64(buf: &mut Vec<u8>, mut n: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

/// Right-aligned in `width` columns, like printf `%6d` (wider numbers are not cut).
#[inline]
fn push_padded(buf: &mut Vec<u8>, n: u64, width: usize) {
    let digits = if n == 0 { 1 } else { n.ilog10() as usize + 1 };
    for _ in digits..width {
        buf.push(b' ');
    }
    push_u64(buf, n);
}

// ---------------------------------------------------------------------------------------------
// The world: clients, users, hosts, paths
// ---------------------------------------------------------------------------------------------

#[rustfmt::skip]
const FIRST: &[&str] = &[
    "james", "mary", "john", "patricia", "robert", "jennifer", "michael", "linda", "david",
    "elizabeth", "william", "barbara", "richard", "susan", "joseph", "jessica", "thomas", "sarah",
    "chris", "karen", "daniel", "lisa", "matthew", "nancy", "anthony", "betty", "mark", "sandra",
    "paul", "ashley", "steven", "emily", "andrew", "donna", "kevin", "michelle", "brian", "carol",
    "george", "amanda", "anna", "lukas", "sophie", "marco", "giulia", "pierre", "camille",
    "jan", "eva", "pedro", "lucia", "hiroshi", "yuki", "wei", "mei", "raj", "priya", "omar",
    "fatima", "ivan", "olga", "ahmed", "leila", "sven", "ingrid", "noah", "mia", "elena",
];

#[rustfmt::skip]
const LAST: &[&str] = &[
    "smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis", "rodriguez",
    "martinez", "hernandez", "lopez", "gonzalez", "wilson", "anderson", "taylor", "moore",
    "jackson", "martin", "lee", "thompson", "white", "harris", "clark", "lewis", "walker", "hall",
    "young", "allen", "king", "wright", "scott", "green", "baker", "adams", "nelson", "hill",
    "campbell", "mitchell", "roberts", "carter", "phillips", "evans", "turner", "torres",
    "parker", "collins", "edwards", "stewart", "morris", "mueller", "schmidt", "schneider",
    "fischer", "weber", "rossi", "russo", "ferrari", "dubois", "moreau", "laurent", "novak",
    "kowalski", "silva", "santos", "tanaka", "suzuki", "wang", "zhang", "patel", "sharma",
    "khan", "ivanov", "petrov", "larsen", "nielsen", "jansen", "devries", "doe", "okafor",
];

/// Words for made-up site names. Nothing here spells an AI vendor or product.
#[rustfmt::skip]
const WORDS: &[&str] = &[
    "acme", "alpine", "amber", "anchor", "apex", "arbor", "atlas", "aurora", "harbor", "beacon",
    "birch", "blue", "bolt", "bright", "brook", "cedar", "cinder", "city", "clear", "cloud",
    "coast", "cobalt", "comet", "coral", "crest", "crown", "daily", "delta", "ember", "falcon",
    "fern", "field", "fjord", "flint", "forge", "fox", "garden", "glacier", "globe", "gold",
    "granite", "green", "grove", "hawk", "hill", "horizon", "iron", "island", "jade", "juniper",
    "key", "lake", "lantern", "leaf", "light", "lime", "lotus", "maple", "market", "meadow",
    "metro", "mint", "moss", "mountain", "nimbus", "north", "oak", "ocean", "olive", "orbit",
    "orchid", "pacific", "panda", "peak", "pine", "pixel", "planet", "polar", "prairie", "prime",
    "quartz", "rapid", "raven", "red", "ridge", "river", "rock", "royal", "sage", "salt",
    "shore", "silver", "sky", "slate", "snow", "solar", "spring", "spruce", "star", "stone",
    "storm", "summit", "sun", "swift", "tide", "timber", "trail", "tulip", "union", "urban",
    "valley", "vector", "velvet", "vista", "wave", "west", "willow", "wind", "wolf", "zen",
    "news", "shop", "travel", "bank", "health", "media", "sport", "food", "auto", "home",
    "tech", "data", "labs", "works", "group", "press", "hub", "zone", "point", "base",
];

#[rustfmt::skip]
const TLDS: &[(&str, u32)] = &[
    ("com", 55), ("net", 10), ("org", 8), ("io", 5), ("de", 5), ("co.uk", 4), ("fr", 3),
    ("eu", 2), ("nl", 2), ("it", 2), ("es", 1), ("ch", 1), ("info", 1), ("co", 1),
];

#[rustfmt::skip]
const SUBDOMAINS: &[&str] = &[
    "www", "www", "www", "www", "cdn", "static", "api", "img", "assets", "media", "app",
    "login", "shop", "news", "m", "support", "docs", "portal", "mail", "files",
];

/// Real popular hosts, most popular first. Several share a parent domain with an AI service
/// (google.com, googleapis.com, microsoft.com, githubusercontent.com, amazonaws.com,
/// azure.com / windows.net): exactly the look-alikes a careless matcher counts as AI.
#[rustfmt::skip]
const POPULAR: &[&str] = &[
    "www.google.com", "login.microsoftonline.com", "outlook.office365.com", "teams.microsoft.com",
    "www.googleapis.com", "fonts.googleapis.com", "fonts.gstatic.com", "www.gstatic.com",
    "graph.microsoft.com", "www.office.com", "outlook.office.com", "mail.google.com",
    "storage.googleapis.com", "github.com", "api.github.com", "raw.githubusercontent.com",
    "objects.githubusercontent.com", "avatars.githubusercontent.com", "github.githubassets.com",
    "www.youtube.com", "i.ytimg.com", "rr3---sn-4g5e6nsz.googlevideo.com", "accounts.google.com",
    "docs.google.com", "drive.google.com", "apis.google.com", "play.google.com",
    "clients4.google.com", "update.googleapis.com", "safebrowsing.googleapis.com",
    "content-autofill.googleapis.com", "oauth2.googleapis.com", "ajax.googleapis.com",
    "www.googletagmanager.com", "www.google-analytics.com", "stats.g.doubleclick.net",
    "securepubads.g.doubleclick.net", "adservice.google.com", "mtalk.google.com",
    "www.microsoft.com", "settings-win.data.microsoft.com", "v10.events.data.microsoft.com",
    "config.edge.skype.com", "edge.microsoft.com", "res.cdn.office.net", "substrate.office.com",
    "login.live.com", "onedrive.live.com", "contoso.sharepoint.com", "contoso-my.sharepoint.com",
    "fe2.update.microsoft.com", "dl.delivery.mp.microsoft.com", "ctldl.windowsupdate.com",
    "crl.microsoft.com", "management.azure.com", "portal.azure.com",
    "contosoprod.blob.core.windows.net", "stfinancereports01.blob.core.windows.net",
    "md-hdd-4xk2lqv0q1jz.z43.blob.storage.azure.net", "contoso-web.azurewebsites.net",
    "codeload.github.com", "collector.github.com", "s3.amazonaws.com", "s3.us-east-1.amazonaws.com",
    "corp-backups.s3.eu-west-1.amazonaws.com", "ec2.eu-west-1.amazonaws.com", "sts.amazonaws.com",
    "sqs.us-east-1.amazonaws.com", "monitoring.us-east-1.amazonaws.com",
    "dynamodb.eu-central-1.amazonaws.com", "console.aws.amazon.com", "signin.aws.amazon.com",
    "www.amazon.com", "m.media-amazon.com", "d1a2b3c4d5e6f7.cloudfront.net",
    "d3kx9q0v2m8pzb.cloudfront.net", "dq8mx2r5p1d3n.cloudfront.net", "a248.e.akamai.net",
    "img-prod-cms-rt-microsoft-com.akamaized.net", "media-cdn.akamaized.net",
    "e9659.dspg.akamaiedge.net", "www.linkedin.com", "static.licdn.com", "slack.com",
    "app.slack.com", "edgeapi.slack.com", "wss-primary.slack.com", "zoom.us", "us05web.zoom.us",
    "login.salesforce.com", "contoso.my.salesforce.com", "www.dropbox.com", "en.wikipedia.org",
    "upload.wikimedia.org", "www.reddit.com", "www.nytimes.com", "www.bbc.co.uk", "www.apple.com",
    "gateway.icloud.com", "ocsp.digicert.com", "ocsp.pki.goog", "www.facebook.com",
    "connect.facebook.net", "www.instagram.com", "abs.twimg.com", "contoso.atlassian.net",
    "api.atlassian.com", "registry.npmjs.org", "pypi.org", "files.pythonhosted.org",
    "index.crates.io", "static.crates.io", "registry-1.docker.io",
    "production.cloudflare.docker.com", "cdn.jsdelivr.net", "cdnjs.cloudflare.com",
    "www.cloudflare.com", "open.spotify.com", "spclient.wg.spotify.com", "www.netflix.com",
    "stackoverflow.com", "cdn.sstatic.net", "www.notion.so", "www.figma.com", "duckduckgo.com",
    "news.ycombinator.com", "contoso.zendesk.com", "contoso.okta.com", "www.paypal.com",
    "www.booking.com", "weather.com", "push.services.mozilla.com",
    "firefox.settings.services.mozilla.com", "incoming.telemetry.mozilla.org",
    "detectportal.firefox.com", "www.adobe.com", "ims-na1.adobelogin.com", "www.yahoo.com",
    "www.ebay.com", "www.wikipedia.org", "www.theguardian.com", "www.spiegel.de", "www.lemonde.fr",
    "www.ft.com", "www.bloomberg.com", "www.reuters.com", "www.dhl.com", "www.ups.com",
    "www.fedex.com", "www.ikea.com", "www.zalando.de", "www.office365.com",
    "clients2.googleusercontent.com", "lh3.googleusercontent.com", "www.gravatar.com",
    "secure.gravatar.com", "www.w3.org", "gitlab.com", "bitbucket.org", "www.docker.com",
    "sentry.io", "o123456.ingest.sentry.io", "api.segment.io", "cdn.segment.com",
    "js.stripe.com", "api.stripe.com", "www.recaptcha.net", "challenges.cloudflare.com",
];

/// Hosts that look like AI services but are not: counted in the ground truth as traps.
#[rustfmt::skip]
const TRAPS: &[(&str, f64)] = &[
    ("notchatgpt.com", 1.0),
    ("openai.com.evil.example", 0.6),
    ("gemini.com", 1.5),
    ("claude.ai.example.net", 0.4),
    ("api.anthropic.com.mirror.example.org", 0.3),
];

/// AI services: host, relative weight, per-mille of requests the proxy denies (blocked by
/// policy), and the request paths a TLS-bumping proxy sees.
struct AiService {
    host: &'static str,
    weight: f64,
    denied_permille: u32,
    paths: &'static [(&'static str, &'static str, &'static str)], // (method, path, mime)
}

#[rustfmt::skip]
const P_OPENAI_API: &[(&str, &str, &str)] = &[
    ("POST", "/v1/chat/completions", "application/json"),
    ("POST", "/v1/chat/completions", "text/event-stream"),
    ("POST", "/v1/responses", "text/event-stream"),
    ("POST", "/v1/embeddings", "application/json"),
    ("GET", "/v1/models", "application/json"),
];
#[rustfmt::skip]
const P_CHATGPT: &[(&str, &str, &str)] = &[
    ("GET", "/", "text/html"),
    ("POST", "/backend-api/conversation", "text/event-stream"),
    ("GET", "/backend-api/conversations?offset=0&limit=28&order=updated", "application/json"),
    ("POST", "/backend-api/files", "application/json"),
    ("GET", "/backend-api/me", "application/json"),
];
#[rustfmt::skip]
const P_ANTHROPIC_API: &[(&str, &str, &str)] = &[
    ("POST", "/v1/messages", "text/event-stream"),
    ("POST", "/v1/messages", "application/json"),
    ("POST", "/v1/messages/count_tokens", "application/json"),
    ("GET", "/v1/models", "application/json"),
];
#[rustfmt::skip]
const P_CLAUDE: &[(&str, &str, &str)] = &[
    ("GET", "/new", "text/html"),
    ("POST", "/api/organizations/4b1e0c2a/chat_conversations", "application/json"),
    ("POST", "/api/organizations/4b1e0c2a/upload", "application/json"),
    ("GET", "/api/bootstrap", "application/json"),
];
#[rustfmt::skip]
const P_GEMINI: &[(&str, &str, &str)] = &[
    ("GET", "/app", "text/html"),
    ("POST", "/_/BardChatUi/data/assistant.lamda.BardFrontendService/StreamGenerate?bl=boq_assistant-bard-web-server&rt=c", "application/json"),
];
#[rustfmt::skip]
const P_GENLANG: &[(&str, &str, &str)] = &[
    ("POST", "/v1beta/models/gemini-2.5-flash:generateContent", "application/json"),
    ("POST", "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse", "text/event-stream"),
    ("GET", "/v1beta/models", "application/json"),
];
#[rustfmt::skip]
const P_COPILOT_MS: &[(&str, &str, &str)] = &[
    ("GET", "/", "text/html"),
    ("GET", "/c/api/conversations", "application/json"),
    ("GET", "/c/api/user", "application/json"),
];
#[rustfmt::skip]
const P_GH_COPILOT: &[(&str, &str, &str)] = &[
    ("POST", "/chat/completions", "text/event-stream"),
    ("GET", "/models", "application/json"),
    ("POST", "/v1/engines/copilot-codex/completions", "text/event-stream"),
];
#[rustfmt::skip]
const P_DEEPSEEK_API: &[(&str, &str, &str)] = &[
    ("POST", "/chat/completions", "text/event-stream"),
    ("POST", "/v1/chat/completions", "application/json"),
];
#[rustfmt::skip]
const P_WEB_CHAT: &[(&str, &str, &str)] = &[
    ("GET", "/", "text/html"),
    ("POST", "/api/v0/chat/completion", "text/event-stream"),
    ("GET", "/api/v0/users/current", "application/json"),
];
#[rustfmt::skip]
const P_HF: &[(&str, &str, &str)] = &[
    ("GET", "/", "text/html"),
    ("GET", "/api/models/meta-llama/Llama-3.1-8B-Instruct", "application/json"),
    ("GET", "/Qwen/Qwen2.5-7B-Instruct/resolve/main/config.json", "application/json"),
    ("GET", "/spaces", "text/html"),
];
#[rustfmt::skip]
const P_MISTRAL_API: &[(&str, &str, &str)] = &[
    ("POST", "/v1/chat/completions", "application/json"),
    ("POST", "/v1/embeddings", "application/json"),
];
#[rustfmt::skip]
const P_BEDROCK: &[(&str, &str, &str)] = &[
    ("POST", "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/invoke", "application/json"),
    ("POST", "/model/amazon.titan-embed-text-v2%3A0/invoke", "application/json"),
    ("POST", "/model/meta.llama3-70b-instruct-v1%3A0/converse-stream", "application/vnd.amazon.eventstream"),
];
#[rustfmt::skip]
const P_AZURE_OPENAI: &[(&str, &str, &str)] = &[
    ("POST", "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21", "application/json"),
    ("POST", "/openai/deployments/text-embedding-3-large/embeddings?api-version=2024-10-21", "application/json"),
];
#[rustfmt::skip]
const P_CURSOR: &[(&str, &str, &str)] = &[
    ("POST", "/aiserver.v1.ChatService/StreamUnifiedChatWithTools", "application/connect+proto"),
    ("POST", "/aiserver.v1.AiService/StreamCpp", "application/connect+proto"),
];
#[rustfmt::skip]
const P_GENERIC: &[(&str, &str, &str)] = &[
    ("GET", "/", "text/html"),
    ("POST", "/api/chat", "text/event-stream"),
];

#[rustfmt::skip]
const AI: &[AiService] = &[
    AiService { host: "chatgpt.com", weight: 22.0, denied_permille: 20, paths: P_CHATGPT },
    AiService { host: "chat.openai.com", weight: 2.0, denied_permille: 20, paths: P_CHATGPT },
    AiService { host: "api.openai.com", weight: 10.0, denied_permille: 10, paths: P_OPENAI_API },
    AiService { host: "claude.ai", weight: 8.0, denied_permille: 20, paths: P_CLAUDE },
    AiService { host: "api.anthropic.com", weight: 6.0, denied_permille: 10, paths: P_ANTHROPIC_API },
    AiService { host: "gemini.google.com", weight: 8.0, denied_permille: 10, paths: P_GEMINI },
    AiService { host: "generativelanguage.googleapis.com", weight: 3.0, denied_permille: 10, paths: P_GENLANG },
    AiService { host: "copilot.microsoft.com", weight: 6.0, denied_permille: 5, paths: P_COPILOT_MS },
    AiService { host: "api.githubcopilot.com", weight: 5.0, denied_permille: 5, paths: P_GH_COPILOT },
    AiService { host: "copilot-proxy.githubusercontent.com", weight: 3.0, denied_permille: 5, paths: P_GH_COPILOT },
    AiService { host: "chat.deepseek.com", weight: 3.0, denied_permille: 700, paths: P_WEB_CHAT },
    AiService { host: "api.deepseek.com", weight: 1.0, denied_permille: 700, paths: P_DEEPSEEK_API },
    AiService { host: "www.perplexity.ai", weight: 3.0, denied_permille: 30, paths: P_GENERIC },
    AiService { host: "perplexity.ai", weight: 1.0, denied_permille: 30, paths: P_GENERIC },
    AiService { host: "huggingface.co", weight: 3.0, denied_permille: 10, paths: P_HF },
    AiService { host: "api.mistral.ai", weight: 1.0, denied_permille: 30, paths: P_MISTRAL_API },
    AiService { host: "chat.mistral.ai", weight: 1.0, denied_permille: 30, paths: P_GENERIC },
    AiService { host: "kimi.com", weight: 1.0, denied_permille: 700, paths: P_GENERIC },
    AiService { host: "tongyi.com", weight: 0.5, denied_permille: 700, paths: P_GENERIC },
    AiService { host: "doubao.com", weight: 0.5, denied_permille: 700, paths: P_GENERIC },
    AiService { host: "bedrock-runtime.us-east-1.amazonaws.com", weight: 2.0, denied_permille: 0, paths: P_BEDROCK },
    AiService { host: "myres.openai.azure.com", weight: 2.0, denied_permille: 0, paths: P_AZURE_OPENAI },
    AiService { host: "api2.cursor.sh", weight: 2.0, denied_permille: 20, paths: P_CURSOR },
    AiService { host: "poe.com", weight: 0.7, denied_permille: 50, paths: P_GENERIC },
    AiService { host: "character.ai", weight: 0.5, denied_permille: 50, paths: P_GENERIC },
    AiService { host: "api.groq.com", weight: 0.4, denied_permille: 30, paths: P_MISTRAL_API },
    AiService { host: "openrouter.ai", weight: 0.4, denied_permille: 30, paths: P_MISTRAL_API },
];

/// Share of lines (per 100,000) that go to AI services and to traps.
const AI_PER_100K: usize = 1_500;
const TRAP_PER_100K: usize = 60;

#[derive(Copy, Clone, PartialEq, Eq)]
enum Mime {
    Html,
    Json,
    Js,
    Css,
    Png,
    Jpeg,
    Gif,
    Svg,
    Woff2,
    Octet,
    Plain,
}

impl Mime {
    fn as_str(self) -> &'static str {
        match self {
            Mime::Html => "text/html",
            Mime::Json => "application/json",
            Mime::Js => "application/javascript",
            Mime::Css => "text/css",
            Mime::Png => "image/png",
            Mime::Jpeg => "image/jpeg",
            Mime::Gif => "image/gif",
            Mime::Svg => "image/svg+xml",
            Mime::Woff2 => "font/woff2",
            Mime::Octet => "application/octet-stream",
            Mime::Plain => "text/plain",
        }
    }
}

struct Host {
    name: String,
    /// Server address as Squid prints it after `HIER_DIRECT/`.
    ip: String,
    /// Port for CONNECT (`:443` almost always).
    port: &'static str,
    /// Whether the site is still reached over plain http at all.
    plain_http: bool,
}

struct Path {
    text: String,
    mime: Mime,
    post: bool,
}

struct World {
    clients: Vec<String>,
    client_user: Vec<String>,
    client_table: Table,
    hosts: Vec<Host>,
    host_table: Table,
    ai_hosts: Vec<Host>,
    ai_table: Table,
    traps: Vec<Host>,
    trap_table: Table,
    paths: Vec<Path>,
}

fn fnv(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A stable, plausible server address for a host: provider ranges for well-known parents,
/// otherwise a public-looking IPv4; a few dual-stack hosts resolve to IPv6.
fn server_ip(name: &str) -> String {
    let h = fnv(name);
    let (a, b) = ((h >> 8) as u8, (h >> 16) as u8);
    let ends = |s: &str| name == s || name.ends_with(&format!(".{s}"));
    if ends("claude.ai") || ends("anthropic.com") {
        return "160.79.104.10".into();
    }
    if ends("google.com")
        || ends("googleapis.com")
        || ends("gstatic.com")
        || ends("youtube.com")
        || ends("googlevideo.com")
        || ends("ytimg.com")
        || ends("doubleclick.net")
        || ends("googleusercontent.com")
        || ends("googletagmanager.com")
        || ends("google-analytics.com")
        || ends("pki.goog")
    {
        if h % 5 == 0 {
            return format!(
                "2a00:1450:4001:{:x}::200{:x}",
                0x800 + (a as u16 % 0x30),
                b % 16
            );
        }
        return match h % 3 {
            0 => format!("142.250.{}.{}", 64 + a % 128, b),
            1 => format!("172.217.{}.{}", a % 32, b),
            _ => format!("216.58.{}.{}", 192 + a % 64, b),
        };
    }
    if ends("microsoft.com")
        || ends("office.com")
        || ends("office365.com")
        || ends("live.com")
        || ends("microsoftonline.com")
        || ends("windows.net")
        || ends("azure.com")
        || ends("azure.net")
        || ends("skype.com")
        || ends("sharepoint.com")
        || ends("office.net")
        || ends("windowsupdate.com")
        || ends("azurewebsites.net")
    {
        return match h % 3 {
            0 => format!("13.107.{}.{}", a % 64, b),
            1 => format!("20.{}.{}.{}", 40 + a % 150, b, (h >> 24) as u8),
            _ => format!("52.{}.{}.{}", 96 + a % 16, b, (h >> 24) as u8),
        };
    }
    if ends("github.com")
        || ends("githubusercontent.com")
        || ends("githubassets.com")
        || ends("githubcopilot.com")
    {
        return if h % 2 == 0 {
            format!("140.82.{}.{}", 112 + a % 10, b % 32)
        } else {
            format!("185.199.{}.133", 108 + a % 4)
        };
    }
    if ends("amazonaws.com")
        || ends("amazon.com")
        || ends("cloudfront.net")
        || ends("media-amazon.com")
    {
        let first = [3u8, 18, 34, 35, 44, 52, 54][(h % 7) as usize];
        return format!("{first}.{}.{}.{}", a, b, (h >> 24) as u8);
    }
    if ends("akamai.net") || ends("akamaized.net") || ends("akamaiedge.net") {
        return format!("23.{}.{}.{}", 32 + a % 64, b, (h >> 24) as u8);
    }
    if ends("chatgpt.com") || ends("openai.com") || ends("cloudflare.com") || h % 9 == 0 {
        if h % 7 == 0 {
            return format!("2606:4700::6812:{:x}", (h >> 24) as u16);
        }
        return if h % 2 == 0 {
            format!("104.{}.{}.{}", 16 + a % 6, b, (h >> 24) as u8)
        } else {
            format!("172.{}.{}.{}", 64 + a % 4, b, (h >> 24) as u8)
        };
    }
    const FIRST_OCTETS: &[u8] = &[
        5, 31, 37, 45, 46, 51, 62, 64, 66, 69, 78, 80, 81, 85, 87, 91, 93, 95, 109, 130, 136, 146,
        151, 157, 162, 178, 185, 188, 193, 194, 195, 198, 199, 208, 209, 212, 213, 216, 217,
    ];
    let first = FIRST_OCTETS[(h % FIRST_OCTETS.len() as u64) as usize];
    format!("{first}.{a}.{b}.{}", 1 + (h >> 24) as u8 % 254)
}

/// `alt_port`: the host may be one of the few sites served on :8443.
fn make_host(name: &str, plain_http: bool, alt_port: bool) -> Host {
    let port = if name == "mtalk.google.com" {
        ":5228"
    } else if alt_port && fnv(name) % 97 == 0 {
        ":8443"
    } else {
        ":443"
    };
    Host {
        name: name.to_owned(),
        ip: server_ip(name),
        port,
        plain_http,
    }
}

impl World {
    fn new(rng: &mut Rng) -> World {
        // ~2,000 clients over three private ranges, busiest first.
        let mut seen = HashSet::new();
        let mut clients = Vec::new();
        while clients.len() < 2_000 {
            let ip = match rng.index(100) {
                0..=54 => format!(
                    "10.{}.{}.{}",
                    1 + rng.index(40),
                    rng.index(256),
                    1 + rng.index(254)
                ),
                55..=79 => format!("172.16.{}.{}", rng.index(64), 1 + rng.index(254)),
                _ => format!("192.168.{}.{}", rng.index(32), 1 + rng.index(254)),
            };
            if seen.insert(ip.clone()) {
                clients.push(ip);
            }
        }
        let client_table = Table::new(&zipf(clients.len(), 0.9, 3.0));

        // ~700 people; each client belongs to one (shared desktops, VDI hosts, laptops).
        // Names are stored as Squid prints them: `%[un` escapes a backslash by doubling it,
        // so the Windows account CORP\asmith appears in the log as `CORP\\asmith`.
        let mut users = Vec::new();
        let mut seen = HashSet::new();
        while users.len() < 700 {
            let (f, l) = (rng.pick(FIRST), rng.pick(LAST));
            let base = match rng.index(10) {
                0..=4 => format!("{}{l}", &f[..1]),
                5..=6 => format!("{f}.{l}"),
                7 => format!("{}{}", &f[..1], &l[..l.len().min(7)]),
                _ => format!("{f}{}", &l[..1]),
            };
            if !seen.insert(base.clone()) {
                continue;
            }
            users.push(match rng.index(10) {
                0..=4 => base,
                5..=7 => format!("CORP\\\\{base}"),
                _ => format!("{base}@CORP.EXAMPLE.COM"),
            });
        }
        users[0] = "jdoe".into();
        users[1] = "CORP\\\\asmith".into();
        let client_user = (0..clients.len())
            .map(|_| users[rng.index(users.len())].clone())
            .collect();

        // ~1,500 ordinary hosts: the real popular ones first, then made-up sites.
        let mut names: Vec<String> = POPULAR.iter().map(|s| s.to_string()).collect();
        let mut seen: HashSet<String> = names.iter().cloned().collect();
        let tld_table = Table::new(&TLDS.iter().map(|t| f64::from(t.1)).collect::<Vec<_>>());
        let collides = |n: &str| {
            AI.iter().any(|a| a.host.contains(n) || n.contains(a.host))
                || TRAPS.iter().any(|t| t.0.contains(n) || n.contains(t.0))
        };
        while names.len() < 1_500 {
            let (w1, w2) = (rng.pick(WORDS), rng.pick(WORDS));
            if w1 == w2 {
                continue;
            }
            let tld = TLDS[tld_table.sample(rng)].0;
            let domain = if rng.chance(250) {
                format!("{w1}-{w2}.{tld}")
            } else {
                format!("{w1}{w2}.{tld}")
            };
            let name = match rng.index(10) {
                0..=2 => domain,
                _ => format!("{}.{domain}", rng.pick(SUBDOMAINS)),
            };
            if !collides(&name) && seen.insert(name.clone()) {
                names.push(name);
            }
        }
        // Keep the big real sites on top but let made-up ones mix into the middle ranks.
        shuffle(rng, &mut names[60..]);
        let hosts: Vec<Host> = names
            .iter()
            .map(|n| {
                make_host(
                    n,
                    !n.contains("google") && fnv(n) % 3 != 0,
                    !POPULAR.contains(&n.as_str()),
                )
            })
            .collect();
        let host_table = Table::new(&zipf(hosts.len(), 1.0, 4.0));

        let ai_hosts = AI.iter().map(|a| make_host(a.host, false, false)).collect();
        let ai_table = Table::new(&AI.iter().map(|a| a.weight).collect::<Vec<_>>());
        let traps = TRAPS.iter().map(|t| make_host(t.0, true, false)).collect();
        let trap_table = Table::new(&TRAPS.iter().map(|t| t.1).collect::<Vec<_>>());

        World {
            clients,
            client_user,
            client_table,
            hosts,
            host_table,
            ai_hosts,
            ai_table,
            traps,
            trap_table,
            paths: make_paths(rng),
        }
    }
}

#[rustfmt::skip]
const PATH_WORDS: &[&str] = &[
    "assets", "static", "img", "images", "js", "css", "api", "v1", "v2", "v3", "content",
    "media", "news", "products", "category", "search", "account", "user", "profile", "login",
    "docs", "help", "blog", "articles", "2026", "11", "world", "business", "sports", "catalog",
    "cart", "checkout", "items", "events", "track", "collect", "config", "settings", "feed",
    "dist", "build", "vendor", "fonts", "icons", "thumbs", "large", "en-us", "de-de", "fr-fr",
    "library", "download", "releases", "latest", "public", "widgets", "embed", "share",
];

#[rustfmt::skip]
const QUERY_KEYS: &[&str] = &[
    "id", "q", "page", "lang", "ref", "utm_source", "utm_medium", "v", "ts", "size", "sort",
    "session", "cid", "w", "h", "format", "region", "limit", "offset", "callback",
];

/// A pool of plausible request paths; each carries the content type its response has.
fn make_paths(rng: &mut Rng) -> Vec<Path> {
    let mut out = Vec::with_capacity(4096);
    while out.len() < 4096 {
        let depth = 1 + rng.index(4);
        let mut p = String::new();
        for _ in 0..depth {
            p.push('/');
            p.push_str(rng.pick(PATH_WORDS));
        }
        let (mime, post) = match rng.index(100) {
            0..=21 => {
                if rng.chance(500) {
                    p.push_str(".html");
                } else if rng.chance(300) {
                    p.push('/');
                }
                (Mime::Html, false)
            }
            22..=35 => {
                p.push('/');
                p.push_str(rng.pick(WORDS));
                p.push_str(if rng.chance(500) { ".min.js" } else { ".js" });
                (Mime::Js, false)
            }
            36..=43 => {
                p.push('/');
                p.push_str(rng.pick(WORDS));
                p.push_str(".css");
                (Mime::Css, false)
            }
            44..=57 => {
                p.push('/');
                p.push_str(rng.pick(WORDS));
                p.push('_');
                push_str_hex(&mut p, rng.next(), 6);
                p.push_str(".png");
                (Mime::Png, false)
            }
            58..=66 => {
                p.push('/');
                push_str_hex(&mut p, rng.next(), 12);
                p.push_str(".jpg");
                (Mime::Jpeg, false)
            }
            67..=68 => {
                p.push_str("/pixel.gif");
                (Mime::Gif, false)
            }
            69..=72 => {
                p.push('/');
                p.push_str(rng.pick(WORDS));
                p.push_str(".svg");
                (Mime::Svg, false)
            }
            73..=75 => {
                p.push('/');
                p.push_str(rng.pick(WORDS));
                p.push_str("-regular.woff2");
                (Mime::Woff2, false)
            }
            76..=91 => (Mime::Json, rng.chance(450)),
            92..=94 => {
                p.push_str("/package-");
                p.push_str(&format!(
                    "{}.{}.{}",
                    rng.index(5),
                    rng.index(20),
                    rng.index(10)
                ));
                p.push_str(".tar.gz");
                (Mime::Octet, false)
            }
            _ => {
                p.push_str("/robots.txt");
                (Mime::Plain, false)
            }
        };
        if (mime == Mime::Html || mime == Mime::Json) && rng.chance(550) {
            let n = 1 + rng.index(3);
            for i in 0..n {
                p.push(if i == 0 { '?' } else { '&' });
                p.push_str(rng.pick(QUERY_KEYS));
                p.push('=');
                if rng.chance(500) {
                    p.push_str(rng.pick(WORDS));
                } else {
                    p.push_str(&rng.index(100_000).to_string());
                }
            }
        } else if matches!(mime, Mime::Js | Mime::Css) && rng.chance(400) {
            p.push_str("?v=");
            push_str_hex(&mut p, rng.next(), 8);
        }
        out.push(Path {
            text: p,
            mime,
            post,
        });
    }
    out
}

fn push_str_hex(s: &mut String, mut n: u64, digits: usize) {
    for _ in 0..digits {
        s.push(char::from(b"0123456789abcdef"[(n & 15) as usize]));
        n >>= 4;
    }
}

// ---------------------------------------------------------------------------------------------
// The working day
// ---------------------------------------------------------------------------------------------

/// 2026-11-27 07:30:00 UTC, and the day's relative request rate per half hour from there.
const DAY_START: u64 = 1_795_764_600;
#[rustfmt::skip]
const RATE: &[f64] = &[
    0.35, 0.7, 1.0, 1.0, 1.0, 0.95, 0.9, 0.9, // 07:30 – 11:30
    0.55, 0.5, 0.75, 1.0, 1.0, 0.95, 0.95, 0.9, // 11:30 – 15:30
    0.8, 0.65, 0.45, 0.3, // 15:30 – 17:30
];

/// Maps progress through the file (0..1) to microseconds after DAY_START, so timestamps
/// rise through the whole day whatever the size, with more lines in busy hours.
struct Clock {
    /// Cumulative share of the day's lines at the end of each half hour.
    cum: Vec<f64>,
}

impl Clock {
    fn new() -> Self {
        let total: f64 = RATE.iter().sum();
        let mut acc = 0.0;
        let cum = RATE
            .iter()
            .map(|r| {
                acc += r / total;
                acc
            })
            .collect();
        Clock { cum }
    }

    #[inline]
    fn micros_at(&self, progress: f64) -> u64 {
        let p = progress.clamp(0.0, 1.0);
        let mut i = 0;
        while i + 1 < self.cum.len() && p > self.cum[i] {
            i += 1;
        }
        let lo = if i == 0 { 0.0 } else { self.cum[i - 1] };
        let within = if self.cum[i] > lo {
            (p - lo) / (self.cum[i] - lo)
        } else {
            0.0
        };
        ((i as f64 + within.min(1.0)) * 1_800_000_000.0) as u64
    }
}

// ---------------------------------------------------------------------------------------------
// Lines
// ---------------------------------------------------------------------------------------------

#[derive(Copy, Clone)]
enum Target {
    Ordinary(usize),
    Ai(usize),
    Trap(usize),
}

#[derive(Default)]
struct Truth {
    lines: u64,
    bytes: u64,
    ai: Vec<(u64, u64)>,
    traps: Vec<u64>,
}

struct Gen<'w> {
    w: &'w World,
    rng: Rng,
    clock: Clock,
    last_micros: u64,
}

/// What a line turned out to be, for the ground truth.
struct LineInfo {
    target: Target,
    denied: bool,
}

impl Gen<'_> {
    /// Appends one line (with `\n`) for the given progress through the file.
    fn line(&mut self, buf: &mut Vec<u8>, progress: f64) -> LineInfo {
        let w = self.w;
        let rng = &mut self.rng;

        // Timestamp: never earlier than the previous line; millisecond resolution.
        let t = self.clock.micros_at(progress).max(self.last_micros);
        self.last_micros = t;
        let abs_ms = DAY_START * 1000 + t / 1000;

        let client = w.client_table.sample(rng);
        let roll = rng.index(100_000);
        let target = if roll < AI_PER_100K {
            Target::Ai(w.ai_table.sample(rng))
        } else if roll < AI_PER_100K + TRAP_PER_100K {
            Target::Trap(w.trap_table.sample(rng))
        } else {
            Target::Ordinary(w.host_table.sample(rng))
        };
        let host = match target {
            Target::Ordinary(i) => &w.hosts[i],
            Target::Ai(i) => &w.ai_hosts[i],
            Target::Trap(i) => &w.traps[i],
        };

        // Decide the request: method, URL form, result, size, duration, content type.
        enum Url<'a> {
            Connect,
            Http {
                https: bool,
                path: &'a str,
                extra_query: bool,
            },
        }
        let mut denied_ai = false;
        let (method, url, tag, status, bytes, elapsed, mime): (
            &str,
            Url,
            &str,
            u16,
            u64,
            u64,
            &str,
        );
        match target {
            Target::Ai(i) => {
                let svc = &AI[i];
                if rng.chance(svc.denied_permille) {
                    denied_ai = true;
                    method = "CONNECT";
                    url = Url::Connect;
                    (tag, status, bytes, elapsed, mime) = (
                        "TCP_DENIED",
                        403,
                        rng.range(3_850, 4_150),
                        rng.range(0, 2),
                        "text/html",
                    );
                } else if rng.chance(800) {
                    method = "CONNECT";
                    url = Url::Connect;
                    (tag, status, mime) = ("TCP_TUNNEL", 200, "-");
                    bytes = rng.pareto(3_000.0, 0.9, 400_000_000);
                    elapsed = rng.pareto(400.0, 0.8, 3_600_000);
                } else {
                    // Seen in the clear by a TLS-bumping proxy.
                    let (m, p, mt) = rng.pick(svc.paths);
                    method = m;
                    url = Url::Http {
                        https: true,
                        path: p,
                        extra_query: false,
                    };
                    (tag, status, mime) = ("TCP_MISS", 200, mt);
                    bytes = rng.pareto(900.0, 1.1, 50_000_000);
                    elapsed = rng.pareto(150.0, 0.9, 600_000);
                }
            }
            _ => {
                let connect_permille = if host.plain_http { 720 } else { 900 };
                if rng.chance(connect_permille) {
                    method = "CONNECT";
                    url = Url::Connect;
                    match rng.index(1000) {
                        0..=29 => {
                            (tag, status, bytes, elapsed, mime) =
                                ("TCP_DENIED", 407, rng.range(3_900, 4_100), 0, "text/html")
                        }
                        30..=44 => {
                            (tag, status, bytes, elapsed, mime) = (
                                "TCP_DENIED",
                                403,
                                rng.range(3_850, 4_150),
                                rng.range(0, 2),
                                "text/html",
                            )
                        }
                        _ => {
                            (tag, status, mime) = ("TCP_TUNNEL", 200, "-");
                            bytes = rng.pareto(700.0, 0.85, 2_000_000_000);
                            elapsed = rng.pareto(60.0, 0.75, 3_600_000);
                        }
                    }
                } else {
                    let p = &w.paths[rng.index(w.paths.len())];
                    let https = !host.plain_http || rng.chance(300);
                    method = if p.post {
                        "POST"
                    } else if rng.chance(8) {
                        "HEAD"
                    } else {
                        "GET"
                    };
                    url = Url::Http {
                        https,
                        path: &p.text,
                        extra_query: p.mime != Mime::Octet && rng.chance(120),
                    };
                    let cacheable = !p.post && p.mime != Mime::Json && p.mime != Mime::Html;
                    let r = rng.index(1000);
                    (tag, status, bytes, elapsed, mime) = match r {
                        0..=39 => ("TCP_DENIED", 407, rng.range(3_900, 4_100), 0, "text/html"),
                        40..=54 => (
                            "TCP_DENIED",
                            403,
                            rng.range(3_850, 4_150),
                            rng.range(0, 2),
                            "text/html",
                        ),
                        55..=94 => (
                            "TCP_MISS",
                            404,
                            rng.range(350, 2_500),
                            rng.pareto(20.0, 1.2, 30_000),
                            "text/html",
                        ),
                        95..=106 => (
                            "TCP_MISS",
                            503,
                            rng.range(3_900, 4_300),
                            rng.range(30_000, 60_500),
                            "text/html",
                        ),
                        107..=146 => (
                            "TCP_MISS",
                            if rng.chance(600) { 302 } else { 301 },
                            rng.range(300, 900),
                            rng.pareto(15.0, 1.2, 10_000),
                            "text/html",
                        ),
                        147..=161 => (
                            "TCP_MISS",
                            204,
                            rng.range(250, 400),
                            rng.pareto(10.0, 1.2, 10_000),
                            "-",
                        ),
                        162..=171 => (
                            "TCP_MISS_ABORTED",
                            0,
                            0,
                            rng.pareto(50.0, 0.9, 120_000),
                            "-",
                        ),
                        172..=281 if cacheable => (
                            "TCP_REFRESH_UNMODIFIED",
                            304,
                            rng.range(250, 520),
                            rng.pareto(15.0, 1.1, 20_000),
                            p.mime.as_str(),
                        ),
                        282..=431 if cacheable => {
                            let tag = if rng.chance(300) {
                                "TCP_MEM_HIT"
                            } else {
                                "TCP_HIT"
                            };
                            (
                                tag,
                                200,
                                rng.pareto(400.0, 1.1, 50_000_000),
                                rng.range(0, 3),
                                p.mime.as_str(),
                            )
                        }
                        _ => (
                            "TCP_MISS",
                            200,
                            rng.pareto(400.0, 1.05, 500_000_000),
                            rng.pareto(12.0, 1.0, 300_000),
                            p.mime.as_str(),
                        ),
                    };
                }
            }
        }

        // %ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt
        push_u64(buf, abs_ms / 1000);
        buf.push(b'.');
        let ms = abs_ms % 1000;
        buf.extend_from_slice(&[
            b'0' + (ms / 100) as u8,
            b'0' + (ms / 10 % 10) as u8,
            b'0' + (ms % 10) as u8,
        ]);
        buf.push(b' ');
        push_padded(buf, elapsed, 6);
        buf.push(b' ');
        buf.extend_from_slice(w.clients[client].as_bytes());
        buf.push(b' ');
        buf.extend_from_slice(tag.as_bytes());
        buf.push(b'/');
        buf.extend_from_slice(&[
            b'0' + (status / 100) as u8,
            b'0' + (status / 10 % 10) as u8,
            b'0' + (status % 10) as u8,
        ]);
        buf.push(b' ');
        push_u64(buf, bytes);
        buf.push(b' ');
        buf.extend_from_slice(method.as_bytes());
        buf.push(b' ');
        match url {
            Url::Connect => {
                buf.extend_from_slice(host.name.as_bytes());
                buf.extend_from_slice(host.port.as_bytes());
            }
            Url::Http {
                https,
                path,
                extra_query,
            } => {
                buf.extend_from_slice(if https { b"https://" } else { b"http://" });
                buf.extend_from_slice(host.name.as_bytes());
                buf.extend_from_slice(path.as_bytes());
                if extra_query {
                    // jQuery-style cache buster: epoch milliseconds.
                    buf.extend_from_slice(if path.contains('?') { b"&_=" } else { b"?_=" });
                    push_u64(buf, abs_ms - rng.range(0, 900_000));
                }
            }
        }
        buf.push(b' ');
        // %[un: proxy auth user; 407 challenges never carry one, ~70 % of lines show "-".
        if status != 407 && rng.chance(300) {
            buf.extend_from_slice(w.client_user[client].as_bytes());
        } else {
            buf.push(b'-');
        }
        buf.push(b' ');
        if tag == "TCP_DENIED" || tag == "TCP_HIT" || tag == "TCP_MEM_HIT" {
            buf.extend_from_slice(b"HIER_NONE/-");
        } else {
            buf.extend_from_slice(b"HIER_DIRECT/");
            buf.extend_from_slice(host.ip.as_bytes());
        }
        buf.push(b' ');
        buf.extend_from_slice(mime.as_bytes());
        buf.push(b'\n');

        LineInfo {
            target,
            denied: denied_ai,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

struct Args {
    bytes: u64,
    seed: u64,
    out: String,
}

const USAGE: &str = "usage: gen-squid-bench --bytes N[K|M|G] [--seed N] --out FILE|-

Writes a synthetic Squid native access.log of at most N bytes (whole lines; K/M/G are
binary multiples). Same --bytes and --seed give the same file. Prints a ground truth
(lines per AI host, look-alike traps) on stderr.";

fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        None => (s, 1u64),
        Some((i, _)) => {
            let mult = match s[i..].to_ascii_lowercase().as_str() {
                "k" | "kb" | "kib" => 1 << 10,
                "m" | "mb" | "mib" => 1 << 20,
                "g" | "gb" | "gib" => 1 << 30,
                _ => return None,
            };
            (&s[..i], mult)
        }
    };
    num.parse::<u64>().ok()?.checked_mul(mult)
}

fn parse_args() -> Result<Args, String> {
    let mut bytes = None;
    let mut seed = 42;
    let mut out = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let (key, inline) = match a.split_once('=') {
            Some((k, v)) if k.starts_with("--") => (k.to_owned(), Some(v.to_owned())),
            _ => (a.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or(format!("{name} needs a value"))
        };
        match key.as_str() {
            "--bytes" => {
                let v = value("--bytes")?;
                bytes = Some(parse_size(&v).ok_or(format!("bad size: {v}"))?);
            }
            "--seed" => {
                let v = value("--seed")?;
                seed = v.parse().map_err(|_| format!("bad seed: {v}"))?;
            }
            "--out" | "-o" => out = Some(value("--out")?),
            "-h" | "--help" => {
                let _ = writeln!(io::stdout(), "{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument: {other}")),
        }
    }
    Ok(Args {
        bytes: bytes.ok_or("--bytes is required")?,
        seed,
        out: out.ok_or("--out is required")?,
    })
}

fn run(args: &Args) -> io::Result<Truth> {
    let mut out: Box<dyn Write + Send> = if args.out == "-" {
        Box::new(io::stdout())
    } else {
        Box::new(File::create(&args.out)?)
    };

    // The world depends only on the seed; the line stream uses a separate generator.
    let world = World::new(&mut Rng::new(args.seed));
    let mut g = Gen {
        w: &world,
        rng: Rng::new(args.seed ^ 0x5eed_5eed_5eed_5eed),
        clock: Clock::new(),
        last_micros: 0,
    };
    let mut truth = Truth {
        ai: vec![(0, 0); AI.len()],
        traps: vec![0; TRAPS.len()],
        ..Default::default()
    };

    // Lines are built into 4 MiB chunks; a writer thread writes one chunk while the next is
    // built, and hands emptied chunks back so only a few are ever allocated.
    const CHUNK: usize = 4 << 20;
    let (full_tx, full_rx) = mpsc::sync_channel::<Vec<u8>>(2);
    let (empty_tx, empty_rx) = mpsc::channel::<Vec<u8>>();
    let writer = thread::spawn(move || -> io::Result<()> {
        for chunk in full_rx {
            out.write_all(&chunk)?;
            let mut chunk = chunk;
            chunk.clear();
            let _ = empty_tx.send(chunk);
        }
        out.flush()
    });

    let limit = args.bytes;
    let mut written: u64 = 0; // bytes of accepted lines
    let inv = 1.0 / limit.max(1) as f64;
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + 4096);
    let mut send_failed = false;
    loop {
        let start = buf.len();
        let info = g.line(&mut buf, written as f64 * inv);
        let len = (buf.len() - start) as u64;
        if written + len > limit {
            buf.truncate(start);
            break;
        }
        written += len;
        truth.lines += 1;
        match info.target {
            Target::Ai(i) => {
                truth.ai[i].0 += 1;
                truth.ai[i].1 += u64::from(info.denied);
            }
            Target::Trap(i) => truth.traps[i] += 1,
            Target::Ordinary(_) => {}
        }
        if buf.len() >= CHUNK {
            let next = empty_rx
                .try_recv()
                .unwrap_or_else(|_| Vec::with_capacity(CHUNK + 4096));
            if full_tx.send(std::mem::replace(&mut buf, next)).is_err() {
                send_failed = true; // the writer stopped on an error; join() reports it
                break;
            }
        }
    }
    if !send_failed && !buf.is_empty() {
        let _ = full_tx.send(buf);
    }
    drop(full_tx);
    writer
        .join()
        .map_err(|_| io::Error::other("writer thread panicked"))??;
    truth.bytes = written;
    Ok(truth)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("gen-squid-bench: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let truth = match run(&args) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("gen-squid-bench: {}: {e}", args.out);
            return ExitCode::FAILURE;
        }
    };
    let secs = started.elapsed().as_secs_f64();

    let ai_lines: u64 = truth.ai.iter().map(|a| a.0).sum();
    let ai_denied: u64 = truth.ai.iter().map(|a| a.1).sum();
    let mut e = io::stderr().lock();
    let _ = writeln!(
        e,
        "# gen-squid-bench: seed {} -> {}: {} lines, {} bytes in {:.2} s ({:.0} MB/s)",
        args.seed,
        args.out,
        truth.lines,
        truth.bytes,
        secs,
        truth.bytes as f64 / 1e6 / secs.max(1e-9)
    );
    let _ = writeln!(e, "lines\t{}", truth.lines);
    let _ = writeln!(e, "bytes\t{}", truth.bytes);
    let _ = writeln!(e, "ai_lines\t{ai_lines}");
    let _ = writeln!(e, "ai_denied\t{ai_denied}");
    for (svc, (n, d)) in AI.iter().zip(&truth.ai) {
        let _ = writeln!(e, "ai\t{}\t{n}\t{d}", svc.host);
    }
    for (t, n) in TRAPS.iter().zip(&truth.traps) {
        let _ = writeln!(e, "trap\t{}\t{n}", t.0);
    }
    ExitCode::SUCCESS
}
