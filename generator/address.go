package generator

import (
	"net"
	"net/netip"
	"regexp"
	"strings"
)

// RFC 1123 host names, with an optional leading wildcard label.
var dnsLabelRE = regexp.MustCompile(`^(\*|[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)$`)

// checkAddresses adds the problems of the IP addresses and DNS names.
func (s Spec) checkAddresses(es *Errors) {
	for _, ip := range s.IPs {
		if _, err := netip.ParseAddr(ip); err != nil || strings.Contains(ip, "%") {
			es.add(FieldIP, ip, "not an IP address", "")
		}
	}
	for _, d := range s.DNSNames {
		if !validDNSName(d) {
			es.add(FieldDNS, d, "not a valid DNS name (letters, digits and '-' in dot-separated labels of at most 63 characters)", "")
		}
	}
	if len(s.IPs)+len(s.DNSNames) == 0 {
		es.add(FieldIP, "", "give at least one {ip} or {dns}", "the server certificate must name the address clients dial")
	}
}

func validDNSName(d string) bool {
	if len(d) == 0 || len(d) > 253 {
		return false
	}
	labels := strings.Split(strings.TrimSuffix(d, "."), ".")
	for i, l := range labels {
		if !dnsLabelRE.MatchString(l) || (l == "*" && i != 0) {
			return false
		}
	}
	// An all-numeric name would be read as an IP address by clients.
	return net.ParseIP(d) == nil
}
