//! Which addresses a Client ID Metadata Document may be fetched from. The `client_id`
//! URL is chosen by whoever starts an authorization request, so without this check the
//! gateway would fetch from its own network on anyone's behalf (SSRF:
//! draft-ietf-oauth-client-id-metadata-document, security considerations, "Server
//! Side Request Forgery").

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether the gateway may connect to `ip` for a metadata document; loopback only when
/// `allow_loopback` (development and tests, refused in production).
pub fn fetchable(ip: IpAddr, allow_loopback: bool) -> bool {
    let ip = canonical(ip);
    if ip.is_loopback() {
        return allow_loopback;
    }
    match ip {
        IpAddr::V4(v4) => public_v4(v4),
        IpAddr::V6(v6) => public_v6(v6),
    }
}

/// An IPv4-mapped address (`::ffff:a.b.c.d`) as the IPv4 address it reaches: otherwise
/// `::ffff:10.0.0.1` would pass as a "public IPv6" address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

fn public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0 // "this network" (RFC 791)
        || (a == 100 && (64..128).contains(&b)) // shared address space (RFC 6598)
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking (RFC 2544)
        || a >= 240) // reserved (RFC 1112)
}

fn public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    let second = ip.segments()[1];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || first == 0 // ::/16 reserved, with the deprecated IPv4-compatible ::a.b.c.d
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local fc00::/7 (RFC 4193)
        || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (first & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated, still routed inside)
        || first == 0x2001 && second == 0x0db8 // documentation (RFC 3849)
        || first == 0x2001 && second == 0 // Teredo (RFC 4380) embeds an IPv4 address
        || first == 0x0064 && second == 0xff9b // NAT64 (RFC 6052) reaches IPv4 inside
        || first == 0x2002) // 6to4 embeds an IPv4 address that may be private
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn only_public_addresses_are_fetchable() {
        for public in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(fetchable(ip(public), false), "{public}");
        }
        for private in [
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "240.0.0.1",
            "127.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "::10.0.0.1",
            "2001:0:a00:1::1",
        ] {
            assert!(!fetchable(ip(private), false), "{private}");
        }
    }

    #[test]
    fn loopback_only_when_allowed_and_never_private() {
        assert!(fetchable(ip("127.0.0.1"), true));
        assert!(fetchable(ip("::1"), true));
        assert!(fetchable(ip("::ffff:127.0.0.1"), true));
        assert!(!fetchable(ip("10.0.0.1"), true));
        assert!(!fetchable(ip("fe80::1"), true));
    }
}
