//! Passive DNS: the addresses DNS answers in the capture gave for each name, so a later
//! connection to such an address (with no TLS server name or HTTP Host to read) is
//! attributed to the name the client asked for.
//!
//! Entries age out with the answer's TTL, held at least [`MIN_HOLD_SECS`] because
//! stub resolvers and browsers keep answers for a while even when the TTL is shorter.
//! The map is bounded: when full, expired entries go first, then those expiring soonest.

use crate::time::Timestamp;
use rustc_hash::FxHashMap;
use std::net::IpAddr;

/// Shortest time an answer is trusted, in seconds.
pub const MIN_HOLD_SECS: u32 = 60;

#[derive(Clone, Debug)]
struct Entry {
    name: Box<[u8]>,
    /// Microseconds since the epoch.
    expires: i64,
}

#[derive(Debug)]
pub struct PassiveDns {
    map: FxHashMap<IpAddr, Entry>,
    cap: usize,
    /// Entries dropped to stay within `cap` before they expired.
    pub evicted: u64,
}

impl PassiveDns {
    pub fn new(cap: usize) -> Self {
        PassiveDns {
            map: FxHashMap::default(),
            cap: cap.max(1),
            evicted: 0,
        }
    }

    /// Records that `name` resolved to `ip` at `now` with `ttl` seconds. A newer answer for
    /// the same address replaces the older one.
    pub fn insert(&mut self, ip: IpAddr, name: &[u8], ttl: u32, now: Timestamp) {
        let expires = now
            .0
            .saturating_add(i64::from(ttl.max(MIN_HOLD_SECS)) * 1_000_000);
        if let Some(e) = self.map.get_mut(&ip) {
            if &*e.name != name {
                e.name = name.into();
            }
            e.expires = e.expires.max(expires);
            return;
        }
        if self.map.len() >= self.cap {
            self.make_room(now);
        }
        self.map.insert(
            ip,
            Entry {
                name: name.into(),
                expires,
            },
        );
    }

    /// The name `ip` was resolved from, if that answer is still valid at `now`.
    pub fn lookup(&self, ip: &IpAddr, now: Timestamp) -> Option<&[u8]> {
        self.map
            .get(ip)
            .filter(|e| e.expires >= now.0)
            .map(|e| &*e.name)
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Drops expired entries; if that frees less than an eighth, also the soonest-expiring
    /// eighth, so the cost is paid once per many inserts.
    fn make_room(&mut self, now: Timestamp) {
        self.map.retain(|_, e| e.expires >= now.0);
        let target = self.cap - self.cap / 8;
        if self.map.len() > target {
            let mut exp: Vec<i64> = self.map.values().map(|e| e.expires).collect();
            let k = self.map.len() - target;
            let (_, cut, _) = exp.select_nth_unstable(k - 1);
            let cut = *cut;
            let before = self.map.len();
            self.map.retain(|_, e| e.expires > cut);
            self.evicted += (before - self.map.len()) as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn answers_age_out_with_their_ttl() {
        let mut p = PassiveDns::new(16);
        let t0 = Timestamp::from_secs(1_000);
        p.insert(ip("104.18.33.45"), b"chatgpt.com", 300, t0);
        assert_eq!(
            p.lookup(&ip("104.18.33.45"), Timestamp::from_secs(1_300)),
            Some(&b"chatgpt.com"[..])
        );
        assert_eq!(
            p.lookup(&ip("104.18.33.45"), Timestamp::from_secs(1_301)),
            None
        );
        // A short TTL is held for the minimum.
        p.insert(ip("2606:4700::6812:212d"), b"api.openai.com", 5, t0);
        assert!(
            p.lookup(&ip("2606:4700::6812:212d"), Timestamp::from_secs(1_059))
                .is_some()
        );
        // A newer answer for the address wins.
        p.insert(ip("104.18.33.45"), b"ab.chatgpt.com", 30, t0);
        assert_eq!(
            p.lookup(&ip("104.18.33.45"), Timestamp::from_secs(1_100)),
            Some(&b"ab.chatgpt.com"[..])
        );
    }

    #[test]
    fn stays_within_its_bound() {
        let mut p = PassiveDns::new(64);
        for i in 0..1000u32 {
            let a = IpAddr::from(i.to_be_bytes());
            p.insert(a, b"x.example", 60 + i, Timestamp::from_secs(0));
            assert!(p.len() <= 64);
        }
        assert!(p.evicted > 0);
        // The latest-expiring answers were kept.
        assert!(
            p.lookup(&IpAddr::from(999u32.to_be_bytes()), Timestamp::from_secs(0))
                .is_some()
        );
    }
}
