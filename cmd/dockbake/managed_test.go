package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/pki"
	"github.com/dockbake/dockbake/store"
)

// A machine another tool manages is refused by every command that would
// change it, with a hint, and left as it was; --force gets through.
func TestManagedRefused(t *testing.T) {
	root := filepath.Join(t.TempDir(), "store")
	s, err := store.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	spec := generator.Spec{Name: "web1", IPs: []string{"203.0.113.7"}}.WithDefaults()
	m, err := s.Create(store.CreateRequest{Spec: spec, KeyType: pki.ECDSAP256, ManagedBy: "terraform"})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := m.ServerCert()
	for _, tc := range []struct{ name, args string }{
		{"rm", "rm web1"},
		{"regenerate", "regenerate-certs web1 --ip 203.0.113.8"},
		{"attach", "attach web1 --ip 127.0.0.1 --timeout 1s"},
		{"client add", "client add web1 --user ann --output " + filepath.Join(t.TempDir(), "ann")},
		{"create over it", "create web1 --force --ip 203.0.113.9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stderr := runManaged(root, strings.Fields(tc.args)...)
			if code == 0 || !strings.Contains(stderr, `machine "web1" is managed by terraform`) || !strings.Contains(stderr, "dockbake: hint: change it in its terraform configuration") {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr)
			}
			after, err := s.Load("web1")
			if err != nil {
				t.Fatal(err)
			}
			if c, _ := after.ServerCert(); pki.Fingerprint(c) != pki.Fingerprint(before) || len(after.Spec.IPs) != 1 {
				t.Errorf("the machine changed")
			}
		})
	}
	if code, stderr := runManaged(root, "env", "web1"); code != 0 {
		t.Errorf("env of a managed machine: exit %d: %s", code, stderr)
	}
	if code, stderr := runManaged(root, "rm", "--force", "web1"); code != 0 || s.Exists("web1") {
		t.Errorf("rm --force: exit %d: %s", code, stderr)
	}
}

func runManaged(root string, args ...string) (int, string) {
	var out, errb bytes.Buffer
	getenv := func(k string) string {
		switch k {
		case "DOCKBAKE_STORAGE_PATH":
			return root
		case "SHELL":
			return "/bin/bash"
		}
		return ""
	}
	code := run(append([]string{"dockbake"}, args...), &proc{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: getenv})
	return code, errb.String()
}
