package remote

import (
	"fmt"
	"net/netip"
	"strings"
)

// globalUnicast6 is the only IPv6 space allocated for global unicast; anything outside it
// (the loopback, unspecified, IPv4-compatible, unique-local, link-local, site-local and
// multicast ranges among others) is not a public server.
var globalUnicast6 = netip.MustParsePrefix("2000::/3")

// nonPublic are the special-purpose ranges of the IANA registries that netip's predicates do not
// already cover and that no fediverse server lives in: shared, reserved, benchmarking and
// documentation space, and the IPv6 prefixes that embed an IPv4 address (NAT64, 6to4, Teredo),
// through which a private IPv4 address could be reached.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // shared address space (carrier-grade NAT)
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // TEST-NET-1
	netip.MustParsePrefix("192.88.99.0/24"),  // 6to4 relay anycast
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // TEST-NET-2
	netip.MustParsePrefix("203.0.113.0/24"),  // TEST-NET-3
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and the broadcast address
	netip.MustParsePrefix("64:ff9b::/96"),    // NAT64, well-known prefix
	netip.MustParsePrefix("64:ff9b:1::/48"),  // NAT64, local use
	netip.MustParsePrefix("2001::/23"),       // IETF protocol assignments, Teredo among them
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("2002::/16"),       // 6to4
	netip.MustParsePrefix("3fff::/20"),       // documentation
}

// IsPublic reports whether ip is an address a public server may have: a global unicast address
// that is not private (10/8, 172.16/12, 192.168/16, fc00::/7) nor in any other special-purpose
// range (see nonPublic). An IPv4-mapped IPv6 address is judged as the IPv4 address it maps;
// the zone of a scoped address is ignored.
func IsPublic(ip netip.Addr) bool {
	ip = ip.Unmap().WithZone("")
	if !ip.IsValid() || !ip.IsGlobalUnicast() || ip.IsPrivate() {
		return false
	}
	if ip.Is6() && !globalUnicast6.Contains(ip) {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// ParseAllowIPs reads FEDERATION_ALLOW_IPS: comma-separated CIDRs ("127.0.0.0/8, ::1/128"); a
// bare address stands for itself alone. Spaces and empty entries are ignored; "" is no
// exceptions at all. The error names the entry that is neither.
func ParseAllowIPs(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for entry := range strings.SplitSeq(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		if strings.Contains(entry, "/") {
			p, err := netip.ParsePrefix(entry)
			if err != nil {
				return nil, fmt.Errorf("remote: allowed IPs: %q is not a CIDR: %w", entry, err)
			}
			out = append(out, normalize(p))
			continue
		}
		ip, err := netip.ParseAddr(entry)
		if err != nil {
			return nil, fmt.Errorf("remote: allowed IPs: %q is not an address: %w", entry, err)
		}
		ip = ip.Unmap().WithZone("")
		out = append(out, netip.PrefixFrom(ip, ip.BitLen()))
	}
	return out, nil
}

// normalize masks p and turns an IPv4-mapped prefix into the IPv4 prefix it means, since
// addresses are unmapped before they are compared.
func normalize(p netip.Prefix) netip.Prefix {
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked()
}
