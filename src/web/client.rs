//! Who is on the other end of a connection: the client address for attempt limits and the
//! audit log, and whether a request came straight from this machine.
//!
//! `X-Forwarded-For` is a list anyone can start: a client sends `X-Forwarded-For: 192.0.2.7`
//! and every proxy appends the address it saw. Only the entries appended by proxies we trust
//! say anything, so the list is read from the right: the first address that is not a trusted
//! proxy (`server.trusted_proxies`) is the client. A peer that is not a trusted proxy is the
//! client itself, whatever it writes.

use std::net::IpAddr;

use actix_web::HttpRequest;
use actix_web::http::header::HeaderMap;

use crate::config::ProxyNet;

/// The client's address, as the last untrusted hop in front of the trusted proxies.
pub fn address(req: &HttpRequest, trusted: &[ProxyNet]) -> String {
    match req.peer_addr() {
        Some(peer) => client_of(peer.ip(), req.headers(), trusted).to_string(),
        None => "unknown".to_owned(),
    }
}

/// The client behind `peer`: `peer` itself unless it is a trusted proxy; then the rightmost
/// `X-Forwarded-For` entry that is not a trusted proxy (or the leftmost one, if all are).
pub fn client_of(peer: IpAddr, headers: &HeaderMap, trusted: &[ProxyNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut hops: Vec<IpAddr> = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        let Ok(value) = value.to_str() else {
            return peer;
        };
        for entry in value.split(',') {
            match parse_hop(entry) {
                Some(ip) => hops.push(ip),
                // An entry that is no address: nothing left of it can be trusted.
                None => hops.clear(),
            }
        }
    }
    let mut client = peer;
    for hop in hops.into_iter().rev() {
        client = hop;
        if !is_trusted(&hop) {
            break;
        }
    }
    client
}

/// `192.0.2.7`, `192.0.2.7:5100`, `2001:db8::1`, `[2001:db8::1]:5100`.
fn parse_hop(entry: &str) -> Option<IpAddr> {
    let e = entry.trim();
    if let Ok(ip) = e.parse() {
        return Some(ip);
    }
    if let Some(rest) = e.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    e.rsplit_once(':').and_then(|(ip, _)| ip.parse().ok())
}

/// Whether the request came from this machine without passing a proxy: a loopback peer and no
/// forwarding header. A proxy on the same host connects from loopback too, but adds one.
pub fn direct_from_this_machine(req: &HttpRequest) -> bool {
    let forwarded = ["x-forwarded-for", "forwarded", "x-real-ip"]
        .iter()
        .any(|h| req.headers().contains_key(*h));
    !forwarded && req.peer_addr().is_some_and(|p| p.ip().is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append(
                HeaderName::from_static("x-forwarded-for"),
                HeaderValue::from_str(v).unwrap_or_else(|_| HeaderValue::from_static("")),
            );
        }
        h
    }

    fn nets(s: &[&str]) -> Vec<ProxyNet> {
        s.iter().filter_map(|n| ProxyNet::parse(n).ok()).collect()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    #[test]
    fn the_client_is_the_last_hop_before_the_trusted_proxies() {
        let trusted = nets(&["127.0.0.1", "::1", "10.0.0.0/8"]);
        // The client wrote 203.0.113.66 itself; our proxy appended what it saw.
        let h = headers(&["203.0.113.66, 198.51.100.9"]);
        assert_eq!(client_of(ip("127.0.0.1"), &h, &trusted), ip("198.51.100.9"));
        // Two of our proxies in a row.
        let h = headers(&["203.0.113.66, 198.51.100.9, 10.1.2.3"]);
        assert_eq!(client_of(ip("127.0.0.1"), &h, &trusted), ip("198.51.100.9"));
        // Several headers are one list.
        let h = headers(&["203.0.113.66", "198.51.100.9:4711"]);
        assert_eq!(client_of(ip("::1"), &h, &trusted), ip("198.51.100.9"));
        // A peer we do not trust is the client, whatever it claims.
        let h = headers(&["192.0.2.1"]);
        assert_eq!(
            client_of(ip("198.51.100.20"), &h, &trusted),
            ip("198.51.100.20")
        );
        // No header: the proxy itself.
        assert_eq!(
            client_of(ip("127.0.0.1"), &headers(&[]), &trusted),
            ip("127.0.0.1")
        );
        // Garbage after a real hop cannot hide it.
        let h = headers(&["198.51.100.9, not-an-address"]);
        assert_eq!(client_of(ip("127.0.0.1"), &h, &trusted), ip("127.0.0.1"));
        // Everything trusted: the leftmost.
        let h = headers(&["10.9.9.9, 10.1.1.1"]);
        assert_eq!(client_of(ip("127.0.0.1"), &h, &trusted), ip("10.9.9.9"));
        let h = headers(&["[2001:db8::1]:443"]);
        assert_eq!(client_of(ip("::1"), &h, &trusted), ip("2001:db8::1"));
    }
}
