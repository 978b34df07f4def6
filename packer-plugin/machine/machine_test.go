package machine

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
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

// TestEveryFieldHasAnAttribute holds that the plugin has an HCL word for
// every field of the core it can meet, and that the inputs of a dockbake
// block are said as the attributes that set them.
func TestEveryFieldHasAnAttribute(t *testing.T) {
	tags := map[string]bool{}
	typ := reflect.TypeOf(Config{})
	for i := 0; i < typ.NumField(); i++ {
		tags[typ.Field(i).Tag.Get("mapstructure")] = true
	}
	// Output fields: a block renders user-data the default way today.
	output := []string{generator.FieldFormat, generator.FieldMerge, generator.FieldTarget, generator.FieldGzip, generator.FieldBase64}
	for _, field := range generator.Fields() {
		attr := attribute(field)
		switch {
		case field == generator.FieldShell || field == generator.FieldUser:
			// CLI-only inputs: env's shell and client add's user.
		case !tags[attr] && !slices.Contains(output, field):
			t.Errorf("field %q is said as %q, which is no attribute of Config", field, attr)
		}
	}
}

// TestPrepareSpeaksOnlyHCL breaks every setting at once and checks that no
// message says a field as a CLI flag or as the core's neutral key.
func TestPrepareSpeaksOnlyHCL(t *testing.T) {
	c := Config{
		MachineName: "a/b", IPAddresses: []string{"0.0.0.0", "10.0.0.300"}, DNSNames: []string{"*", "127.1"}, Port: 70000,
		OS: "plan9", Install: "snap", DockerUser: "Root!", CA: "../x", KeyType: "dsa", CertValidity: "10m", CAValidity: "1y",
		EngineOpts:   []string{"label=a", "registry-mirror=m", "insecure-registry=r", "storage-driver=zfs", "Bad Flag"},
		EngineLabels: []string{"nokey"}, EngineEnv: []string{"1X=y"}, EngineStorageDriver: "Over Lay",
		EngineRegistryMirrors: []string{""}, EngineInsecureRegistries: []string{""},
	}
	errs := c.Prepare(noEnv, "debian-12")
	if len(errs) < 18 {
		t.Fatalf("got %d errors, want one per problem: %v", len(errs), errors.Join(errs...))
	}
	neutral := regexp.MustCompile(`\b(ip|dns|engine_opt|engine_label|engine_registry_mirror|engine_insecure_registry)\b|--|[{}]`)
	for _, e := range errs {
		if m := neutral.FindString(e.Error()); m != "" {
			t.Errorf("error %q says %q, not an attribute", e, m)
		}
		var ae *AttrError
		if !errors.As(e, &ae) || !slices.Contains(attrNames(), ae.Attr) {
			t.Errorf("error %v is not about an attribute", e)
		}
	}
	for _, want := range []string{
		`machine_name "a/b": not a valid name`, `dns_names "127.1": ends in a number, so resolvers and URL parsers read it as an IPv4 address: give it as ip_addresses 127.0.0.1`,
		`engine_opts "storage-driver=zfs": dockbake sets this flag itself (use engine_storage_driver)`,
		`key_type "dsa": unknown key type: use one of ecdsa-p256`, `ca "../x": not a valid CA name`,
	} {
		if !strings.Contains(errors.Join(errs...).Error(), want) {
			t.Errorf("errors lack %q:\n%v", want, errors.Join(errs...))
		}
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

// attrNames are the attributes of every field of the core.
func attrNames() []string {
	var names []string
	for _, f := range generator.Fields() {
		names = append(names, attribute(f))
	}
	return names
}

// A stored record that another version of dockbake wrote, with a field
// this one does not know, points to that version, not to rm --force.
func TestLoadOfAnotherVersionsRecord(t *testing.T) {
	c := prepared(t, Config{MachineName: "web"}, "debian-12")
	if _, _, err := c.Ensure(c.Spec(c.OS), "test"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(c.StoragePath, "hosts", "web", "machine.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(data), `"tool_version": "test"`, `"tool_version": "v99.1.0", "rotation_policy": "weekly"`, 1)
	if edited == string(data) {
		t.Fatalf("no tool_version to edit in %s", data)
	}
	if err := os.WriteFile(path, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Ensure(c.Spec(c.OS), "test")
	if err == nil || !strings.Contains(err.Error(), "use the version of dockbake that wrote it") || strings.Contains(err.Error(), "rm --force") {
		t.Errorf("err = %v, want one pointing to the version that wrote it, not to rm --force", err)
	}
	// The same unknown field in a record that names this version as its
	// writer is damage: another version is no fix.
	if err := os.WriteFile(path, []byte(strings.Replace(edited, "v99.1.0", "test", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Ensure(c.Spec(c.OS), "test")
	if err == nil || strings.Contains(err.Error(), "use the version of dockbake that wrote it") || !strings.Contains(err.Error(), "rm --force web") {
		t.Errorf("err = %v, want the damage's hint, rm --force", err)
	}
}
