//! `server.trusted_proxies`: the reverse proxies whose `X-Forwarded-For` entries are believed.

use std::net::IpAddr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An address or a network (`10.0.0.0/8`, `2001:db8::/32`) of trusted proxies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProxyNet {
    addr: IpAddr,
    prefix: u8,
}

impl ProxyNet {
    /// `127.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("`{s}` is not an IP address or network (10.0.0.0/8)"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("`{s}`: the prefix length must be from 0 to {max}"))?,
        };
        Ok(Self { addr, prefix })
    }

    /// Whether `ip` is in this network (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, ip: &IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(*ip, IpAddr::V4),
            v4 => *v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for ProxyNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let max = if self.addr.is_ipv4() { 32 } else { 128 };
        if self.prefix == max {
            write!(f, "{}", self.addr)
        } else {
            write!(f, "{}/{}", self.addr, self.prefix)
        }
    }
}

impl Serialize for ProxyNet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ProxyNet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A proxy on this machine (the example set-up puts nginx in front of 127.0.0.1:8080).
pub fn loopback() -> Vec<ProxyNet> {
    vec![
        ProxyNet {
            addr: IpAddr::from([127, 0, 0, 1]),
            prefix: 32,
        },
        ProxyNet {
            addr: IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1]),
            prefix: 128,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_contain_their_addresses_only() {
        let n = ProxyNet::parse("10.0.0.0/8").unwrap_or(loopback()[0]);
        assert!(n.contains(&"10.200.1.1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))));
        assert!(!n.contains(&"11.0.0.1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))));
        let mapped: IpAddr = "::ffff:10.1.2.3"
            .parse()
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        assert!(n.contains(&mapped));
        assert!(ProxyNet::parse("0.0.0.0/0").is_ok());
        assert!(ProxyNet::parse("10.0.0.0/33").is_err());
        assert!(ProxyNet::parse("proxy.example").is_err());
        assert_eq!(
            ProxyNet::parse("fd00::/8").map(|n| n.to_string()),
            Ok("fd00::/8".to_owned())
        );
    }
}
