package settings_test

import (
	"slices"
	"testing"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/internal/settings"
)

func TestRequestDefaults(t *testing.T) {
	req, err := settings.Settings{Name: "web1", IPAddresses: []string{"203.0.113.7"}}.Request("test")
	if err != nil {
		t.Fatal(err)
	}
	if req.Spec.Port != generator.DefaultPort || req.Spec.OS != generator.DefaultOS || req.Spec.Install == "" {
		t.Errorf("defaults not filled in: %+v", req.Spec)
	}
	if req.KeyType == "" || req.CertValidity == 0 || req.CAValidity == 0 {
		t.Errorf("key type and lifetimes not defaulted: %+v", req)
	}
}

// Every problem comes back at once, each on its attribute and element.
func TestProblemsAllAtOnce(t *testing.T) {
	s := settings.Settings{
		Name:        "web1",
		IPAddresses: []string{"10.0.0.1", "10.0.0.300", "10.0.0.300"},
		EngineOpts:  []string{"log-level=warn", "tlsverify"},
		KeyType:     "dsa",
		CA:          "bad name",
	}
	_, err := s.Request("test")
	ps, ok := settings.Problems(err, s)
	if !ok {
		t.Fatalf("not field errors: %v", err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.Attr+"["+itoa(p.Index)+"]")
	}
	for _, want := range []string{"ip_addresses[1]", "ip_addresses[2]", "engine_opts[1]", "key_type[-1]", "ca[-1]"} {
		if !slices.Contains(got, want) {
			t.Errorf("no problem at %s; got %v", want, got)
		}
	}
	for _, p := range ps {
		if p.Msg == "" || p.Err == nil {
			t.Errorf("problem without message: %+v", p)
		}
	}
}

// Every field of the core has a word in this vocabulary.
func TestEveryFieldHasAnAttribute(t *testing.T) {
	seen := map[string]string{}
	for _, f := range generator.Fields() {
		a := settings.Attribute(f)
		if other, dup := seen[a]; dup {
			t.Errorf("fields %q and %q share the attribute %q", f, other, a)
		}
		seen[a] = f
	}
}

func itoa(i int) string {
	if i < 0 {
		return "-1"
	}
	return string(rune('0' + i))
}

// format and target are checked against the OS with the rest.
func TestRequestChecksOutput(t *testing.T) {
	s := settings.Settings{Name: "web1", OS: "ubuntu-24.04", Format: "ignition", Target: "nowhere"}
	_, err := s.Request("test")
	ps, ok := settings.Problems(err, s)
	if !ok {
		t.Fatalf("not field errors: %v", err)
	}
	var attrs []string
	for _, p := range ps {
		attrs = append(attrs, p.Attr)
	}
	if !slices.Contains(attrs, "format") || !slices.Contains(attrs, "target") {
		t.Errorf("problems on %v, want format and target", attrs)
	}
	if _, err := (settings.Settings{Name: "web1", Format: "mime", Target: "aws"}).Request("test"); err != nil {
		t.Errorf("mime for aws: %v", err)
	}
}
