package dockbake

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	packersdk "github.com/hashicorp/packer-plugin-sdk/packer"

	"github.com/dockbake/dockbake/packer-plugin/machine"
)

var _ packersdk.Provisioner = new(Provisioner)

// testConfig is the smallest valid configuration, with a store of its own.
func testConfig(t *testing.T) map[string]any {
	return map[string]any{
		"machine_name": "web",
		"storage_path": filepath.Join(t.TempDir(), "store"),
		"ip_addresses": []string{"203.0.113.10"},
	}
}

func noEnv(string) string { return "" }

func TestPrepareDefaults(t *testing.T) {
	p := &Provisioner{getenv: noEnv}
	cfg := testConfig(t)
	if err := p.Prepare(cfg); err != nil {
		t.Fatal(err)
	}
	c := p.config
	for _, d := range []struct{ name, got, want string }{
		{"execute_command", c.ExecuteCommand, DefaultExecuteCommand},
		{"os", c.OS, ""}, // detected in Provision
		{"key_type", c.KeyType, "ecdsa-p256"},
		{"cert_validity", c.CertValidity, "825d"},
		{"ca_validity", c.CAValidity, "3650d"},
		{"storage_path", c.StoragePath, cfg["storage_path"].(string)},
	} {
		if d.got != d.want {
			t.Errorf("%s = %q, want %q", d.name, d.got, d.want)
		}
	}
	if c.Port != 2376 || c.PreventSudo {
		t.Errorf("port = %d, prevent_sudo = %v; want 2376, false", c.Port, c.PreventSudo)
	}
	if _, err := os.Stat(c.StoragePath); !os.IsNotExist(err) {
		t.Errorf("Prepare touched the store %s (err %v): it must have no side effects", c.StoragePath, err)
	}
}

func TestPrepareStoragePathFromEnvironment(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"DOCKBAKE_STORAGE_PATH", map[string]string{"DOCKBAKE_STORAGE_PATH": "/srv/dockbake", "HOME": "/home/u"}, "/srv/dockbake"},
		{"HOME", map[string]string{"HOME": "/home/u"}, "/home/u/.docker/dockbake"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &Provisioner{getenv: func(k string) string { return tc.env[k] }}
			cfg := testConfig(t)
			delete(cfg, "storage_path")
			if err := p.Prepare(cfg); err != nil {
				t.Fatal(err)
			}
			if p.config.StoragePath != tc.want {
				t.Errorf("storage_path = %q, want %q", p.config.StoragePath, tc.want)
			}
		})
	}
}

// TestPrepareNoAddress: an image baked for a machine without an address
// (attached later, with dockbake attach) is allowed.
func TestPrepareNoAddress(t *testing.T) {
	cfg := testConfig(t)
	delete(cfg, "ip_addresses")
	if err := (&Provisioner{getenv: noEnv}).Prepare(cfg); err != nil {
		t.Fatalf("Prepare without ip_addresses: %v", err)
	}
}

func TestPrepareErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  map[string]any
		drop []string
		want string // the error names the attribute
	}{
		{"no name", nil, []string{"machine_name"}, "machine_name: a machine needs a name"},
		{"bad name", map[string]any{"machine_name": "../web"}, nil, `machine_name "../web": not a valid name`},
		{"bad ip", map[string]any{"ip_addresses": []string{"10.0.0.300"}}, nil, `ip_addresses "10.0.0.300": not an IP address`},
		{"bad dns", map[string]any{"dns_names": []string{"-web"}}, nil, `dns_names "-web": not a valid DNS name`},
		{"bad port", map[string]any{"port": 70000}, nil, `port "70000": not a TCP port`},
		{"bad os", map[string]any{"os": "plan9"}, nil, `os "plan9": unknown OS`},
		{"bad install", map[string]any{"install": "snap"}, nil, `install "snap": unknown install method`},
		{"managed flag", map[string]any{"engine_opts": []string{"tlsverify"}}, nil, `engine_opts "tlsverify": dockbake sets this flag itself`},
		{"label flag", map[string]any{"engine_opts": []string{"label=a=b"}}, nil, "(use engine_labels)"},
		{"bad label", map[string]any{"engine_labels": []string{"nokey"}}, nil, `engine_labels "nokey": a label is key=value`},
		{"bad env", map[string]any{"engine_env": []string{"1X=y"}}, nil, `engine_env "1X=y"`},
		{"empty mirror", map[string]any{"engine_registry_mirrors": []string{""}}, nil, "engine_registry_mirrors: must not be empty"},
		{"bad driver", map[string]any{"engine_storage_driver": "Over Lay"}, nil, `engine_storage_driver "Over Lay"`},
		{"bad user", map[string]any{"docker_user": "Root!"}, nil, `docker_user "Root!"`},
		{"bad ca", map[string]any{"ca": "a/b"}, nil, `ca "a/b": not a valid CA name`},
		{"bad key type", map[string]any{"key_type": "dsa"}, nil, `key_type "dsa": unknown key type: use one of ecdsa-p256`},
		{"bad validity", map[string]any{"cert_validity": "30m"}, nil, `cert_validity "30m": not a lifetime of at least an hour`},
		{"bad ca validity", map[string]any{"ca_validity": "ten years"}, nil, `ca_validity "ten years"`},
		{"bad template", map[string]any{"execute_command": "sudo {{.Path"}, nil, "invalid 'execute_command'"},
		{"unknown field", map[string]any{"execute_command": "sudo {{.Script}}"}, nil, `execute_command "sudo {{.Script}}": template`},
		{"unknown key", map[string]any{"ip": "10.0.0.1"}, nil, `unknown configuration key: '"ip"'`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			for k, v := range tc.set {
				cfg[k] = v
			}
			for _, k := range tc.drop {
				delete(cfg, k)
			}
			err := (&Provisioner{getenv: noEnv}).Prepare(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Prepare error = %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

// TestPrepareReportsEverything checks that one Prepare reports every
// problem, each as its own error naming its attribute.
func TestPrepareReportsEverything(t *testing.T) {
	cfg := map[string]any{
		"machine_name":  "web",
		"storage_path":  t.TempDir(),
		"ip_addresses":  []string{"300.1.1.1"},
		"port":          0x10000,
		"os":            "beos",
		"engine_labels": []string{"x"},
		"key_type":      "dsa",
		"cert_validity": "0d",
	}
	err := (&Provisioner{getenv: noEnv}).Prepare(cfg)
	var me *packersdk.MultiError
	if !errors.As(err, &me) {
		t.Fatalf("Prepare error = %v (%T), want a MultiError", err, err)
	}
	want := []string{"ip_addresses", "port", "os", "engine_labels", "key_type", "cert_validity"}
	if len(me.Errors) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(me.Errors), len(want), err)
	}
	for i, attr := range want {
		var ae *machine.AttrError
		if !errors.As(me.Errors[i], &ae) || ae.Attr != attr {
			t.Errorf("error %d = %v, want one about %s", i, me.Errors[i], attr)
		}
	}
}
