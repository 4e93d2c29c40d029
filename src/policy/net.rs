//! Subnets and name globs for rule scopes.

use std::net::IpAddr;

/// An IPv4 or IPv6 network, `10.1.0.0/16` or a single address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subnet {
    addr: IpAddr,
    prefix: u8,
}

impl Subnet {
    pub fn parse(s: &str) -> Result<Subnet, String> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a
            .trim()
            .parse()
            .map_err(|_| format!("{s:?} is not an IP address or CIDR network"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            None => max,
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|&p| p <= max)
                .ok_or_else(|| format!("{s:?}: prefix must be 0..={max}"))?,
        };
        Ok(Subnet { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        // An IPv4-mapped IPv6 client (::ffff:10.1.2.3) is the IPv4 address.
        let ip = match ip {
            IpAddr::V6(v) => v.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        let (net, ip, width) = match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(i)) => {
                (u128::from(u32::from(n)), u128::from(u32::from(i)), 32)
            }
            (IpAddr::V6(n), IpAddr::V6(i)) => (u128::from(n), u128::from(i), 128),
            _ => return false,
        };
        let shift = width - u32::from(self.prefix);
        shift >= 128 || net >> shift == ip >> shift
    }
}

/// Case-insensitive match where `*` stands for any run of characters.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.to_lowercase(), text.to_lowercase());
    let parts: Vec<&str> = p.split('*').collect();
    if parts.len() == 1 {
        return p == t;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !t.starts_with(first)
        || !t[first.len()..].ends_with(last)
        || t.len() < first.len() + last.len()
    {
        return false;
    }
    let mut rest = &t[first.len()..t.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnets() {
        let n = Subnet::parse("10.1.2.0/24").unwrap();
        assert!(n.contains("10.1.2.200".parse().unwrap()));
        assert!(!n.contains("10.1.3.1".parse().unwrap()));
        assert!(n.contains("::ffff:10.1.2.9".parse().unwrap()));
        let n = Subnet::parse("2001:db8::/32").unwrap();
        assert!(n.contains("2001:db8:1::5".parse().unwrap()));
        assert!(!n.contains("2001:db9::5".parse().unwrap()));
        assert!(!n.contains("10.1.2.3".parse().unwrap()));
        assert!(
            Subnet::parse("0.0.0.0/0")
                .unwrap()
                .contains("192.0.2.1".parse().unwrap())
        );
        assert!(
            Subnet::parse("192.0.2.7")
                .unwrap()
                .contains("192.0.2.7".parse().unwrap())
        );
        assert!(
            !Subnet::parse("192.0.2.7")
                .unwrap()
                .contains("192.0.2.8".parse().unwrap())
        );
        assert_eq!(
            Subnet::parse("10.0.0.0/33").unwrap_err(),
            "\"10.0.0.0/33\": prefix must be 0..=32"
        );
        assert!(Subnet::parse("intranet").is_err());
    }

    #[test]
    fn globs() {
        assert!(glob_match(
            "*@finance.example.com",
            "Ann@FINANCE.example.com"
        ));
        assert!(glob_match("CORP\\*", "corp\\bob"));
        assert!(glob_match("fin-ws-*", "fin-ws-0042"));
        assert!(glob_match("a*b*c", "axxbyyc"));
        assert!(!glob_match("a*b*c", "axxcyyb"));
        assert!(!glob_match("ab*ba", "aba"));
        assert!(glob_match("alice", "ALICE"));
        assert!(!glob_match("alice", "alice2"));
    }
}
