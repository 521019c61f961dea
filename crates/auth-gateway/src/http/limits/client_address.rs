//! Which address a request is counted against: the peer, or behind our own proxies the
//! rightmost `X-Forwarded-For` hop that is not one of them (each proxy appends the
//! address it received the request from, so everything left of the first untrusted hop
//! may be made up by the client).

use crate::config::{IpNetwork, RateLimits};
use axum::http::HeaderMap;
use std::net::IpAddr;

#[derive(Debug)]
pub struct ClientAddress {
    trusted_proxies: Vec<IpNetwork>,
    /// `RATE_LIMIT_TRUST_FORWARDED_FOR`: every peer is a proxy that appends one hop.
    trust_any_peer: bool,
}

impl ClientAddress {
    pub fn new(settings: &RateLimits) -> Self {
        Self {
            trusted_proxies: settings.trusted_proxies.clone(),
            trust_any_peer: settings.trust_forwarded_for,
        }
    }

    fn is_trusted(&self, address: IpAddr) -> bool {
        self.trusted_proxies
            .iter()
            .any(|network| network.contains(address))
    }

    /// The client's address; `None` only when the peer is unknown.
    pub fn of(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> Option<IpAddr> {
        let peer = peer?.to_canonical();
        if !(self.trust_any_peer || self.is_trusted(peer)) {
            return Some(peer);
        }
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            // A hop that does not parse came from behind the last trusted proxy: count
            // the request against that proxy's view of it.
            let Ok(address) = hop.parse::<IpAddr>() else {
                return Some(client);
            };
            client = address.to_canonical();
            if self.trust_any_peer || !self.is_trusted(client) {
                return Some(client);
            }
        }
        Some(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn settings(trusted: &[&str], trust_any_peer: bool) -> ClientAddress {
        ClientAddress {
            trusted_proxies: trusted
                .iter()
                .map(|text| IpNetwork::parse(text).unwrap())
                .collect(),
            trust_any_peer,
        }
    }

    fn forwarded(chain: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_static(chain));
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let addresses = settings(&["10.0.0.0/8"], false);
        let headers = forwarded("192.0.2.1, 203.0.113.7, 10.0.0.2");
        assert_eq!(
            addresses.of(&headers, Some(ip("10.0.0.1"))),
            Some(ip("203.0.113.7"))
        );
        // A peer that is not a proxy cannot speak for others.
        assert_eq!(
            addresses.of(&headers, Some(ip("198.51.100.3"))),
            Some(ip("198.51.100.3"))
        );
        // Made-up text behind a trusted hop counts against that hop.
        assert_eq!(
            addresses.of(&forwarded("nonsense, 10.0.0.9"), Some(ip("10.0.0.1"))),
            Some(ip("10.0.0.9"))
        );
    }

    #[test]
    fn the_older_setting_takes_the_last_hop_from_any_peer() {
        let addresses = settings(&[], true);
        assert_eq!(
            addresses.of(&forwarded("10.0.0.9, 192.0.2.7"), Some(ip("127.0.0.1"))),
            Some(ip("192.0.2.7"))
        );
        assert_eq!(
            settings(&[], false).of(&forwarded("192.0.2.7"), Some(ip("127.0.0.1"))),
            Some(ip("127.0.0.1"))
        );
    }
}
