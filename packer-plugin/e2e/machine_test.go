package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/dockbake/dockbake/packer-plugin/machine"
	"github.com/dockbake/dockbake/store"
)

// TestMachineMatchesCLI: the plugin creates a machine exactly as
// `dockbake create` does (same spec, CA and key type in machine.json), and
// reuses one the CLI created.
func TestMachineMatchesCLI(t *testing.T) {
	dockbake := buildDockbake(t)
	dir := t.TempDir()
	cliStore, pluginStore := filepath.Join(dir, "cli"), filepath.Join(dir, "plugin")
	run(t, exec.Command(dockbake, "--storage-path", cliStore, "create", "m1",
		"--ip", "192.0.2.9", "--dns", "docker.example.com", "--os", "debian-12",
		"--docker-user", "deploy", "--engine-label", "env=prod", "--engine-opt", "log-level=warn", "--ca", "fleet"),
		"dockbake create")

	cfg := machine.Config{
		MachineName: "m1", IPAddresses: []string{"192.0.2.9"}, DNSNames: []string{"docker.example.com"}, OS: "debian-12",
		DockerUser: "deploy", EngineLabels: []string{"env=prod"}, EngineOpts: []string{"log-level=warn"}, CA: "fleet",
	}
	for _, root := range []string{pluginStore, cliStore} {
		c := cfg
		c.StoragePath = root
		if errs := c.Prepare(func(string) string { return "" }, ""); len(errs) > 0 {
			t.Fatal(errs)
		}
		_, created, err := c.Ensure(c.Spec(c.OS), "test")
		if err != nil {
			t.Fatalf("Ensure in %s: %v", root, err)
		}
		if wantCreated := root == pluginStore; created != wantCreated {
			t.Errorf("Ensure in %s: created = %v, want %v", root, created, wantCreated)
		}
	}

	cli, plugin := record(t, cliStore, "m1"), record(t, pluginStore, "m1")
	if !bytes.Equal(cli.Spec, plugin.Spec) {
		t.Errorf("machine.json spec:\nCLI:    %s\nplugin: %s", cli.Spec, plugin.Spec)
	}
	if cli.CA != plugin.CA || cli.KeyType != plugin.KeyType || cli.Version != plugin.Version {
		t.Errorf("machine.json: CLI has CA %q, key type %q, version %d; plugin %q, %q, %d",
			cli.CA, cli.KeyType, cli.Version, plugin.CA, plugin.KeyType, plugin.Version)
	}
}

// rawRecord is machine.json with the spec left as it is on disk.
type rawRecord struct {
	store.Record
	Spec json.RawMessage `json:"spec"`
}

func record(t *testing.T, root, name string) rawRecord {
	t.Helper()
	s, err := store.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(s.HostDir(name), "machine.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r rawRecord
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}
