package generator

import (
	"net/netip"
	"strconv"
	"strings"
)

// dialHint is the fix for an address that names no one host.
const dialHint = "give the address clients reach the host at"

// checkAddresses adds the problems of the IP addresses and DNS names. The
// addresses of a spec go into the server certificate and DOCKER_HOST, so
// each must mean one host that a client can dial, and mean the same to
// every parser that reads it: Go's, a resolver's (inet_aton), a URL's.
func (s Spec) checkAddresses(es *Errors) {
	for _, ip := range s.IPs {
		if msg, hint := ipProblem(ip); msg != "" {
			es.add(FieldIP, ip, msg, hint)
		}
	}
	for _, d := range s.DNSNames {
		if msg, hint := dnsProblem(d); msg != "" {
			es.add(FieldDNS, d, msg, hint)
		}
	}
	// No address at all is allowed: the machine is not attached yet, its
	// certificate names only localhost and 127.0.0.1 (see Attached).
	switch {
	case len(s.IPs) == 0 && len(s.DNSNames) > 0 && strings.HasPrefix(s.DNSNames[0], "*.") && s.DNSNames[0] != "*.":
		es.add(FieldDNS, s.DNSNames[0], "clients dial the first DNS name, and a wildcard names no one host",
			"put the host's own name first, or give an {ip}")
	}
}

// ipProblem says what is wrong with an IP address, or "" if nothing is.
func ipProblem(ip string) (msg, hint string) {
	a, err := netip.ParseAddr(ip)
	if err != nil || a.Zone() != "" {
		return "not an IP address", ""
	}
	// An IPv4-mapped address (::ffff:0.0.0.0) is dialed as its IPv4 self.
	a = a.Unmap()
	switch {
	case dialable(a):
		return "", ""
	case a.IsUnspecified():
		return "the unspecified address means any address and cannot be dialed", dialHint
	case a.IsMulticast():
		return "a multicast address cannot be dialed over TCP", dialHint
	}
	return "the broadcast address cannot be dialed over TCP", dialHint
}

// broadcast is IPv4's limited broadcast address.
var broadcast = netip.AddrFrom4([4]byte{255, 255, 255, 255})

// dialable reports whether a TCP client can connect to a, unmapped.
func dialable(a netip.Addr) bool {
	return !a.IsUnspecified() && !a.IsMulticast() && a != broadcast
}

// dnsProblem says what is wrong with a DNS name, or "" if nothing is.
func dnsProblem(d string) (msg, hint string) {
	const syntax = "not a valid DNS name (letters, digits and '-' in dot-separated labels of at most 63 characters)"
	if len(d) == 0 || len(d) > 253 {
		return syntax, ""
	}
	labels := strings.Split(strings.TrimSuffix(d, "."), ".")
	for i, l := range labels {
		if !dnsLabel(l) || (l == "*" && i != 0) {
			return syntax, ""
		}
	}
	if len(labels) == 1 && labels[0] == "*" {
		return "a wildcard alone names no domain", "write it as *.example.com"
	}
	// No top-level domain is numeric (RFC 3696, section 2), and a name
	// ending in a number is an IPv4 address to inet_aton (127.1, 0x7f.1,
	// 2130706433) and to URL parsers (WHATWG "ends in a number"): the
	// certificate would name something other than what clients dial.
	if numericLabel(labels[len(labels)-1]) {
		msg = "ends in a number, so resolvers and URL parsers read it as an IPv4 address"
		if a, ok := inetAton(strings.TrimSuffix(d, ".")); ok && dialable(a) {
			return msg, "give it as {ip} " + a.String()
		}
		return msg, "give an IP address as {ip}, in dotted decimal"
	}
	return "", ""
}

// inetAton reads an IPv4 address the way inet_aton(3) does: one to four
// parts, each decimal, octal (leading 0) or hex (0x), the last filling the
// bytes that are left, so 127.1 is 127.0.0.1 and 0x7f000001 is too.
func inetAton(s string) (netip.Addr, bool) {
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	var addr uint64
	for i, p := range parts {
		n, err := atonPart(p)
		if err != nil {
			return netip.Addr{}, false
		}
		bits := uint(8)
		if i == len(parts)-1 {
			bits = uint(8 * (4 - i))
		}
		if n >= 1<<bits {
			return netip.Addr{}, false
		}
		addr = addr<<bits | n
	}
	return netip.AddrFrom4([4]byte{byte(addr >> 24), byte(addr >> 16), byte(addr >> 8), byte(addr)}), true
}

// atonPart reads one part of an inet_aton address.
func atonPart(p string) (uint64, error) {
	base := 10
	switch {
	case len(p) > 2 && (p[:2] == "0x" || p[:2] == "0X"):
		p, base = p[2:], 16
	case len(p) > 1 && p[0] == '0':
		p, base = p[1:], 8
	}
	// An explicit base: ParseUint takes no sign, underscore or 0b then.
	return strconv.ParseUint(p, base, 32)
}
