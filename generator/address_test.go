package generator_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/dockbake/dockbake/generator"
)

// addressError validates a spec with the given addresses and returns the
// one problem it has with them, or nil.
func addressError(t *testing.T, ips, dns []string) *generator.FieldError {
	t.Helper()
	err := generator.Spec{Name: "web1", IPs: ips, DNSNames: dns}.WithDefaults().Validate()
	if err == nil {
		return nil
	}
	var es generator.Errors
	if !errors.As(err, &es) || len(es) != 1 {
		t.Fatalf("err = %v, want one field error", err)
	}
	return es[0]
}

// TestIPsClientsCanDial holds that an IP address is refused when no client
// can dial it, whichever way it is written, and kept otherwise.
func TestIPsClientsCanDial(t *testing.T) {
	for _, tc := range []struct {
		ip   string
		want string // part of the message; empty: accepted
	}{
		{"203.0.113.10", ""},
		{"127.0.0.1", ""},
		{"::1", ""},
		{"2001:db8::10", ""},
		{"::ffff:203.0.113.10", ""},
		{"169.254.1.1", ""},
		{"0.0.0.0", "the unspecified address"},
		{"::", "the unspecified address"},
		{"::ffff:0.0.0.0", "the unspecified address"},
		{"224.0.0.1", "multicast"},
		{"239.255.255.250", "multicast"},
		{"ff02::1", "multicast"},
		{"::ffff:224.0.0.251", "multicast"},
		{"255.255.255.255", "broadcast"},
		{"::ffff:255.255.255.255", "broadcast"},
		{"10.0.0.300", "not an IP address"},
		{"010.0.0.1", "not an IP address"},
		{"127.1", "not an IP address"},
		{"0x7f.0.0.1", "not an IP address"},
		{"fe80::1%eth0", "not an IP address"},
		{" 10.0.0.1", "not an IP address"},
	} {
		t.Run(tc.ip, func(t *testing.T) {
			e := addressError(t, []string{tc.ip}, nil)
			switch {
			case tc.want == "" && e != nil:
				t.Fatalf("refused: %v", e)
			case tc.want == "":
				return
			case e == nil:
				t.Fatalf("accepted, want %q", tc.want)
			}
			if e.Field != generator.FieldIP || e.Value != tc.ip || !strings.Contains(e.Msg, tc.want) {
				t.Errorf("error = %#v, want %q about field ip, value %q", e, tc.want, tc.ip)
			}
			if e.Msg != "not an IP address" && e.Hint == "" {
				t.Errorf("%v: no fix", e)
			}
		})
	}
}

// TestDNSNamesThatAreNames holds that a DNS name is refused when it is
// a wildcard alone or something resolvers and URL parsers read as an IPv4
// address, and the fix names the address they would read.
func TestDNSNamesThatAreNames(t *testing.T) {
	for _, tc := range []struct {
		dns, want, hint string // want empty: accepted
	}{
		{"docker.example.com", "", ""},
		{"docker.example.com.", "", ""},
		{"*.example.com", "", ""},
		{"host-1.internal", "", ""},
		{"1a.example.com", "", ""},
		{"x.0xg", "", ""},
		{"*", "a wildcard alone", "*.example.com"},
		{"*.", "a wildcard alone", "*.example.com"},
		{"1.2.3.4", "IPv4 address", "ip 1.2.3.4"},
		{"1.2.3.4.", "IPv4 address", "ip 1.2.3.4"},
		{"127.1", "IPv4 address", "ip 127.0.0.1"},
		{"10.1.2", "IPv4 address", "ip 10.1.0.2"},
		{"0x7f.1", "IPv4 address", "ip 127.0.0.1"},
		{"0X7F.0.0.1", "IPv4 address", "ip 127.0.0.1"},
		{"0177.0.0.1", "IPv4 address", "ip 127.0.0.1"},
		{"2130706433", "IPv4 address", "ip 127.0.0.1"},
		{"0x7f000001", "IPv4 address", "ip 127.0.0.1"},
		{"0", "IPv4 address", "in dotted decimal"},
		{"example.123", "IPv4 address", "in dotted decimal"},
		{"example.0x", "IPv4 address", "in dotted decimal"},
		{"1.2.3.256", "IPv4 address", "in dotted decimal"},
		{"09.1.2.3", "IPv4 address", "in dotted decimal"},
		{"0b1.1", "IPv4 address", "in dotted decimal"},
		{"1.2.3.4.5", "IPv4 address", "in dotted decimal"},
		{"bad_name", "not a valid DNS name", ""},
		{"a.*.example.com", "not a valid DNS name", ""},
		{"::1", "not a valid DNS name", ""},
		{"", "not a valid DNS name", ""},
	} {
		t.Run(tc.dns, func(t *testing.T) {
			e := addressError(t, []string{"203.0.113.10"}, []string{tc.dns})
			switch {
			case tc.want == "" && e != nil:
				t.Fatalf("refused: %v", e)
			case tc.want == "":
				return
			case e == nil:
				t.Fatalf("accepted, want %q", tc.want)
			}
			if e.Field != generator.FieldDNS || e.Value != tc.dns || !strings.Contains(e.Msg, tc.want) || !strings.Contains(e.Text(generator.Neutral), tc.hint) {
				t.Errorf("error = %v, want %q about field dns, value %q, with the fix %q", e, tc.want, tc.dns, tc.hint)
			}
		})
	}
}

// TestFirstDNSNameIsDialed holds that a wildcard cannot be DOCKER_HOST's
// address, which the first DNS name is when there is no IP address.
func TestFirstDNSNameIsDialed(t *testing.T) {
	if e := addressError(t, nil, []string{"*.example.com"}); e == nil || !strings.Contains(e.Msg, "clients dial the first DNS name") {
		t.Errorf("a wildcard alone: %v", e)
	}
	for _, ok := range []struct{ ips, dns []string }{
		{nil, []string{"docker.example.com", "*.example.com"}},
		{[]string{"203.0.113.10"}, []string{"*.example.com"}},
	} {
		if e := addressError(t, ok.ips, ok.dns); e != nil {
			t.Errorf("%v %v: %v", ok.ips, ok.dns, e)
		}
	}
}
