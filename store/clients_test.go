package store

import (
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockbake/dockbake/pki"
)

func TestAddClient(t *testing.T) {
	s := testStore(t)
	m := mustCreate(t, s, "web1", "")
	dir := filepath.Join(t.TempDir(), "web1-alice")
	got, err := s.AddClient(ClientRequest{Machine: "web1", User: "alice", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if got.Cert.Subject.CommonName != "alice" || got.Replaced != nil {
		t.Errorf("issued %+v", got)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	// What DOCKER_CERT_PATH needs, and never a CA key.
	if strings.Join(names, " ") != "ca.pem cert.pem key.pem" {
		t.Errorf("directory holds %v", names)
	}
	for name, want := range map[string]os.FileMode{".": 0o700, "key.pem": 0o600, "cert.pem": 0o644, "ca.pem": 0o644} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: %v %v, want %04o", name, fi.Mode().Perm(), err, want)
		}
	}
	certPEM, _ := os.ReadFile(filepath.Join(dir, "cert.pem"))
	keyPEM, _ := os.ReadFile(filepath.Join(dir, "key.pem"))
	if _, err := pki.LoadPair(certPEM, keyPEM); err != nil {
		t.Error(err)
	}
	if !chains(t, filepath.Join(m.ClientDir, ClientCAFile), got.Cert, x509.ExtKeyUsageClientAuth) {
		t.Error("teammate certificate does not chain to the machine's CA")
	}
	list, err := s.Clients(m)
	if err != nil || len(list) != 1 || list[0].User != "alice" {
		t.Fatalf("Clients = %v, %v", list, err)
	}
	// The store keeps the certificate only, never the teammate's key.
	data, _ := os.ReadFile(filepath.Join(s.HostDir("web1"), clientsDir, "alice.pem"))
	if strings.Contains(string(data), "PRIVATE KEY") {
		t.Error("the store kept the teammate's key")
	}

	// Again: refused without force, for the directory and for the user.
	if _, err := s.AddClient(ClientRequest{Machine: "web1", User: "alice", Dir: dir}); !errors.Is(err, ErrExists) {
		t.Errorf("existing directory: %v", err)
	}
	if _, err := s.AddClient(ClientRequest{Machine: "web1", User: "alice", Dir: dir + "2"}); !errors.Is(err, ErrExists) {
		t.Errorf("existing user: %v", err)
	}
	again, err := s.AddClient(ClientRequest{Machine: "web1", User: "alice", Dir: dir, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if again.Replaced == nil || pki.Fingerprint(again.Replaced) != pki.Fingerprint(got.Cert) {
		t.Error("replaced certificate not reported")
	}
}

func TestAddClientRefuses(t *testing.T) {
	s := testStore(t)
	mustCreate(t, s, "web1", "")
	home := t.TempDir()
	os.WriteFile(filepath.Join(home, "notes.txt"), []byte("mine"), 0o644)
	for _, tc := range []struct {
		name string
		req  ClientRequest
		want string
	}{
		{"bad user", ClientRequest{Machine: "web1", User: "../x", Dir: filepath.Join(home, "x")}, "user name"},
		{"unknown machine", ClientRequest{Machine: "nope", User: "bob", Dir: filepath.Join(home, "x")}, "not found"},
		{"foreign directory", ClientRequest{Machine: "web1", User: "bob", Dir: home, Force: true}, "holds more than a client certificate"},
		{"the owner's client directory", ClientRequest{Machine: "web1", User: "bob", Dir: s.ClientDir("web1"), Force: true}, "inside the store"},
		{"the store itself", ClientRequest{Machine: "web1", User: "bob", Dir: s.Root, Force: true}, "inside the store"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.AddClient(tc.req); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(home, "notes.txt")); err != nil {
		t.Error("a foreign directory was touched")
	}
	if list, _ := s.Clients(&Machine{Record: Record{Name: "web1"}}); len(list) != 0 {
		t.Errorf("failed requests left records: %v", list)
	}
}
