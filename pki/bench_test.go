package pki

import (
	"net"
	"testing"
)

// BenchmarkMachine measures what `dockbake create` spends on cryptography:
// a CA, a server and a client certificate, for each key type.
func BenchmarkMachine(b *testing.B) {
	sans := SANs{IPs: []net.IP{net.ParseIP("203.0.113.10")}, DNSNames: []string{"localhost"}}
	for _, kt := range KeyTypes() {
		b.Run(string(kt), func(b *testing.B) {
			o := Options{KeyType: kt}
			for b.Loop() {
				ca, err := NewCA("bench", o)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := ca.IssueServer("bench", sans, o); err != nil {
					b.Fatal(err)
				}
				if _, err := ca.IssueClient("bench", o); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
