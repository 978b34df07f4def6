package fleet

import (
	"slices"
	"testing"

	"github.com/dockbake/dockbake/generator"
)

// Each kind of change is classified as the one that it needs: an address
// a new server certificate, anything else of the spec a new rendering.
func TestSpecChanges(t *testing.T) {
	base := generator.Spec{Name: "a", IPs: []string{"192.0.2.1"}, OS: "debian-12", Port: 2376, Install: "distro"}
	for _, tc := range []struct {
		name   string
		change func(*generator.Spec)
		certs  bool
		keys   []string
	}{
		{"nothing", func(*generator.Spec) {}, false, nil},
		{"an empty list is no list", func(s *generator.Spec) { s.DNSNames = []string{} }, false, nil},
		{"an address", func(s *generator.Spec) { s.IPs = []string{"192.0.2.2"} }, true, []string{"ip_addresses"}},
		{"a DNS name", func(s *generator.Spec) { s.DNSNames = []string{"a.example.com"} }, true, []string{"dns_names"}},
		{"the OS", func(s *generator.Spec) { s.OS = "debian-13" }, false, []string{"os"}},
		{"engine and port", func(s *generator.Spec) { s.Engine.Labels = []string{"x=y"}; s.Port = 2377 }, false, []string{"engine_labels", "port"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			next := base
			tc.change(&next)
			certs, keys := specChanges(base, next)
			if certs != tc.certs || !slices.Equal(keys, tc.keys) {
				t.Errorf("got %v %v, want %v %v", certs, keys, tc.certs, tc.keys)
			}
		})
	}
}

func TestExt(t *testing.T) {
	ubuntu, _ := generator.LookupOS("ubuntu-24.04")
	flatcar, _ := generator.LookupOS("flatcar")
	for _, tc := range []struct {
		f    generator.Format
		os   generator.OS
		want string
	}{{"", ubuntu, ".yaml"}, {"", flatcar, ".ign"}, {generator.FormatMIME, ubuntu, ".mime"}, {generator.FormatScript, ubuntu, ".sh"}, {generator.FormatButane, flatcar, ".bu"}} {
		if got := Ext(tc.f, tc.os); got != tc.want {
			t.Errorf("Ext(%q, %s) = %q, want %q", tc.f, tc.os.ID, got, tc.want)
		}
	}
}
