package store

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dockbake/dockbake/generator"
)

// realStore is a store with the records the fuzz targets start from: a
// machine of its own CA, one on a shared CA with every spec field set, a
// Flatcar machine, an imported one, one rotated to new addresses, and a
// client record.
func realStore(t testing.TB) *Store {
	s, err := Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	full := generator.Spec{
		Name: "full", IPs: []string{"203.0.113.10", "2001:db8::1"}, DNSNames: []string{"full.example.com"}, Port: 12376,
		OS: "debian-12", Install: generator.InstallDockerCE, DockerUser: "deploy",
		Engine: generator.Engine{Opts: []string{"log-level=warn"}, Labels: []string{"env=prod"}, Env: []string{"HTTP_PROXY=http://proxy:3128"},
			RegistryMirrors: []string{"https://mirror.example.com"}, InsecureRegistries: []string{"registry.local:5000"}, StorageDriver: "overlay2"},
	}.WithDefaults()
	for _, r := range []CreateRequest{
		req("own"),
		{Spec: full, CA: "fleet"},
		{Spec: generator.Spec{Name: "core", DNSNames: []string{"core.example.com"}, OS: "flatcar"}.WithDefaults()},
	} {
		if _, err := s.Create(r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Import(importRequest("imported", false)); err != nil {
		t.Fatal(err)
	}
	moved := spec("own")
	moved.IPs = []string{"198.51.100.7"}
	if _, err := s.Rotate(RotateRequest{Name: "own", Spec: &moved, CA: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddClient(ClientRequest{Machine: "full", User: "alice", Dir: filepath.Join(t.TempDir(), "alice")}); err != nil {
		t.Fatal(err)
	}
	return s
}

// FuzzParseRecord: no record makes the parser panic; a record it accepts
// has names that stay inside the store and a spec that validates, and
// reads back the same after it is written again.
func FuzzParseRecord(f *testing.F) {
	s := realStore(f)
	records, _ := filepath.Glob(filepath.Join(s.Root, "hosts", "*", recordFile))
	for _, path := range records {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := ParseRecord(data)
		if err != nil {
			return
		}
		if ValidateName("machine", rec.Name) != nil || rec.CA != "" && ValidateName("CA", rec.CA) != nil || rec.Spec.Validate() != nil {
			t.Fatalf("accepted a record with a bad name or spec: %+v", rec)
		}
		again, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseRecord(again)
		if err != nil {
			t.Fatalf("a record written again does not read back: %v\n%s", err, again)
		}
		if again2, _ := json.Marshal(back); !bytes.Equal(again, again2) {
			t.Fatalf("a record changes when written again:\n%s\n%s", again, again2)
		}
	})
}

// FuzzParseClientRecord: no client record makes the parser panic, and one
// it accepts is a client certificate without a key.
func FuzzParseClientRecord(f *testing.F) {
	s := realStore(f)
	for _, glob := range []string{"hosts/*/clients/*.pem", "hosts/*/*.pem", "machines/*/*.pem"} {
		paths, _ := filepath.Glob(filepath.Join(s.Root, glob))
		for _, path := range paths {
			data, err := os.ReadFile(path)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseClientRecord(data)
		if err != nil {
			return
		}
		if bytes.Contains(data, []byte("PRIVATE KEY")) || !slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageClientAuth) {
			t.Fatalf("accepted a record that is not a client certificate alone: %q", data)
		}
	})
}

// FuzzParseJournal: no journal makes the parser panic, and every target of
// one it accepts stays inside the store and names a part of it.
func FuzzParseJournal(f *testing.F) {
	for _, ops := range [][]txOp{
		{{opPut, "hosts/web1"}, {opPut, "machines/web1"}, {opPut, "cas/fleet"}},
		{{opRemove, "hosts/web1"}, {opRemove, "machines/web1"}},
		{{opPut, "hosts/web1/clients/alice.pem"}},
	} {
		data, err := json.Marshal(journal{Version: journalVersion, Ops: ops})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		j, err := parseJournal(data)
		if err != nil {
			return
		}
		root := filepath.FromSlash("/store")
		for _, op := range j.Ops {
			path := filepath.Join(root, filepath.FromSlash(op.Target))
			rel, err := filepath.Rel(root, path)
			if err != nil || rel == "." || strings.HasPrefix(rel, "..") || filepath.ToSlash(rel) != op.Target {
				t.Fatalf("accepted a target outside the store's parts: %q", op.Target)
			}
		}
	})
}
