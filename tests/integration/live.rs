//! Live capture (`scan --interface`). The session's clock moving without packets is tested
//! in every build; the capture itself, with the `live-capture` feature, runs on the
//! loopback interface of a network namespace the test makes (root and `ip netns` needed).

use shadow_ai::observation::{ObsKind, Observation};
use shadow_ai::parse::capture::link::linktype;
use shadow_ai::parse::capture::reader::Packet;
use shadow_ai::parse::capture::session::{CaptureConfig, PacketRef, Session};
use shadow_ai::time::Timestamp;

/// An IPv4 UDP packet (LINKTYPE_RAW). Checksums are left zero: the decoder does not
/// check them, as no capture tool does.
fn udp(src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16, payload: &[u8]) -> Vec<u8> {
    let total = (20 + 8 + payload.len()) as u16;
    let mut p = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0];
    p[2..4].copy_from_slice(&total.to_be_bytes());
    p.extend_from_slice(&src);
    p.extend_from_slice(&dst);
    p.extend_from_slice(&sport.to_be_bytes());
    p.extend_from_slice(&dport.to_be_bytes());
    p.extend_from_slice(&(8 + payload.len() as u16).to_be_bytes());
    p.extend_from_slice(&[0, 0]);
    p.extend_from_slice(payload);
    p
}

/// A DNS query for `name` (A, IN, recursion desired), RFC 1035 section 4.1.
fn dns_query(id: u16, name: &str) -> Vec<u8> {
    let mut m = id.to_be_bytes().to_vec();
    m.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.split('.') {
        m.push(label.len() as u8);
        m.extend_from_slice(label.as_bytes());
    }
    m.extend_from_slice(&[0, 0, 1, 0, 1]);
    m
}

/// The response to [`dns_query`] with one A record (name compressed to the question).
fn dns_answer(id: u16, name: &str, addr: [u8; 4], ttl: u32) -> Vec<u8> {
    let mut m = dns_query(id, name);
    m[2] = 0x81;
    m[3] = 0x80;
    m[7] = 1;
    m.extend_from_slice(&[0xC0, 12, 0, 1, 0, 1]);
    m.extend_from_slice(&ttl.to_be_bytes());
    m.extend_from_slice(&[0, 4]);
    m.extend_from_slice(&addr);
    m
}

#[test]
fn session_advance_sweeps_idle_flows() {
    const T0: i64 = 1_700_000_000_000_000;
    let client = [10, 0, 0, 7];
    let server = [192, 0, 2, 10];
    let answer = udp(
        [10, 0, 0, 53],
        53,
        client,
        40000,
        &dns_answer(7, "api.openai.com", server, 300),
    );
    // Not QUIC, so the flow has no name of its own: the DNS answer names it at its end.
    let datagram = udp(client, 40001, server, 9999, b"hello");
    let mut seen: Vec<(ObsKind, String, Option<u64>, u64)> = Vec::new();
    let mut sink = |o: &Observation<'_>, at: PacketRef| {
        let host = String::from_utf8_lossy(o.host.unwrap_or_default()).into_owned();
        seen.push((o.kind, host, o.bytes_out, at.number));
        false
    };
    let mut s = Session::new(CaptureConfig::default());
    for (number, us, data) in [(1, T0, &answer), (2, T0 + 1_000_000, &datagram)] {
        let p = Packet {
            number,
            ts: Some(Timestamp(us)),
            link_type: linktype::RAW,
            data,
            orig_len: data.len() as u32,
        };
        assert_eq!(s.packet(&p, &mut sink), Ok(()));
    }
    assert_eq!(s.open_flows(), 1);
    // UDP flows close after 120 s idle: at the last packet's time nothing is idle, and
    // moving the clock back changes nothing.
    s.sweep(&mut sink);
    s.advance(Timestamp(T0));
    s.sweep(&mut sink);
    assert_eq!(s.open_flows(), 1);
    // 121 s after the last packet, with no packet since (a quiet live interface).
    s.advance(Timestamp(T0 + 122_000_000));
    s.sweep(&mut sink);
    assert_eq!(s.open_flows(), 0);
    assert_eq!(s.stats().named_by_dns_answer, 1);
    assert_eq!(
        seen,
        [
            (ObsKind::DnsResponse, "api.openai.com".into(), None, 1),
            (ObsKind::Connection, "api.openai.com".into(), Some(5), 2),
        ]
    );
}

#[cfg(not(feature = "live-capture"))]
#[test]
fn interface_needs_the_feature() {
    let out = crate::util::run(&["scan", "--interface", "lo", "--no-state"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "shadow-ai: this build has no live capture; rebuild with --features live-capture\n"
    );
}

#[cfg(feature = "live-capture")]
mod capture {
    use super::dns_query;
    use crate::util::s;
    use std::path::{Path, PathBuf};
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    /// A network namespace of this test's own, deleted (with the scanner in it killed) when
    /// dropped, whatever the test's outcome.
    struct Netns {
        name: String,
        child: Option<Child>,
    }

    impl Netns {
        /// `None` (with the reason printed) where namespaces cannot be made: not root, or no
        /// `ip netns`.
        fn new(tag: &str) -> Option<Netns> {
            let uid = Command::new("id").arg("-u").output().ok()?;
            if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
                println!("skipped: live capture in a network namespace needs root");
                return None;
            }
            let name = format!("shadowai-test-{}-{tag}", std::process::id());
            match Command::new("ip").args(["netns", "add", &name]).output() {
                Ok(o) if o.status.success() => {}
                Ok(o) => {
                    println!(
                        "skipped: `ip netns add` failed: {}",
                        String::from_utf8_lossy(&o.stderr).trim()
                    );
                    return None;
                }
                Err(e) => {
                    println!("skipped: no `ip` command ({e})");
                    return None;
                }
            }
            let ns = Netns { name, child: None };
            ns.exec(&["ip", "link", "set", "lo", "up"]);
            Some(ns)
        }

        fn command(&self, argv: &[&str]) -> Command {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", &self.name]).args(argv);
            c
        }

        fn exec(&self, argv: &[&str]) {
            let o = self.command(argv).output().expect("ip netns exec");
            assert!(o.status.success(), "{argv:?}: {o:?}");
        }

        /// Starts the scanner in the namespace, stdout and stderr to files; `ip netns exec`
        /// execs it, so the child's pid is the scanner's.
        fn start(&mut self, args: &[&str], stdout: &Path, stderr: &Path) {
            let bin = env!("CARGO_BIN_EXE_shadow-ai");
            let child = self
                .command(&[bin])
                .args(args)
                .stdin(Stdio::null())
                .stdout(std::fs::File::create(stdout).unwrap())
                .stderr(std::fs::File::create(stderr).unwrap())
                .spawn()
                .expect("start shadow-ai");
            self.child = Some(child);
        }

        fn signal(&self, sig: &str) {
            let pid = self.child.as_ref().expect("started").id().to_string();
            let st = Command::new("sh")
                .args(["-c", &format!("kill -{sig} {pid}")])
                .status()
                .unwrap();
            assert!(st.success());
        }

        /// The scanner's exit status, waiting at most 10 s.
        fn wait(&mut self) -> i32 {
            let child = self.child.as_mut().expect("started");
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if let Some(st) = child.try_wait().unwrap() {
                    self.child = None;
                    return st.code().expect("exited, not killed");
                }
                assert!(Instant::now() < deadline, "shadow-ai did not stop");
                std::thread::sleep(Duration::from_millis(50));
            }
        }

        /// Sends one UDP datagram to 127.0.0.1:53 inside the namespace (bash's /dev/udp;
        /// nothing listens, nothing needs to).
        fn send_dns(&self, msg: &[u8]) {
            let escaped: String = msg.iter().map(|b| format!("\\x{b:02x}")).collect();
            self.exec(&[
                "bash",
                "-c",
                &format!("printf '{escaped}' > /dev/udp/127.0.0.1/53"),
            ]);
        }
    }

    impl Drop for Netns {
        fn drop(&mut self) {
            if let Some(mut c) = self.child.take() {
                let _ = c.kill();
                let _ = c.wait();
            }
            let _ = Command::new("ip")
                .args(["netns", "del", &self.name])
                .status();
        }
    }

    /// Polls `f` every 50 ms for at most 10 s.
    fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(v) = f() {
                return v;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// JSON lines of a file, if every line is complete JSON.
    fn records(path: &Path) -> Option<Vec<serde_json::Value>> {
        let text = std::fs::read_to_string(path).ok()?;
        if !text.ends_with('\n') {
            return None;
        }
        text.lines().map(|l| serde_json::from_str(l).ok()).collect()
    }

    fn validator() -> jsonschema::Validator {
        let schema: serde_json::Value = serde_json::from_slice(
            &std::fs::read(crate::util::repo(
                "packaging/schema/findings-v1.schema.json",
            ))
            .unwrap(),
        )
        .unwrap();
        jsonschema::validator_for(&schema).unwrap()
    }

    fn validate(v: &jsonschema::Validator, recs: &[serde_json::Value]) {
        for r in recs {
            let errors: Vec<String> = v.iter_errors(r).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{errors:#?}\n{r:#}");
        }
    }

    fn stderr_text(p: &Path) -> String {
        std::fs::read_to_string(p).unwrap_or_default()
    }

    #[test]
    fn flushes_findings_and_stops_on_sigterm() {
        let Some(mut ns) = Netns::new("dir") else {
            return;
        };
        let tmp = tempfile::tempdir().unwrap();
        let out_dir: PathBuf = tmp.path().join("out");
        let (stdout, stderr) = (tmp.path().join("stdout"), tmp.path().join("stderr"));
        ns.start(
            &[
                "scan",
                "--interface",
                "lo",
                "--bpf",
                "udp port 53",
                "--flush-every",
                "1s",
                "--out-dir",
                &s(&out_dir),
                "--no-state",
            ],
            &stdout,
            &stderr,
        );
        // Printed once the interface is open and the filter set.
        wait_for("the capture to start", || {
            stderr_text(&stderr)
                .starts_with("shadow-ai: capturing on lo (filter \"udp port 53\")")
                .then_some(())
        });
        ns.send_dns(&dns_query(0x1234, "api.openai.com"));
        ns.send_dns(&dns_query(0x1235, "example.org"));
        let jsonl = out_dir.join("findings.jsonl");
        let recs = wait_for("a flush with both packets", || {
            let recs = records(&jsonl)?;
            let summary = recs.iter().find(|r| r["record_type"] == "summary")?;
            (summary["totals"]["records"] == 2).then_some(recs)
        });
        let v = validator();
        validate(&v, &recs);
        assert_eq!(recs.len(), 2, "one finding and the summary: {recs:#?}");
        let f = &recs[0];
        assert_eq!(f["service"]["id"], "openai-api");
        assert_eq!(f["subject"]["kind"], "client");
        assert_eq!(f["subject"]["value"], "127.0.0.1");
        assert_eq!(f["observed_as"], serde_json::json!(["dns_query"]));
        assert_eq!(f["evidence"][0]["file"], "live:lo");
        assert_eq!(f["evidence"][0]["packet"], 1);
        let input = &recs[1]["inputs"][0];
        assert_eq!(input["path"], "live:lo");
        assert_eq!(input["format"], "capture.live");
        assert_eq!(input["status"], "scanned");
        for (k, n) in [
            ("records", 2),
            ("matched", 1),
            ("unmatched", 1),
            ("skipped", 0),
        ] {
            assert_eq!(input[k], n, "{k}");
        }
        assert_eq!(input["capture"]["dns_messages"], 2);
        let flushes_before = input["live"]["flushes"].as_u64().unwrap();
        assert!(flushes_before >= 1);
        // Outgoing loopback packets reach the packet socket twice (sent and received);
        // libpcap passes one copy on but its ps_recv counts both.
        assert_eq!(input["live"]["received"], 4);
        assert_eq!(input["live"]["dropped"], 0);
        assert_eq!(input["live"]["if_dropped"], 0);
        assert_eq!(input["live"]["filter"], "udp port 53");
        // The other outputs are rewritten too.
        assert!(out_dir.join("report.html").is_file());
        assert!(
            std::fs::read_to_string(out_dir.join("findings.txt"))
                .unwrap()
                .contains("client:127.0.0.1")
        );

        // A packet right before the signal still counts: the capture reads what came
        // before the stop before it closes.
        ns.send_dns(&dns_query(0x1236, "api.openai.com"));
        ns.signal("TERM");
        // Exit status as for a file scan: an unsanctioned finding (default --fail-on).
        assert_eq!(ns.wait(), 1);
        let recs = records(&jsonl).unwrap();
        validate(&v, &recs);
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0]["events"], 2);
        assert_eq!(recs[0]["evidence"][1]["packet"], 3);
        let input = &recs[1]["inputs"][0];
        for (k, n) in [
            ("records", 3),
            ("matched", 2),
            ("unmatched", 1),
            ("skipped", 0),
        ] {
            assert_eq!(input[k], n, "{k}");
        }
        assert_eq!(input["live"]["received"], 6);
        assert!(input["live"]["flushes"].as_u64().unwrap() > flushes_before);
        let err = stderr_text(&stderr);
        assert!(
            err.contains(concat!(
                "  live:lo: capture.live: 3 packets: 2 matched, 1 unmatched, 0 skipped\n",
                "    0 flows (0 evicted), 3 DNS messages, 0 TLS and 0 QUIC ClientHellos, 0 HTTP requests, 0 named by DNS answers; unreadable: 0 DNS, 0 TLS, 0 QUIC; 0 QUIC of unknown version\n",
                "    libpcap on lo (filter \"udp port 53\"): 6 received, 0 dropped (buffer full), 0 dropped by the interface\n",
            )),
            "{err}"
        );
        assert!(
            err.ends_with(
                "Total: 3 records = 2 matched + 1 unmatched + 0 skipped (0 header/blank lines); 1 findings\n"
            ),
            "{err}"
        );
        assert!(std::fs::read(&stdout).unwrap().is_empty());
    }

    #[test]
    fn quiet_interface_flushes_to_stdout_and_stops_on_sigint() {
        let Some(mut ns) = Netns::new("out") else {
            return;
        };
        let tmp = tempfile::tempdir().unwrap();
        let (stdout, stderr) = (tmp.path().join("stdout"), tmp.path().join("stderr"));
        let state = tmp.path().join("state.sqlite");
        ns.start(
            &[
                "scan",
                "--interface",
                "lo",
                "--flush-every",
                "1s",
                "--state",
                &s(&state),
                "--fail-on",
                "any",
            ],
            &stdout,
            &stderr,
        );
        // No packet at all: flushes still come, one JSON-lines snapshot each.
        wait_for("two flushes", || {
            let recs = records(&stdout)?;
            (recs.len() >= 2).then_some(())
        });
        ns.signal("INT");
        assert_eq!(ns.wait(), 0);
        let recs = records(&stdout).unwrap();
        validate(&validator(), &recs);
        // Every record is a summary (no findings), numbered by flush, the last the final one.
        for (i, r) in recs.iter().enumerate() {
            assert_eq!(r["record_type"], "summary");
            assert_eq!(r["totals"]["records"], 0);
            assert_eq!(r["inputs"][0]["live"]["flushes"], i as u64 + 1);
            assert_eq!(r["inputs"][0]["live"]["received"], 0);
        }
        let err = stderr_text(&stderr);
        let flush_lines = err
            .lines()
            .filter(|l| l.starts_with("shadow-ai: 0 packets: 0 matched, 0 skipped; 0 findings; libpcap on lo: 0 received, 0 dropped, 0 dropped by the interface"))
            .count();
        assert_eq!(flush_lines, recs.len() - 1, "{err}");
        assert!(
            err.contains("\nNo external AI service use found.\n"),
            "{err}"
        );
        // Recorded once, at the end, and only the last snapshot carries the lifecycle.
        assert!(
            err.ends_with(" (scan 1): 0 new, 0 recurring, 0 gone.\n"),
            "{err}"
        );
        let last = recs.len() - 1;
        assert_eq!(recs[last]["lifecycle"]["scan"], 1);
        assert!(recs[..last].iter().all(|r| r.get("lifecycle").is_none()));
        let history = crate::util::run(&["history", "--state", &s(&state), "--json"], None);
        let scans = crate::util::stdout_records(&history);
        assert_eq!(scans.len(), 1, "{scans:#?}");
        assert_eq!(scans[0]["inputs"], serde_json::json!(["live:lo"]));
    }
}
