//! dnsmasq `log-queries` lines and Pi-hole's `pihole.log` (FTL embeds dnsmasq and adds its
//! block verdicts in the same shape).
//!
//! ```text
//! Jan 20 00:00:00 dnsmasq[812]: query[A] chatgpt.com from 192.168.1.34
//! Jan 20 00:00:00 dnsmasq[812]: forwarded chatgpt.com to 1.1.1.1
//! Jan 20 00:00:00 dnsmasq[812]: reply chatgpt.com is 104.18.32.47
//! Jan 20 00:00:01 dnsmasq[812]: gravity blocked ads.example is 0.0.0.0
//! Jan 20 00:00:02 dnsmasq[812]: 45 192.168.1.34/53210 query[A] chatgpt.com from 192.168.1.34
//! ```
//! The message is `<source> <name> <verb> <dest>`; the last form is `log-queries=extra`
//! (a serial tying a query's lines together, and the requestor), optionally after `TCP `/`UDP `.
//! Only query lines name the client, so answers and verdicts are attributed to the client of
//! the latest query for the same name (or the same serial): the parser keeps that state,
//! in fixed-size tables, so this format is not splittable.

use super::bind::is_ip_text;
use crate::observation::{Action, ObsKind, Observation};
use crate::parse::syslog;
use crate::parse::{Format, FormatCtx, LineKind, LineParser, ParseError, Sink, line_vote};
use crate::time::Timestamp;

pub static FORMAT: Format = Format {
    id: "dns.dnsmasq",
    description: "dnsmasq log-queries (plain or extra) and Pi-hole pihole.log",
    probe,
    new_parser,
    splittable: false,
};

const NOT_DNSMASQ: ParseError = ParseError("dnsmasq: expected a syslog line from dnsmasq");

fn probe(head: &[u8]) -> u8 {
    line_vote(
        head,
        |_| false,
        |line| syslog::strip(line, 1970).program.is_some_and(is_dnsmasq),
    )
}

fn new_parser(ctx: &FormatCtx) -> Box<dyn LineParser> {
    Box::new(DnsmasqParser {
        year: ctx.default_year,
        names: Recent::new(),
        serials: Recent::new(),
        chain: Vec::new(),
        chain_live: false,
    })
}

fn is_dnsmasq(program: &[u8]) -> bool {
    program.starts_with(b"dnsmasq") || program == b"pihole-FTL" || program == b"pihole"
}

struct DnsmasqParser {
    year: i32,
    /// Query name → client of its latest query.
    names: Recent,
    /// `log-queries=extra` serial → client.
    serials: Recent,
    /// The client of a CNAME chain being answered: dnsmasq logs the chain's targets on the
    /// lines right after `<name> is <CNAME>`, under names no client asked for.
    chain: Vec<u8>,
    chain_live: bool,
}

/// Where an answer's client came from.
#[derive(Copy, Clone)]
enum Via {
    Serial,
    Requestor,
    Name,
    Chain,
    Nowhere,
}

impl LineParser for DnsmasqParser {
    fn parse_line(&mut self, line: &[u8], sink: &mut Sink<'_>) -> Result<LineKind, ParseError> {
        let env = syslog::strip(line, self.year);
        let program = env.program.ok_or(NOT_DNSMASQ)?;
        if !is_dnsmasq(program) {
            // Another daemon's line in a shared syslog stream: not a record of this format.
            return Ok(LineKind::Meta);
        }
        let time = env.time;
        let mut msg = env.message;
        if let Some(rest) = msg
            .strip_prefix(b"TCP ")
            .or_else(|| msg.strip_prefix(b"UDP "))
        {
            if rest.first().is_some_and(u8::is_ascii_digit) || rest.starts_with(b"query[") {
                msg = rest;
            }
        }
        let (mut serial, mut requestor) = (None, None);
        let (first, rest) = token(msg);
        if !first.is_empty() && first.iter().all(u8::is_ascii_digit) && !rest.is_empty() {
            serial = Some(first);
            msg = rest;
            let (addr, rest) = token(msg);
            if let Some(slash) = memchr::memrchr(b'/', addr) {
                let port = &addr[slash + 1..];
                if is_ip_text(&addr[..slash])
                    && !port.is_empty()
                    && port.iter().all(u8::is_ascii_digit)
                {
                    requestor = Some(&addr[..slash]);
                    msg = rest;
                }
            }
        }

        if msg.starts_with(b"query[") {
            self.chain_live = false;
            let (_, rest) = token(msg);
            let (name, rest) = token(rest);
            let (verb, rest) = token(rest);
            let (client, _) = token(rest);
            if name.is_empty() || verb != b"from" || !is_ip_text(client) {
                return Err(ParseError(
                    "dnsmasq: expected 'query[type] name from client'",
                ));
            }
            self.names.put(name, client);
            if let Some(s) = serial {
                self.serials.put(s, client);
            }
            sink(&Observation {
                kind: ObsKind::DnsQuery,
                time,
                host: Some(name),
                client: Some(client),
                ..Observation::default()
            });
            return Ok(LineKind::Record);
        }
        if let Some(rest) = msg.strip_prefix(b"forwarded ") {
            self.chain_live = false;
            let (name, rest) = token(rest);
            let (verb, _) = token(rest);
            if name.is_empty() || verb != b"to" {
                return Err(ParseError("dnsmasq: expected 'forwarded name to server'"));
            }
            let from = self.client_of(serial, requestor, name);
            self.respond(from, serial, requestor, name, time, Action::Unknown, sink);
            return Ok(LineKind::Record);
        }

        // `<source words> <name> is <answer>[ extra]`; the source may hold spaces
        // (Pi-hole's verdicts), the answer may be followed by `(DNSSEC signed)` or `(EDE: …)`.
        let Some(is) = memchr::memmem::rfind(msg, b" is ") else {
            self.chain_live = false;
            return Ok(LineKind::Record);
        };
        let left = &msg[..is];
        let answer_text = &msg[is + 4..];
        let (answer, _) = token(answer_text);
        // DNSSEC key material dnsmasq fetched for itself (`DS keytag 2371, algo 13, ...`).
        if answer_text.starts_with(b"DS keytag ") || answer_text.starts_with(b"DNSKEY keytag ") {
            return Ok(LineKind::Record);
        }
        let Some(sp) = memchr::memrchr(b' ', left) else {
            self.chain_live = false;
            return Ok(LineKind::Record);
        };
        let (source, name) = (&left[..sp], &left[sp + 1..]);
        let Some(action) = answer_action(source, answer) else {
            self.chain_live = false;
            return Ok(LineKind::Record);
        };
        // A PTR answer is logged as `<address> is <name>`: the name asked was the arpa name,
        // already seen on the query line.
        if name.is_empty() || is_ip_text(name) {
            return Ok(LineKind::Record);
        }
        let from = self.client_of(serial, requestor, name);
        if answer == b"<CNAME>" {
            // Field borrows (not `lookup`) so the chain buffer can be refilled alongside.
            let client = match from {
                Via::Serial => serial.and_then(|s| self.serials.get(s)),
                Via::Requestor => requestor,
                Via::Name => self.names.get(name),
                Via::Chain | Via::Nowhere => None,
            };
            if let Some(client) = client {
                self.chain.clear();
                self.chain.extend_from_slice(client);
                self.chain_live = true;
            }
        }
        self.respond(from, serial, requestor, name, time, action, sink);
        Ok(LineKind::Record)
    }
}

impl DnsmasqParser {
    fn client_of(&self, serial: Option<&[u8]>, requestor: Option<&[u8]>, name: &[u8]) -> Via {
        if serial.is_some_and(|s| self.serials.get(s).is_some()) {
            Via::Serial
        } else if requestor.is_some() {
            Via::Requestor
        } else if self.names.get(name).is_some() {
            Via::Name
        } else if self.chain_live {
            Via::Chain
        } else {
            Via::Nowhere
        }
    }

    fn lookup<'a>(
        &'a self,
        from: Via,
        serial: Option<&[u8]>,
        requestor: Option<&'a [u8]>,
        name: &[u8],
    ) -> Option<&'a [u8]> {
        match from {
            Via::Serial => serial.and_then(|s| self.serials.get(s)),
            Via::Requestor => requestor,
            Via::Name => self.names.get(name),
            Via::Chain => Some(&self.chain),
            Via::Nowhere => None,
        }
    }

    #[allow(clippy::too_many_arguments)] // all per-line values; bundling them buys nothing
    fn respond(
        &self,
        from: Via,
        serial: Option<&[u8]>,
        requestor: Option<&[u8]>,
        name: &[u8],
        time: Option<Timestamp>,
        action: Action,
        sink: &mut Sink<'_>,
    ) {
        sink(&Observation {
            kind: ObsKind::DnsResponse,
            time,
            host: Some(name),
            client: self.lookup(from, serial, requestor, name),
            action,
            ..Observation::default()
        });
    }
}

/// What an answer line says the device did; `None` for lines that are not answers to a
/// client (DHCP names, DNSSEC validation, authoritative zones, ipset).
fn answer_action(source: &[u8], answer: &[u8]) -> Option<Action> {
    let contains = |s: &[u8], w: &[u8]| memchr::memmem::find(s, w).is_some();
    Some(match source {
        b"reply" if answer == b"blocked" => Action::Blocked, // Pi-hole v5 CNAME inspection
        b"reply" | b"cached" | b"cached-stale" => by_answer(answer),
        // `address=/name/` with no address answers NXDOMAIN: dnsmasq's own block list form.
        b"config" if answer == b"NXDOMAIN" => Action::Blocked,
        b"config" => by_answer(answer),
        // Pi-hole v4 served its lists as hosts files.
        s if s.starts_with(b"/") => {
            if contains(s, b"gravity") || contains(s, b"black") || contains(s, b"regex") {
                Action::Blocked
            } else {
                by_answer(answer)
            }
        }
        b"special domain"
        | b"Mozilla canary domain"
        | b"Apple iCloud Private Relay domain"
        | b"Designated Resolver domain" => Action::Blocked,
        // Refusals for load, not for the name.
        b"Rate-limiting" => Action::Unknown,
        s if s.ends_with(b"(gravity database is not available)") => Action::Unknown,
        // gravity blocked, exactly/regex denied, … blacklisted, … (CNAME), blocked upstream with …
        s if contains(s, b"blocked") || contains(s, b"denied") || contains(s, b"blacklisted") => {
            Action::Blocked
        }
        _ => return None,
    })
}

/// A sinkhole address is a block; an address or record is an answer; a CNAME is only a step
/// (Pi-hole may still block the chain), and NXDOMAIN, NODATA, SERVFAIL and the like say
/// nothing about policy.
fn by_answer(answer: &[u8]) -> Action {
    if answer == b"0.0.0.0" || answer == b"::" {
        Action::Blocked
    } else if is_ip_text(answer) || (answer.starts_with(b"<") && answer != b"<CNAME>") {
        Action::Allowed
    } else {
        Action::Unknown
    }
}

/// The first space-delimited token and the rest after one space.
fn token(b: &[u8]) -> (&[u8], &[u8]) {
    match memchr::memchr(b' ', b) {
        Some(i) => (&b[..i], &b[i + 1..]),
        None => (b, &[]),
    }
}

const SLOTS: usize = 4096;
const MAX_KEY: usize = 255;

/// A fixed-size, direct-mapped map from a key (name or serial, ASCII case-insensitive) to a
/// client address: a newer key evicts an older one in the same slot. Its memory is bounded
/// and reused; a miss only costs a line its client.
struct Recent {
    keys: Vec<Vec<u8>>,
    vals: Vec<Vec<u8>>,
}

impl Recent {
    fn new() -> Self {
        Recent {
            keys: vec![Vec::new(); SLOTS],
            vals: vec![Vec::new(); SLOTS],
        }
    }

    fn slot(key: &[u8]) -> usize {
        // FNV-1a over the lower-cased bytes.
        let mut h: u32 = 0x811c_9dc5;
        for &c in key {
            h = (h ^ u32::from(c.to_ascii_lowercase())).wrapping_mul(0x0100_0193);
        }
        h as usize & (SLOTS - 1)
    }

    fn put(&mut self, key: &[u8], val: &[u8]) {
        if key.len() > MAX_KEY || val.len() > MAX_KEY {
            return;
        }
        let i = Self::slot(key);
        if let (Some(k), Some(v)) = (self.keys.get_mut(i), self.vals.get_mut(i)) {
            k.clear();
            k.extend_from_slice(key);
            v.clear();
            v.extend_from_slice(val);
        }
    }

    fn get(&self, key: &[u8]) -> Option<&[u8]> {
        let i = Self::slot(key);
        let k = self.keys.get(i)?;
        (!key.is_empty() && k.eq_ignore_ascii_case(key))
            .then(|| self.vals.get(i).map(Vec::as_slice))
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observation::OwnedObservation;
    use crate::parse::parse_text;
    use crate::parse::test_support::{parse_err, parse_ok};
    use crate::time::parse_iso8601;

    const CTX: FormatCtx = FormatCtx { default_year: 2024 };
    use Action::{Allowed as A, Blocked as B, Unknown as U};
    use ObsKind::{DnsQuery as Q, DnsResponse as R};

    fn o(kind: ObsKind, time: &str, host: &str, client: &str, action: Action) -> OwnedObservation {
        OwnedObservation {
            kind,
            time: Some(parse_iso8601(time.as_bytes()).unwrap().0),
            host: Some(host.into()),
            client: (!client.is_empty()).then(|| client.into()),
            action,
            ..OwnedObservation::default()
        }
    }

    fn run(text: &str) -> Vec<OwnedObservation> {
        parse_ok(&FORMAT, &CTX, text)
    }

    fn err(line: &[u8]) -> ParseError {
        parse_err(&FORMAT, &CTX, line)
    }

    const T: &str = "2024-01-20T00:00:00Z";

    #[test]
    fn plain_query_forward_reply() {
        assert_eq!(
            run(
                "Jan 20 00:00:00 dnsmasq[812]: query[A] chatgpt.com from 192.168.1.34
Jan 20 00:00:00 dnsmasq[812]: forwarded chatgpt.com to 1.1.1.1
Jan 20 00:00:00 dnsmasq[812]: reply chatgpt.com is <CNAME>
Jan 20 00:00:00 dnsmasq[812]: reply chatgpt.com.cdn.cloudflare.net is 104.18.32.47
Jan 20 00:00:00 dnsmasq[812]: reply chatgpt.com.cdn.cloudflare.net is 172.64.155.209
Jan 20 00:00:00 dnsmasq[812]: query[AAAA] unknown.example from 192.168.1.35
Jan 20 00:00:00 dnsmasq[812]: cached other.example is NXDOMAIN
"
            ),
            vec![
                o(Q, T, "chatgpt.com", "192.168.1.34", U),
                o(R, T, "chatgpt.com", "192.168.1.34", U),
                o(R, T, "chatgpt.com", "192.168.1.34", U),
                o(R, T, "chatgpt.com.cdn.cloudflare.net", "192.168.1.34", A),
                o(R, T, "chatgpt.com.cdn.cloudflare.net", "192.168.1.34", A),
                o(Q, T, "unknown.example", "192.168.1.35", U),
                o(R, T, "other.example", "", U),
            ]
        );
    }

    #[test]
    fn answer_sources() {
        assert_eq!(
            run(
                "Jan 20 00:00:00 dnsmasq[812]: query[A] API.Anthropic.com from 10.0.0.2
Jan 20 00:00:00 dnsmasq[812]: cached api.anthropic.com is 160.79.104.10
Jan 20 00:00:00 dnsmasq[812]: cached-stale api.anthropic.com is 160.79.104.10 (EDE: stale answer)
Jan 20 00:00:00 dnsmasq[812]: query[A] localhost from 10.0.0.3
Jan 20 00:00:00 dnsmasq[812]: /etc/hosts localhost is 127.0.0.1
Jan 20 00:00:00 dnsmasq[812]: query[A] ads.example from 10.0.0.3
Jan 20 00:00:00 dnsmasq[812]: config ads.example is NXDOMAIN
Jan 20 00:00:00 dnsmasq[812]: config printer.lan is 192.168.1.9
Jan 20 00:00:00 dnsmasq[812]: config printer.lan is NODATA-IPv6
Jan 20 00:00:00 dnsmasq[812]: query[PTR] 9.1.168.192.in-addr.arpa from 10.0.0.3
Jan 20 00:00:00 dnsmasq[812]: config 192.168.1.9 is printer.lan
Jan 20 00:00:00 dnsmasq[812]: DHCP printer.lan is 192.168.1.9
Jan 20 00:00:00 dnsmasq[812]: validation api.anthropic.com is SECURE
Jan 20 00:00:00 dnsmasq[812]: dnssec-query[DS] anthropic.com to 1.1.1.1
Jan 20 00:00:00 dnsmasq[812]: reply is truncated
Jan 20 00:00:00 dnsmasq-dhcp[812]: DHCPACK(eth0) 192.168.1.9 aa:bb:cc:dd:ee:ff printer
"
            ),
            vec![
                o(Q, T, "API.Anthropic.com", "10.0.0.2", U),
                o(R, T, "api.anthropic.com", "10.0.0.2", A),
                o(R, T, "api.anthropic.com", "10.0.0.2", A),
                o(Q, T, "localhost", "10.0.0.3", U),
                o(R, T, "localhost", "10.0.0.3", A),
                o(Q, T, "ads.example", "10.0.0.3", U),
                o(R, T, "ads.example", "10.0.0.3", B),
                o(R, T, "printer.lan", "", A),
                o(R, T, "printer.lan", "", U),
                o(Q, T, "9.1.168.192.in-addr.arpa", "10.0.0.3", U),
            ]
        );
    }

    #[test]
    fn pihole_verdicts() {
        let text = "Jan 20 00:00:01 dnsmasq[812]: query[A] chat.deepseek.com from 192.168.1.50
Jan 20 00:00:01 dnsmasq[812]: gravity blocked chat.deepseek.com is 0.0.0.0
Jan 20 00:00:01 pihole-FTL[812]: query[AAAA] chatgpt.com from 192.168.1.51
Jan 20 00:00:01 pihole-FTL[812]: exactly denied chatgpt.com is ::
Jan 20 00:00:01 dnsmasq[812]: query[A] claude.ai from 192.168.1.52
Jan 20 00:00:01 dnsmasq[812]: regex denied claude.ai is NXDOMAIN
Jan 20 00:00:01 dnsmasq[812]: query[A] t.example from 192.168.1.52
Jan 20 00:00:01 dnsmasq[812]: gravity blocked (CNAME) t.example is 0.0.0.0
Jan 20 00:00:01 dnsmasq[812]: blocked upstream with NULL address t.example is 0.0.0.0
Jan 20 00:00:01 dnsmasq[812]: reply t.example is blocked during CNAME inspection
Jan 20 00:00:01 dnsmasq[812]: query[A] use-application-dns.net from 192.168.1.53
Jan 20 00:00:01 dnsmasq[812]: special domain use-application-dns.net is NXDOMAIN
Jan 20 00:00:01 dnsmasq[812]: Mozilla canary domain use-application-dns.net is NXDOMAIN
Jan 20 00:00:01 dnsmasq[812]: regex blacklisted old.example is 0.0.0.0
Jan 20 00:00:01 dnsmasq[812]: /etc/pihole/gravity.list v4.example is 192.168.1.2
Jan 20 00:00:01 dnsmasq[812]: Rate-limiting flood.example is REFUSED
Jan 20 00:00:01 dnsmasq[812]: to be refused (gravity database is not available) x.example is REFUSED
Jan 20 00:00:01 dnsmasq[812]: some new verdict y.example is 1.2.3.4
";
        let t = "2024-01-20T00:00:01Z";
        assert_eq!(
            run(text),
            vec![
                o(Q, t, "chat.deepseek.com", "192.168.1.50", U),
                o(R, t, "chat.deepseek.com", "192.168.1.50", B),
                o(Q, t, "chatgpt.com", "192.168.1.51", U),
                o(R, t, "chatgpt.com", "192.168.1.51", B),
                o(Q, t, "claude.ai", "192.168.1.52", U),
                o(R, t, "claude.ai", "192.168.1.52", B),
                o(Q, t, "t.example", "192.168.1.52", U),
                o(R, t, "t.example", "192.168.1.52", B),
                o(R, t, "t.example", "192.168.1.52", B),
                o(R, t, "t.example", "192.168.1.52", B),
                o(Q, t, "use-application-dns.net", "192.168.1.53", U),
                o(R, t, "use-application-dns.net", "192.168.1.53", B),
                o(R, t, "use-application-dns.net", "192.168.1.53", B),
                o(R, t, "old.example", "", B),
                o(R, t, "v4.example", "", B),
                o(R, t, "flood.example", "", U),
                o(R, t, "x.example", "", U),
            ]
        );
    }

    #[test]
    fn extra_mode_uses_serials() {
        let text = "Jan 20 00:00:02 dnsmasq[812]: 45 192.168.1.34/53210 query[A] chatgpt.com from 192.168.1.34
Jan 20 00:00:02 dnsmasq[812]: 46 192.168.1.40/40000 query[A] chatgpt.com from 192.168.1.40
Jan 20 00:00:02 dnsmasq[812]: 45 192.168.1.34/53210 forwarded chatgpt.com to 1.1.1.1
Jan 20 00:00:02 dnsmasq[812]: 45 192.168.1.34/53210 reply chatgpt.com is 104.18.32.47 (DNSSEC signed)
Jan 20 00:00:02 dnsmasq[812]: 46 cached chatgpt.com is 104.18.32.47
Jan 20 00:00:02 dnsmasq[812]: TCP 47 2001:db8::9/51000 query[HTTPS] copilot-proxy.githubusercontent.com from 2001:db8::9
Jan 20 00:00:02 dnsmasq[812]: UDP 48 10.0.0.5/1234 gravity blocked api.openai.com is 0.0.0.0
Jan 20 00:00:02 dnsmasq[812]: 49 dnssec-query[DS] openai.com to 1.1.1.1
";
        let t = "2024-01-20T00:00:02Z";
        assert_eq!(
            run(text),
            vec![
                o(Q, t, "chatgpt.com", "192.168.1.34", U),
                o(Q, t, "chatgpt.com", "192.168.1.40", U),
                o(R, t, "chatgpt.com", "192.168.1.34", U),
                o(R, t, "chatgpt.com", "192.168.1.34", A),
                o(R, t, "chatgpt.com", "192.168.1.40", A),
                o(
                    Q,
                    t,
                    "copilot-proxy.githubusercontent.com",
                    "2001:db8::9",
                    U
                ),
                o(R, t, "api.openai.com", "10.0.0.5", B),
            ]
        );
    }

    #[test]
    fn other_lines() {
        let mut p = new_parser(&CTX);
        for line in [
            &b"Jan 20 00:00:00 dnsmasq[812]: started, version 2.89 cachesize 10000"[..],
            b"Jan 20 00:00:00 dnsmasq[812]: using nameserver 1.1.1.1#53",
            b"Jan 20 00:00:00 dnsmasq[812]: read /etc/hosts - 8 names",
            b"Jan 20 00:00:00 dnsmasq-dhcp[812]: 2846432132 DHCPDISCOVER(br0) aa:bb:cc:dd:ee:ff",
            b"Jan 20 00:00:00 dnsmasq[812]: ",
        ] {
            assert_eq!(p.parse_line(line, &mut |_| panic!()), Ok(LineKind::Record));
        }
        assert_eq!(
            p.parse_line(b"Jan 20 00:00:00 host sshd[1]: Accepted", &mut |_| panic!()),
            Ok(LineKind::Meta)
        );
    }

    #[test]
    fn malformed_lines() {
        assert_eq!(err(b"garbage"), NOT_DNSMASQ);
        assert_eq!(err(b"query[A] chatgpt.com from 10.0.0.1"), NOT_DNSMASQ);
        assert_eq!(
            err(b"Jan 20 00:00:00 dnsmasq[812]: query[A] chatgpt.com"),
            ParseError("dnsmasq: expected 'query[type] name from client'")
        );
        assert_eq!(
            err(b"Jan 20 00:00:00 dnsmasq[812]: query[A] chatgpt.com from somewhere"),
            ParseError("dnsmasq: expected 'query[type] name from client'")
        );
        assert_eq!(
            err(b"Jan 20 00:00:00 dnsmasq[812]: forwarded chatgpt.com"),
            ParseError("dnsmasq: expected 'forwarded name to server'")
        );
        // Non-UTF-8 name: still parsed.
        let (obs, errors) = parse_text(
            &FORMAT,
            &CTX,
            b"Jan 20 00:00:00 dnsmasq[812]: query[A] \xff.example from 10.0.0.1",
        );
        assert_eq!(errors, vec![]);
        assert_eq!(obs.len(), 1);
    }

    #[test]
    fn recent_is_bounded_and_case_insensitive() {
        let mut r = Recent::new();
        r.put(b"ChatGPT.com", b"10.0.0.1");
        assert_eq!(r.get(b"chatgpt.COM"), Some(&b"10.0.0.1"[..]));
        assert_eq!(r.get(b""), None);
        for i in 0..(SLOTS * 4) {
            r.put(format!("n{i}.example").as_bytes(), b"10.0.0.2");
        }
        assert_eq!(r.keys.len(), SLOTS);
        r.put(&[b'a'; MAX_KEY + 1], b"x");
        assert_eq!(r.get(&[b'a'; MAX_KEY + 1]), None);
    }

    #[test]
    fn fixtures_and_probe() {
        for (text, expected) in [
            (
                &include_bytes!("../../../tests/data/dns/dnsmasq.log")[..],
                include_str!("../../../tests/data/dns/dnsmasq.log.expected"),
            ),
            (
                include_bytes!("../../../tests/data/dns/pihole.log"),
                include_str!("../../../tests/data/dns/pihole.log.expected"),
            ),
        ] {
            let (obs, errors) = parse_text(&FORMAT, &CTX, text);
            assert_eq!(errors, vec![]);
            assert_eq!(super::super::bind::fixture_rows(&obs), expected);
            assert!(probe(text) >= 90);
        }
        for other in [
            &b"1157689312.049   5006 10.105.21.199 TCP_MISS/200 19763 CONNECT login.yahoo.com:443 badeyek DIRECT/209.73.177.115 -\n"[..],
            b"[1700000000] unbound[1234:0] info: 192.168.1.10 api.openai.com. A IN\n",
            b"client @0x7f91b8005490 127.0.0.1#62536 (www.example.com): query: www.example.com IN AAAA +E(0)K (127.0.0.1)\n",
            b"<30>Mar  9 23:59:59 ib named[17742]: client 192.168.0.1#59735 (a.example): query: a.example IN TXT + (192.168.0.1)\n",
            b"#separator \\x09\n#fields\tts\tuid\n",
            br#"{"ts":1591367999.305988,"uid":"C1","query":"chatgpt.com"}"#,
        ] {
            assert!(probe(other) < 50, "{}", String::from_utf8_lossy(other));
        }
    }
}
