package dockbake

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	packersdk "github.com/hashicorp/packer-plugin-sdk/packer"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/packer-plugin/machine"
	"github.com/dockbake/dockbake/packer-plugin/version"
	"github.com/dockbake/dockbake/store"
)

var _ packersdk.Datasource = new(Datasource)

func testConfig(t *testing.T) map[string]any {
	return map[string]any{
		"machine_name": "web",
		"storage_path": filepath.Join(t.TempDir(), "store"),
		"ip_addresses": []string{"198.51.100.7"},
		"port":         2376,
	}
}

func noEnv(string) string { return "" }

func TestConfigureDefaults(t *testing.T) {
	d := &Datasource{getenv: noEnv}
	if err := d.Configure(testConfig(t)); err != nil {
		t.Fatal(err)
	}
	if d.config.OS != generator.DefaultOS {
		t.Errorf("os = %q, want %q: the data source sees no VM to detect", d.config.OS, generator.DefaultOS)
	}
}

func TestConfigureErrors(t *testing.T) {
	cfg := testConfig(t)
	// No address at all is allowed (a machine attached later): a bad one is not.
	cfg["ip_addresses"] = []string{"10.0.0.300"}
	cfg["port"] = -1
	cfg["install"] = "snap"
	err := (&Datasource{getenv: noEnv}).Configure(cfg)
	var me *packersdk.MultiError
	if !errors.As(err, &me) || len(me.Errors) != 3 {
		t.Fatalf("Configure error = %v, want 3 errors", err)
	}
	for i, attr := range []string{"ip_addresses", "port", "install"} {
		var ae *machine.AttrError
		if !errors.As(me.Errors[i], &ae) || ae.Attr != attr {
			t.Errorf("error %d = %v, want one about %s", i, me.Errors[i], attr)
		}
	}
}

func TestExecute(t *testing.T) {
	cfg := testConfig(t)
	d := &Datasource{getenv: noEnv}
	if err := d.Configure(cfg); err != nil {
		t.Fatal(err)
	}
	v, err := d.Execute()
	if err != nil {
		t.Fatal(err)
	}
	out := v.AsValueMap()
	ud := out["user_data"].AsString()

	// The user-data is what `dockbake render web` prints.
	s, err := store.Open(cfg["storage_path"].(string))
	if err != nil {
		t.Fatal(err)
	}
	m, err := machine.Load(s, "web", version.Tool())
	if err != nil {
		t.Fatal(err)
	}
	plan, err := m.Plan()
	if err != nil {
		t.Fatal(err)
	}
	want, err := generator.RenderCloudConfig(plan)
	if err != nil {
		t.Fatal(err)
	}
	if ud != string(want) {
		t.Errorf("user_data differs from the machine's cloud-config:\n%s", ud)
	}
	if !strings.HasPrefix(ud, "#cloud-config\n") || !strings.Contains(ud, "/etc/docker/server-key.pem") {
		t.Errorf("user_data is not the machine's cloud-config:\n%s", ud)
	}
	if caKey := readFile(t, filepath.Join(s.HostDir("web"), "ca-key.pem")); strings.Contains(ud, strings.TrimSpace(caKey)) {
		t.Error("user_data carries the CA key")
	}

	zipped, err := base64.StdEncoding.DecodeString(out["user_data_base64"].AsString())
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		t.Fatalf("user_data_base64 is not gzip: %v", err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil || string(unzipped) != ud {
		t.Errorf("user_data_base64 does not unpack to user_data (%v)", err)
	}

	if got := out["docker_host"].AsString(); got != "tcp://198.51.100.7:2376" {
		t.Errorf("docker_host = %q", got)
	}
	if got := out["cert_path"].AsString(); got != s.ClientDir("web") {
		t.Errorf("cert_path = %q, want %q", got, s.ClientDir("web"))
	}

	// A second run reuses the machine: same keys, same user-data.
	again, err := d.Execute()
	if err != nil {
		t.Fatal(err)
	}
	if again.AsValueMap()["user_data"].AsString() != ud {
		t.Error("a second Execute rendered other user-data: the machine was not reused")
	}
}

func TestExecuteMismatch(t *testing.T) {
	cfg := testConfig(t)
	d := &Datasource{getenv: noEnv}
	if err := d.Configure(cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Execute(); err != nil {
		t.Fatal(err)
	}
	cfg["os"] = "debian-12"
	d = &Datasource{getenv: noEnv}
	if err := d.Configure(cfg); err != nil {
		t.Fatal(err)
	}
	_, err := d.Execute()
	if err == nil || !strings.Contains(err.Error(), `os: stored "ubuntu-24.04", here "debian-12"`) {
		t.Fatalf("error = %v, want the os difference", err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
