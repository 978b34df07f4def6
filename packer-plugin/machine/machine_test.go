package machine

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockbake/dockbake/generator"
)

func noEnv(string) string { return "" }

func prepared(t *testing.T, c Config, defaultOS string) *Config {
	t.Helper()
	if c.StoragePath == "" {
		c.StoragePath = filepath.Join(t.TempDir(), "store")
	}
	if errs := c.Prepare(noEnv, defaultOS); len(errs) > 0 {
		t.Fatalf("Prepare: %v", errors.Join(errs...))
	}
	return &c
}

func TestAttrErrorsSpeakHCL(t *testing.T) {
	c := Config{MachineName: "web", IPAddresses: []string{"10.0.0.1"}, EngineOpts: []string{"label=a=b", "storage-driver=zfs"}}
	errs := c.Prepare(noEnv, "debian-12")
	if len(errs) != 2 {
		t.Fatalf("got %d errors, want 2: %v", len(errs), errs)
	}
	for _, e := range errs {
		if strings.Contains(e.Error(), "--") {
			t.Errorf("error %q names a CLI flag, not an attribute", e)
		}
	}
	if got := errs[0].Error(); got != `engine_opts "label=a=b": dockbake sets this flag itself (use engine_labels)` {
		t.Errorf("error = %q", got)
	}
}

func TestEnsure(t *testing.T) {
	c := prepared(t, Config{MachineName: "web", DNSNames: []string{"docker.example.com"}, CA: "fleet"}, "debian-12")
	m, created, err := c.Ensure(c.Spec(c.OS), "test")
	if err != nil {
		t.Fatal(err)
	}
	if !created || m.CA != "fleet" || m.Spec.URL() != "tcp://docker.example.com:2376" {
		t.Errorf("created %v, CA %q, URL %s", created, m.CA, m.Spec.URL())
	}
	if m.Spec.Install != generator.InstallDistro {
		t.Errorf("install = %q, want debian-12's own default, distro", m.Spec.Install)
	}
	if _, err := os.Stat(filepath.Join(c.StoragePath, "cas", "fleet", "ca-key.pem")); err != nil {
		t.Errorf("shared CA not in the store: %v", err)
	}
	plan, err := m.Plan()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range plan.Files {
		if strings.Contains(f.Path, "ca-key") {
			t.Errorf("the plan puts %s on the host", f.Path)
		}
	}

	_, again, err := c.Ensure(c.Spec(c.OS), "test")
	if err != nil || again {
		t.Fatalf("second Ensure: created %v, err %v; want the machine reused", again, err)
	}

	other := *c
	other.DNSNames = []string{"other.example.com"}
	other.CA = ""
	other.KeyType = "rsa-2048"
	_, _, err = other.Ensure(other.Spec("ubuntu-24.04"), "test")
	want := `other settings (dns_names, os: stored "debian-12", here "ubuntu-24.04", ca, key_type)`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Ensure with other settings: %v\nwant it to name %s", err, want)
	}
}
