//! Packet captures end to end: captures of real AI clients (recorded by
//! tests/data/pcap/ai/record.sh in a network namespace) scanned by the binary. Every
//! expected number is tshark 4.0.17's, from the `.tshark.tsv` (packets: DNS questions, TLS
//! and QUIC server names, HTTP requests) and `.flows.tsv` (payload bytes per flow and
//! direction) files beside each capture; the commands are in their first lines.
//!
//! Bytes per flow are TCP segment data and UDP payload, as tshark sums them:
//!   tshark -r F -T fields -e tcp.stream -e udp.stream -e ip.src -e tcp.srcport -e tcp.len \
//!       -e udp.length | awk '{ sum per stream and direction of tcp.len, udp.length - 8 }'
//! Evidence times are tshark's frame.time_epoch (the captures have microsecond stamps).

use crate::util::{data, run, s};
use serde_json::{Value, json};
use shadow_ai::time::Timestamp;
use std::path::Path;
use std::process::Output;

const CLIENTS: &str = "pcap/ai/clients.pcap";
const CHROMIUM: &str = "pcap/ai/chromium.pcapng";

/// tshark's frame.time_epoch ("1795799107.354676000") as the scanner writes times.
fn epoch(t: &str) -> String {
    let (sec, frac) = t.split_once('.').unwrap_or((t, "0"));
    let frac = format!("{frac:0<6}");
    let us: i64 = sec.parse::<i64>().unwrap() * 1_000_000 + frac[..6].parse::<i64>().unwrap();
    Timestamp(us).to_string()
}

/// `shadow-ai scan --no-state --fail-on never --format-out json ARGS`: the process output
/// and the JSON document.
fn scan(args: &[&str], stdin: Option<&[u8]>) -> (Output, Value) {
    let mut all = vec![
        "scan",
        "--no-state",
        "--fail-on",
        "never",
        "--format-out",
        "json",
    ];
    all.extend_from_slice(args);
    let out = run(&all, stdin);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document: {e}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, doc)
}

/// One expected finding.
struct Want {
    service: &'static str,
    subject: &'static str,
    events: u64,
    dns_responses: u64,
    /// (bytes_out, bytes_in): client to server and back, tshark's sums for the flows.
    bytes: Option<(u64, u64)>,
    observed_as: &'static [&'static str],
    /// (packet number, tshark frame.time_epoch) = (frame.number, frame.time_epoch).
    evidence: &'static [(u64, &'static str)],
    actions: &'static [(&'static str, u64)],
    /// (field, value, indicator, events).
    matched: &'static [(&'static str, &'static str, &'static str, u64)],
}

fn ids(findings: &[Value]) -> Vec<(String, String)> {
    findings
        .iter()
        .map(|f| {
            (
                f["service"]["id"].as_str().unwrap().to_string(),
                f["subject"]["value"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Asserts the findings are exactly `want`, in order, field by field.
fn check_findings(doc: &Value, file: &str, want: &[Want]) {
    let findings = doc["findings"].as_array().unwrap();
    let expect: Vec<(String, String)> = want
        .iter()
        .map(|w| (w.service.to_string(), w.subject.to_string()))
        .collect();
    assert_eq!(ids(findings), expect);
    for (f, w) in findings.iter().zip(want) {
        let at = format!("{}/{}", w.service, w.subject);
        assert_eq!(f["subject"]["kind"], "client", "{at}");
        assert_eq!(f["events"], w.events, "{at} events");
        assert_eq!(f["dns_responses"], w.dns_responses, "{at} dns_responses");
        let bytes = f["bytes_out"].as_u64().zip(f["bytes_in"].as_u64());
        assert_eq!(bytes, w.bytes, "{at} bytes");
        if w.bytes.is_none() {
            assert!(f["bytes_out"].is_null() && f["bytes_in"].is_null(), "{at}");
        }
        assert_eq!(f["observed_as"], json!(w.observed_as), "{at} observed_as");
        let ev: Vec<(u64, String, String)> = f["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                assert!(e.get("line").is_none(), "{at}: a packet has no line");
                (
                    e["packet"].as_u64().unwrap(),
                    e["time"].as_str().unwrap().to_string(),
                    e["file"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let want_ev: Vec<(u64, String, String)> = w
            .evidence
            .iter()
            .map(|(p, t)| (*p, epoch(t), file.to_string()))
            .collect();
        assert_eq!(ev, want_ev, "{at} evidence");
        let first = epoch(w.evidence.first().unwrap().1);
        let last = epoch(w.evidence.last().unwrap().1);
        assert_eq!(f["first_seen"], first, "{at} first_seen");
        assert_eq!(f["last_seen"], last, "{at} last_seen");
        let actions: serde_json::Map<String, Value> = w
            .actions
            .iter()
            .map(|(k, n)| (k.to_string(), json!(n)))
            .collect();
        assert_eq!(f["actions"], Value::Object(actions), "{at} actions");
        let matched: Vec<(&str, &str, &str, u64)> = f["matched"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["field"].as_str().unwrap(),
                    m["value"].as_str().unwrap(),
                    m["indicator"].as_str().unwrap(),
                    m["events"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(matched, w.matched, "{at} matched");
    }
}

const DNS: &[&str] = &["dns_query", "dns_response"];
const UNKNOWN2: &[(&str, u64)] = &[("unknown", 2)];
const UNKNOWN1: &[(&str, u64)] = &[("unknown", 1)];

/// clients.pcap, all of it (tshark frame numbers; streams are tshark's tcp.stream).
fn clients_findings() -> Vec<Want> {
    vec![
        // Stream 3: curl's POST /v1/chat/completions, Host api.anthropic.com, User-Agent
        // OpenAI/Python 1.54.0 (frame 60); 229 bytes out, 555 in.
        Want {
            service: "anthropic-api",
            subject: "127.0.0.21",
            events: 1,
            dns_responses: 0,
            bytes: Some((229, 555)),
            observed_as: &["http_request"],
            evidence: &[(60, "1795799107.354676000")],
            actions: UNKNOWN1,
            matched: &[("host", "api.anthropic.com", "host:api.anthropic.com", 1)],
        },
        // dig +tcp claude.ai: query frame 16, response frame 18 (tcp.stream 0).
        Want {
            service: "anthropic-claude",
            subject: "127.0.0.10",
            events: 1,
            dns_responses: 1,
            bytes: None,
            observed_as: DNS,
            evidence: &[(16, "1795799107.101078000"), (18, "1795799107.104264000")],
            actions: UNKNOWN2,
            matched: &[("host", "claude.ai", "domain:claude.ai", 2)],
        },
        // dig chat.deepseek.com: dnsmasq answers 0.0.0.0 (a sinkhole), so blocked.
        Want {
            service: "deepseek-chat",
            subject: "127.0.0.10",
            events: 1,
            dns_responses: 1,
            bytes: None,
            observed_as: DNS,
            evidence: &[(5, "1795799106.998182000"), (6, "1795799106.998330000")],
            actions: &[("blocked", 1), ("unknown", 1)],
            matched: &[("host", "chat.deepseek.com", "host:chat.deepseek.com", 2)],
        },
        // Stream 9: GET /v1/chat/completions to the look-alike openai.com.evil.example
        // (frame 180). The path alone is an OpenAI-compatible API's; the host matches
        // nothing.
        Want {
            service: "generic-openai-compatible-api",
            subject: "127.0.0.23",
            events: 1,
            dns_responses: 0,
            bytes: Some((106, 520)),
            observed_as: &["http_request"],
            evidence: &[(180, "1795799107.670563000")],
            actions: UNKNOWN1,
            matched: &[(
                "path",
                "/v1/chat/completions",
                "path:/v1/chat/completions",
                1,
            )],
        },
        // kdig +tcp +keepopen: two queries in one connection (tcp.stream 1), the first.
        Want {
            service: "google-gemini",
            subject: "127.0.0.11",
            events: 1,
            dns_responses: 1,
            bytes: None,
            observed_as: DNS,
            evidence: &[(26, "1795799107.123254000"), (28, "1795799107.123318000")],
            actions: UNKNOWN2,
            matched: &[("host", "gemini.google.com", "domain:gemini.google.com", 2)],
        },
        // Stream 6: two requests in one HTTP/1.1 connection (frames 118 and 124); the
        // first carries the flow's bytes (200 out, 456 in).
        Want {
            service: "mistral-api",
            subject: "127.0.0.24",
            events: 2,
            dns_responses: 0,
            bytes: Some((200, 456)),
            observed_as: &["http_request"],
            evidence: &[(118, "1795799107.496170000"), (124, "1795799107.501531000")],
            actions: UNKNOWN2,
            matched: &[("host", "api.mistral.ai", "host:api.mistral.ai", 2)],
        },
        // kdig's second query in the same TCP connection.
        Want {
            service: "mistral-le-chat",
            subject: "127.0.0.11",
            events: 1,
            dns_responses: 1,
            bytes: None,
            observed_as: DNS,
            evidence: &[(30, "1795799107.123363000"), (31, "1795799107.123405000")],
            actions: UNKNOWN2,
            matched: &[("host", "chat.mistral.ai", "host:chat.mistral.ai", 2)],
        },
        // Stream 4: openssl s_client -noservername to 127.0.2.1, which frame 31 gave for
        // chat.mistral.ai: passive DNS names it; evidence is the flow's first packet (SYN).
        Want {
            service: "mistral-le-chat",
            subject: "127.0.0.22",
            events: 1,
            dns_responses: 0,
            bytes: Some((441, 7141)),
            observed_as: &["connection"],
            evidence: &[(70, "1795799107.445990000")],
            actions: UNKNOWN1,
            matched: &[("host", "chat.mistral.ai", "host:chat.mistral.ai", 1)],
        },
        Want {
            service: "openai-api",
            subject: "127.0.0.10",
            events: 1,
            dns_responses: 1,
            bytes: None,
            observed_as: DNS,
            evidence: &[(1, "1795799106.937671000"), (2, "1795799106.940256000")],
            actions: UNKNOWN2,
            matched: &[("host", "api.openai.com", "host:api.openai.com", 2)],
        },
        // Stream 2: curl TLS 1.3, SNI api.openai.com in the ClientHello (frame 38).
        Want {
            service: "openai-api",
            subject: "127.0.0.21",
            events: 1,
            dns_responses: 0,
            bytes: Some((730, 6320)),
            observed_as: &["tls_server_name"],
            evidence: &[(38, "1795799107.337673000")],
            actions: UNKNOWN1,
            matched: &[("host", "api.openai.com", "host:api.openai.com", 1)],
        },
        // dig chatgpt.com AAAA (answer fd00::6).
        Want {
            service: "openai-chatgpt",
            subject: "127.0.0.10",
            events: 1,
            dns_responses: 1,
            bytes: None,
            observed_as: DNS,
            evidence: &[(3, "1795799106.967684000"), (4, "1795799106.967766000")],
            actions: UNKNOWN2,
            matched: &[("host", "chatgpt.com", "domain:chatgpt.com", 2)],
        },
        // Stream 5: curl to https://[fd00::6]/ (no SNI for an address literal), named by
        // the AAAA answer of frame 4; evidence is the SYN.
        Want {
            service: "openai-chatgpt",
            subject: "fd00::23",
            events: 1,
            dns_responses: 0,
            bytes: Some((442, 6320)),
            observed_as: &["connection"],
            evidence: &[(93, "1795799107.470461000")],
            actions: UNKNOWN1,
            matched: &[("host", "chatgpt.com", "domain:chatgpt.com", 1)],
        },
    ]
}

/// The counts of one input and of the totals.
fn check_counts(doc: &Value, records: u64, matched: u64, skipped: u64, observations: u64) {
    let input = &doc["summary"]["inputs"][0];
    for c in [input, &doc["summary"]["totals"]] {
        assert_eq!(c["records"], records);
        assert_eq!(c["matched"], matched);
        assert_eq!(c["unmatched"], records - matched - skipped);
        assert_eq!(c["skipped"], skipped);
        assert_eq!(c["observations"], observations);
        assert_eq!(c["lines"], 0);
    }
}

/// Names that must never be matched: look-alikes, an ordinary site, Chromium's updater.
const NOT_AI: &[&str] = &[
    "notchatgpt.com",
    "openai.com.evil.example",
    "www.example.org",
    "update.googleapis.com",
];

fn assert_no_lookalike(doc: &Value) {
    for f in doc["findings"].as_array().unwrap() {
        for m in f["matched"].as_array().unwrap() {
            let v = m["value"].as_str().unwrap();
            assert!(!NOT_AI.contains(&v), "look-alike matched: {m}");
        }
    }
}

#[test]
fn clients_pcap_gives_tsharks_names_bytes_and_packets() {
    let path = data(CLIENTS);
    let (out, doc) = scan(&[&s(&path)], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    check_findings(&doc, &s(&path), &clients_findings());
    assert_no_lookalike(&doc);
    // The look-alikes' DNS questions (frames 9-12), their TLS (stream 7, SNI
    // notchatgpt.com, frame 135; stream 8 without SNI to notchatgpt.com's address) and
    // www.example.org (stream 10) are evidence of nothing.
    let evidence: Vec<u64> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["evidence"].as_array().unwrap().clone())
        .map(|e| e["packet"].as_u64().unwrap())
        .collect();
    for p in [7, 8, 9, 10, 11, 12, 132, 135, 154, 157, 189, 192] {
        assert!(!evidence.contains(&p), "packet {p} is evidence");
    }
    // 200 frames (capinfos); matched packets: 12 DNS, ClientHello 38, requests 60, 118,
    // 124, 180 and the SYNs 70, 93 of the connections passive DNS named.
    check_counts(&doc, 200, 19, 0, 28);
    let input = &doc["summary"]["inputs"][0];
    assert_eq!(input["status"], "scanned");
    assert_eq!(input["format"], "capture.pcap");
    assert_eq!(input["compression"], "none");
    assert_eq!(input["bytes_read"], 56101);
    assert_eq!(input["bytes_decoded"], 56101);
    assert_eq!(
        input["capture"],
        json!({
            // tshark's tcp.stream 0-10; DNS over UDP is no flow.
            "flows": 11,
            "flows_evicted": 0,
            // 9 questions and 9 answers: 6 over UDP, 3 over TCP.
            "dns_messages": 18,
            "dns_malformed": 0,
            // Streams 2, 4, 5, 7, 8.
            "tls_client_hellos": 5,
            "tls_unreadable": 0,
            // Frames 60, 118, 124, 180, 192.
            "http_requests": 5,
            "quic_initials": 0,
            "quic_client_hellos": 0,
            "quic_unknown_version": 0,
            "quic_undecryptable": 0,
            // Streams 4 (chat.mistral.ai), 5 (chatgpt.com), 8 (notchatgpt.com).
            "named_by_dns_answer": 3,
            "dns_addresses_evicted": 0
        })
    );
    assert_eq!(doc["summary"]["totals"]["findings"], 12);
}

#[test]
fn findings_fail_the_run_by_default() {
    let out = run(
        &[
            "scan",
            "--no-state",
            "--format-out",
            "json",
            &s(data(CLIENTS)),
        ],
        None,
    );
    // deepseek-chat is blocked_but_used under the built-in policy.
    assert_eq!(out.status.code(), Some(1));
}

/// Every packet the scanner cites is one tshark names (a DNS question, a ClientHello, an
/// HTTP request) or the first packet of a flow, at tshark's time for it.
#[test]
fn evidence_is_at_tsharks_frames_and_times() {
    for (rel, min) in [(CLIENTS, 12usize), (CHROMIUM, 1)] {
        let path = data(rel);
        let tsv = |ext: &str| {
            let p = format!("{}.{ext}", path.display());
            std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
        };
        // frame -> epoch, from both oracle files.
        let mut frames = std::collections::BTreeMap::new();
        for l in tsv("tshark.tsv").lines().skip(2) {
            let c: Vec<&str> = l.split('\t').collect();
            frames.insert(c[0].parse::<u64>().unwrap(), epoch(c[1]));
        }
        for l in tsv("flows.tsv").lines().skip(2) {
            let c: Vec<&str> = l.split('\t').collect();
            frames.insert(c[2].parse::<u64>().unwrap(), epoch(c[3]));
        }
        let (_, doc) = scan(&[&s(&path)], None);
        let mut n = 0;
        for f in doc["findings"].as_array().unwrap() {
            for e in f["evidence"].as_array().unwrap() {
                let p = e["packet"].as_u64().unwrap();
                assert_eq!(
                    frames.get(&p),
                    e["time"].as_str().map(str::to_string).as_ref(),
                    "{rel} packet {p}"
                );
                n += 1;
            }
        }
        assert!(n >= min, "{rel}: {n} evidence packets");
    }
}

/// Flow byte counts equal tshark's per-stream payload sums.
#[test]
fn flow_bytes_are_tsharks() {
    let path = data(CLIENTS);
    let flows = std::fs::read_to_string(format!("{}.flows.tsv", path.display())).unwrap();
    let (_, doc) = scan(&[&s(&path)], None);
    // (service, subject, tshark's tcp.stream whose bytes the finding reports).
    for (service, subject, stream) in [
        ("openai-api", "127.0.0.21", "2"),
        ("anthropic-api", "127.0.0.21", "3"),
        ("mistral-le-chat", "127.0.0.22", "4"),
        ("openai-chatgpt", "fd00::23", "5"),
        ("mistral-api", "127.0.0.24", "6"),
        ("generic-openai-compatible-api", "127.0.0.23", "9"),
    ] {
        let row: Vec<&str> = flows
            .lines()
            .find(|l| l.starts_with(&format!("tcp\t{stream}\t")))
            .unwrap()
            .split('\t')
            .collect();
        let f = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["service"]["id"] == service && f["subject"]["value"] == subject)
            .unwrap();
        assert!(row[4].starts_with(subject) || row[4].starts_with(&format!("[{subject}]")));
        assert_eq!(
            f["bytes_out"].to_string(),
            row[7],
            "{service} stream {stream}"
        );
        assert_eq!(
            f["bytes_in"].to_string(),
            row[8],
            "{service} stream {stream}"
        );
    }
}

#[test]
fn chromium_pcapng_tls_over_tcp() {
    let path = data(CHROMIUM);
    let (out, doc) = scan(&[&s(&path)], None);
    assert_eq!(out.status.code(), Some(0));
    // Chromium's ClientHellos carry an X25519MLKEM768 key share and span two segments
    // (frames 13+14, 20+21); tshark reads SNI claude.ai at frames 14 and 21 (tcp.stream 2,
    // 3: 1917 + 1949 bytes out, nothing back from the silent server).
    let claude = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["service"]["id"] == "anthropic-claude")
        .expect("claude.ai over TLS");
    assert_eq!(claude["subject"]["value"], "127.0.0.1");
    assert_eq!(claude["events"], 2);
    assert_eq!(claude["bytes_out"], 1917 + 1949);
    assert_eq!(claude["bytes_in"], 0);
    assert_eq!(claude["observed_as"], json!(["tls_server_name"]));
    let ev: Vec<(u64, &str)> = claude["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["packet"].as_u64().unwrap(), e["time"].as_str().unwrap()))
        .collect();
    assert_eq!(
        ev,
        [
            (14, epoch("1795799110.161668000").as_str()),
            (21, epoch("1795799110.199930000").as_str())
        ]
    );
    // The updater's TLS (SNI update.googleapis.com, frames 7 and 36) is no AI service.
    assert_no_lookalike(&doc);
    let input = &doc["summary"]["inputs"][0];
    assert_eq!(input["format"], "capture.pcapng");
    assert_eq!(input["records"], 45);
    assert_eq!(input["skipped"], 0);
    let cap = &input["capture"];
    // tcp.stream 0-5 and udp.stream 0.
    assert_eq!(cap["flows"], 7);
    // Streams 1, 2, 3, 5.
    assert_eq!(cap["tls_client_hellos"], 4);
    assert_eq!(cap["tls_unreadable"], 0);
    assert_eq!(cap["dns_messages"], 0);
    assert_eq!(cap["named_by_dns_answer"], 0);
}

/// QUIC v1 to gemini.google.com: Chromium's ClientHello spans the client Initials of
/// frames 39 and 40 (CRYPTO frames out of order among PING and PADDING); tshark decrypts
/// them and reads SNI gemini.google.com at frame 40. udp.stream 0: 5 datagrams of 1250
/// bytes out, nothing back.
#[test]
fn chromium_pcapng_quic_initials() {
    let path = data(CHROMIUM);
    let (out, doc) = scan(&[&s(&path)], None);
    assert_eq!(out.status.code(), Some(0));
    check_findings(
        &doc,
        &s(&path),
        &[
            Want {
                service: "anthropic-claude",
                subject: "127.0.0.1",
                events: 2,
                dns_responses: 0,
                bytes: Some((1917 + 1949, 0)),
                observed_as: &["tls_server_name"],
                evidence: &[(14, "1795799110.161668000"), (21, "1795799110.199930000")],
                actions: UNKNOWN2,
                matched: &[("host", "claude.ai", "domain:claude.ai", 2)],
            },
            Want {
                service: "google-gemini",
                subject: "127.0.0.1",
                events: 1,
                dns_responses: 0,
                bytes: Some((6250, 0)),
                observed_as: &["tls_server_name"],
                evidence: &[(40, "1795799114.129711000")],
                actions: UNKNOWN1,
                matched: &[("host", "gemini.google.com", "domain:gemini.google.com", 1)],
            },
        ],
    );
    // Matched packets 14, 21, 40; observations: 4 TLS, 1 QUIC.
    check_counts(&doc, 45, 3, 0, 5);
    assert_eq!(
        doc["summary"]["inputs"][0]["capture"],
        json!({
            "flows": 7,
            "flows_evicted": 0,
            "dns_messages": 0,
            "dns_malformed": 0,
            "tls_client_hellos": 4,
            "tls_unreadable": 0,
            "http_requests": 0,
            // Frames 39 and 40: the ClientHello is whole after the second.
            "quic_initials": 2,
            "quic_client_hellos": 1,
            "quic_unknown_version": 0,
            "quic_undecryptable": 0,
            "named_by_dns_answer": 0,
            "dns_addresses_evicted": 0
        })
    );
}

fn gzip(b: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

/// Scans clients.pcap as given (a path, or `-` with `stdin`) and expects what the plain file
/// gives, read through `compression` from `read` bytes.
fn same_as_clients(
    args: &[&str],
    stdin: Option<&[u8]>,
    file: &str,
    compression: &str,
    read: usize,
) {
    let (out, doc) = scan(args, stdin);
    assert_eq!(out.status.code(), Some(0), "{file} {compression}");
    check_findings(&doc, file, &clients_findings());
    check_counts(&doc, 200, 19, 0, 28);
    let input = &doc["summary"]["inputs"][0];
    assert_eq!(input["path"], file);
    assert_eq!(input["format"], "capture.pcap");
    assert_eq!(input["compression"], compression);
    assert_eq!(input["bytes_read"], read);
    assert_eq!(input["bytes_decoded"], 56101);
    assert_eq!(input["capture"]["named_by_dns_answer"], 3);
}

#[test]
fn gzipped_and_stdin_captures_read_the_same() {
    let raw = std::fs::read(data(CLIENTS)).unwrap();
    let gz = gzip(&raw);
    let dir = tempfile::tempdir().unwrap();
    let gz_path = s(dir.path().join("clients.pcap.gz"));
    std::fs::write(&gz_path, &gz).unwrap();
    same_as_clients(&[&gz_path], None, &gz_path, "gzip", gz.len());
    same_as_clients(&["-"], Some(&gz), "<stdin>", "gzip", gz.len());
    same_as_clients(&["-"], Some(&raw), "<stdin>", "none", raw.len());
    // The pcapng through stdin too.
    let ng = std::fs::read(data(CHROMIUM)).unwrap();
    let (out, doc) = scan(&["-"], Some(&ng));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(doc["summary"]["inputs"][0]["format"], "capture.pcapng");
    assert_eq!(doc["summary"]["inputs"][0]["records"], 45);
    assert_eq!(doc["findings"][0]["evidence"][0]["file"], "<stdin>");
    assert_eq!(doc["findings"][0]["evidence"][0]["packet"], 14);
}

/// Byte offsets of a pcap file's records (after the 24-byte file header).
fn pcap_records(b: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut off = 24;
    while off + 16 <= b.len() {
        let len = u32::from_le_bytes(b[off + 8..off + 12].try_into().unwrap()) as usize;
        out.push((off, 16 + len));
        off += 16 + len;
    }
    assert_eq!(off, b.len());
    out
}

/// Byte offsets and lengths of a little-endian pcapng file's Enhanced Packet Blocks.
fn pcapng_packets(b: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut off = 0;
    while off + 8 <= b.len() {
        let kind = u32::from_le_bytes(b[off..off + 4].try_into().unwrap());
        let len = u32::from_le_bytes(b[off + 4..off + 8].try_into().unwrap()) as usize;
        if kind == 6 {
            out.push((off, len));
        }
        off += len;
    }
    assert_eq!(off, b.len());
    out
}

fn write_tmp(dir: &Path, name: &str, b: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, b).unwrap();
    s(p)
}

#[test]
fn truncated_capture_counts_the_cut_record_as_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let raw = std::fs::read(data(CLIENTS)).unwrap();
    let recs = pcap_records(&raw);
    assert_eq!(recs.len(), 200);
    // Cut in the middle of packet 120 (the server's first reply of stream 6), which
    // starts at byte 33322.
    let (at, len) = recs[119];
    assert_eq!(at, 33322);
    let cut = at + len / 2;
    let path = write_tmp(dir.path(), "cut.pcap", &raw[..cut]);
    let (out, doc) = scan(&[&path], None);
    assert_eq!(out.status.code(), Some(0));
    let input = &doc["summary"]["inputs"][0];
    assert_eq!(input["status"], "scanned");
    assert_eq!(input["skip_reasons"], json!({"truncated packet record": 1}));
    assert_eq!(
        input["skip_examples"],
        json!([{"offset": 33322, "reason": "truncated packet record"}])
    );
    assert_eq!(input["bytes_read"], cut);
    // 119 packets read and the cut one skipped; the look-alike's request (frame 180) is
    // gone, the keep-alive flow (stream 6) ends at the cut: its first request only, 98
    // bytes out (tshark -r cut.pcap -Y 'tcp.stream == 6' -T fields -e tcp.len: frames
    // 115-119).
    check_counts(&doc, 120, 17, 1, 23);
    let mut want = clients_findings();
    want.retain(|w| w.service != "generic-openai-compatible-api");
    for w in &mut want {
        if w.service == "mistral-api" {
            w.events = 1;
            w.bytes = Some((98, 0));
            w.evidence = &[(118, "1795799107.496170000")];
            w.actions = UNKNOWN1;
            w.matched = &[("host", "api.mistral.ai", "host:api.mistral.ai", 1)];
        }
    }
    check_findings(&doc, &path, &want);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("at byte 33322: truncated packet record"),
        "{stderr}"
    );

    // pcapng: cut inside the last Enhanced Packet Block (packet 45, at byte 18564).
    let ng = std::fs::read(data(CHROMIUM)).unwrap();
    let blocks = pcapng_packets(&ng);
    assert_eq!(blocks.len(), 45);
    let (at, len) = blocks[44];
    assert_eq!(at, 18564);
    let path = write_tmp(dir.path(), "cut.pcapng", &ng[..at + len / 2]);
    let (out, doc) = scan(&[&path], None);
    assert_eq!(out.status.code(), Some(0));
    let input = &doc["summary"]["inputs"][0];
    assert_eq!(input["records"], 45);
    assert_eq!(input["skipped"], 1);
    assert_eq!(
        input["skip_examples"],
        json!([{"offset": 18564, "reason": "truncated pcapng block"}])
    );
    assert_eq!(doc["findings"][0]["service"]["id"], "anthropic-claude");
    assert_eq!(doc["findings"][0]["bytes_out"], 1917 + 1949);
}

#[test]
fn corrupt_record_length_stops_with_its_offset_and_keeps_earlier_findings() {
    let dir = tempfile::tempdir().unwrap();
    let mut raw = std::fs::read(data(CLIENTS)).unwrap();
    // Packet 93 (the SYN of stream 5, at byte 23776) claims 4 GiB.
    let (at, _) = pcap_records(&raw)[92];
    assert_eq!(at, 23776);
    raw[at + 8..at + 12].copy_from_slice(&u32::MAX.to_le_bytes());
    let path = write_tmp(dir.path(), "bad.pcap", &raw);
    let (out, doc) = scan(&[&path], None);
    assert_eq!(out.status.code(), Some(2));
    let msg = "packet record length too large at byte 23776; the rest of the input was not read";
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(msg), "{stderr}");
    let input = &doc["summary"]["inputs"][0];
    assert_eq!(input["error"], msg);
    assert_eq!(doc["summary"]["totals"]["inputs_with_errors"], 1);
    // Packets 1-92 were read: everything before stream 5, whose SYN is the bad record.
    check_counts(&doc, 92, 15, 0, 21);
    let mut want = clients_findings();
    want.retain(|w| {
        !matches!(w.service, "generic-openai-compatible-api" | "mistral-api")
            && w.subject != "fd00::23"
    });
    check_findings(&doc, &path, &want);

    // pcapng: the block of packet 40 (at byte 13168) with an impossible length.
    let mut ng = std::fs::read(data(CHROMIUM)).unwrap();
    let (at, _) = pcapng_packets(&ng)[39];
    assert_eq!(at, 13168);
    ng[at + 4..at + 8].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    let path = write_tmp(dir.path(), "bad.pcapng", &ng);
    let (out, doc) = scan(&[&path], None);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad pcapng block length at byte 13168"),
        "{stderr}"
    );
    assert_eq!(doc["summary"]["inputs"][0]["records"], 39);
    assert_eq!(doc["findings"][0]["service"]["id"], "anthropic-claude");
    assert_eq!(doc["findings"][0]["events"], 2);
}

/// A capture stopped by a bad record after packets were read is read in part, as a log
/// stopped after lines is: "incomplete", not "error" (which is for inputs not read at all).
#[test]
fn corrupt_capture_after_packets_is_incomplete() {
    let dir = tempfile::tempdir().unwrap();
    let mut raw = std::fs::read(data(CLIENTS)).unwrap();
    let (at, _) = pcap_records(&raw)[92];
    raw[at + 8..at + 12].copy_from_slice(&u32::MAX.to_le_bytes());
    let path = write_tmp(dir.path(), "bad.pcap", &raw);
    let (out, doc) = scan(&[&path], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(doc["summary"]["inputs"][0]["status"], "incomplete");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("92 records"), "{stderr}");
}
