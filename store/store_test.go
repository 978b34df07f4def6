package store

import (
	"crypto/x509"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/pki"
)

func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "store with space"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// spec is a valid machine spec for name at 203.0.113.10 and localhost.
func spec(name string) generator.Spec {
	return generator.Spec{Name: name, IPs: []string{"203.0.113.10"}, DNSNames: []string{"localhost"}}.WithDefaults()
}

func req(name string) CreateRequest {
	return CreateRequest{Spec: spec(name), ToolVersion: "test"}
}

// tree lists every path below root with its permission bits.
func tree(t *testing.T, root string) map[string]fs.FileMode {
	t.Helper()
	out := map[string]fs.FileMode{}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := d.Info()
		rel, _ := filepath.Rel(root, p)
		out[rel] = fi.Mode().Perm()
		return nil
	})
	return out
}

func TestCreateLayoutAndModes(t *testing.T) {
	s := newStore(t)
	if _, err := s.Create(req("web1")); err != nil {
		t.Fatal(err)
	}
	got := tree(t, s.Root)
	want := map[string]fs.FileMode{
		"machines/web1/ca.pem": 0o644, "machines/web1/cert.pem": 0o644, "machines/web1/key.pem": 0o600,
		"hosts/web1/machine.json": 0o600, "hosts/web1/server.pem": 0o644, "hosts/web1/server-key.pem": 0o600,
		"hosts/web1/ca.pem": 0o644, "hosts/web1/ca-key.pem": 0o600,
		"machines": 0o700, "machines/web1": 0o700, "hosts": 0o700, "hosts/web1": 0o700, ".": 0o700,
	}
	for p, mode := range want {
		if got[p] != mode {
			t.Errorf("%s: mode %04o, want %04o", p, got[p], mode)
		}
	}
	// The client directory holds exactly what a docker client needs.
	entries, _ := os.ReadDir(s.ClientDir("web1"))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "ca.pem cert.pem key.pem" {
		t.Errorf("client dir holds %v", names)
	}
}

func TestClientAndServerChainToMachineCA(t *testing.T) {
	s := newStore(t)
	m, err := s.Create(req("web1"))
	if err != nil {
		t.Fatal(err)
	}
	hf, err := m.HostCerts()
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := pki.ParseCertificate(hf.CACert)
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	srv, _ := pki.ParseCertificate(hf.ServerCert)
	if _, err := srv.Verify(x509.VerifyOptions{Roots: roots, DNSName: "203.0.113.10"}); err != nil {
		t.Errorf("server cert: %v", err)
	}
	cli, _ := m.ClientCert()
	if _, err := cli.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("client cert: %v", err)
	}
	if m.CAFingerprint != pki.Fingerprint(ca) {
		t.Error("record fingerprint differs from the CA certificate")
	}
}

func TestEachMachineHasItsOwnCA(t *testing.T) {
	s := newStore(t)
	a, _ := s.Create(req("a"))
	b, _ := s.Create(req("b"))
	if a.CAFingerprint == b.CAFingerprint {
		t.Fatal("two machines share a CA without --ca")
	}
}

func TestConcurrentCreatesShareOneCA(t *testing.T) {
	s := newStore(t)
	var wg sync.WaitGroup
	fps := make([]string, 8)
	errs := make([]error, 8)
	for i := range fps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := req("m" + string(rune('0'+i)))
			r.CA = "fleet"
			m, err := s.Create(r)
			errs[i] = err
			if err == nil {
				fps[i] = m.CAFingerprint
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
		if fps[i] != fps[0] {
			t.Fatalf("machine %d got CA %s, machine 0 got %s", i, fps[i], fps[0])
		}
	}
	names, _ := s.Names()
	if len(names) != 8 {
		t.Errorf("names = %v", names)
	}
	// A shared CA lives apart from every machine and survives removal.
	if err := s.Remove("m0"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.CADir("fleet"), "ca-key.pem")); err != nil {
		t.Errorf("shared CA key gone after rm: %v", err)
	}
}

func TestNoOverwriteWithoutForce(t *testing.T) {
	s := newStore(t)
	first, _ := s.Create(req("web1"))
	before := tree(t, s.Root)
	if _, err := s.Create(req("web1")); !errors.Is(err, ErrExists) {
		t.Fatalf("second create: %v, want ErrExists", err)
	}
	m, _ := s.Load("web1")
	if m.CAFingerprint != first.CAFingerprint {
		t.Error("failed create changed the machine")
	}
	if after := tree(t, s.Root); len(after) != len(before) {
		t.Errorf("failed create left files behind: %d paths before, %d after", len(before), len(after))
	}
	r := req("web1")
	r.Force = true
	second, err := s.Create(r)
	if err != nil {
		t.Fatal(err)
	}
	if second.CAFingerprint == first.CAFingerprint {
		t.Error("--force kept the old CA")
	}
}

func TestFailedCreateWritesNothing(t *testing.T) {
	s := newStore(t)
	r := req("web1")
	r.CertValidity = 20 * 365 * 24 * time.Hour // the CA is staged, the server certificate fails
	if _, err := s.Create(r); err == nil {
		t.Fatal("create of a certificate outliving its CA succeeded")
	}
	if s.Exists("web1") {
		t.Error("a failed create left a machine behind")
	}
	staged, _ := os.ReadDir(filepath.Join(s.Root, ".staging"))
	if len(staged) != 0 {
		t.Errorf("staging not cleaned: %v", staged)
	}
}

func TestNames(t *testing.T) {
	for _, bad := range []string{"", ".", "..", "a/b", "../x", "a..b", "-x", strings.Repeat("a", 64), "a b", "a\nb"} {
		if err := ValidateName("machine", bad); err == nil {
			t.Errorf("name %q accepted", bad)
		}
	}
	for _, good := range []string{"web1", "a", "web-1.prod_eu", strings.Repeat("a", 63)} {
		if err := ValidateName("machine", good); err != nil {
			t.Errorf("name %q refused: %v", good, err)
		}
	}
	// The refusal is generator's one message, naming the field it came from.
	for kind, field := range map[string]string{"machine": generator.FieldName, "CA": generator.FieldCA, "user": generator.FieldUser} {
		var fe *generator.FieldError
		if err := ValidateName(kind, "a/b"); !errors.As(err, &fe) || fe.Field != field || fe.Value != "a/b" || fe.Hint == "" {
			t.Errorf("%s name: err = %#v, want a field error of %s", kind, err, field)
		}
	}
}

func TestCorruptRecord(t *testing.T) {
	s := newStore(t)
	s.Create(req("web1"))
	path := filepath.Join(s.HostDir("web1"), "machine.json")
	for _, content := range []string{"{not json", `{"version": 99, "name": "web1", "spec": {}}`, `{"version":1,"name":"web1","spec":{},"extra":1}`} {
		os.WriteFile(path, []byte(content), 0o600)
		_, err := s.Load("web1")
		var ce *CorruptError
		if !errors.As(err, &ce) || ce.Path != path {
			t.Errorf("content %q: err = %v, want CorruptError naming %s", content, err, path)
		}
	}
}

func TestTamperedCAIsDetected(t *testing.T) {
	s := newStore(t)
	m, _ := s.Create(req("web1"))
	other, _ := s.Create(req("other"))
	otherCA, _ := os.ReadFile(filepath.Join(other.ClientDir, "ca.pem"))
	os.WriteFile(filepath.Join(m.ClientDir, "ca.pem"), otherCA, 0o644)
	m, err := s.Load("web1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.HostCerts(); err == nil || !strings.Contains(err.Error(), "fingerprint") {
		t.Errorf("swapped CA not detected: %v", err)
	}
	// Whoever reads the CA certificate, to verify a host against it, gets
	// the same check.
	if _, err := m.CACert(); err == nil || !strings.Contains(err.Error(), "fingerprint") {
		t.Errorf("swapped CA trusted: %v", err)
	}
}

func TestWorldReadableKeyWarns(t *testing.T) {
	s := newStore(t)
	s.Create(req("web1"))
	os.Chmod(filepath.Join(s.ClientDir("web1"), "key.pem"), 0o644)
	m, err := s.Load("web1")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Warnings) != 1 || !strings.Contains(m.Warnings[0], "chmod 600") {
		t.Errorf("warnings = %v", m.Warnings)
	}
}

func TestRemove(t *testing.T) {
	s := newStore(t)
	s.Create(req("web1"))
	s.Create(req("web2"))
	if err := s.Remove("web1"); err != nil {
		t.Fatal(err)
	}
	if s.Exists("web1") {
		t.Error("web1 still there")
	}
	if err := s.Remove("web1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second remove: %v", err)
	}
	names, _ := s.Names()
	if !sort.StringsAreSorted(names) || len(names) != 1 || names[0] != "web2" {
		t.Errorf("names = %v", names)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	for _, content := range []string{"one", "two"} {
		if err := WriteFileAtomic(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(p)
		fi, _ := os.Stat(p)
		if string(b) != content || fi.Mode().Perm() != 0o600 {
			t.Errorf("got %q mode %04o", b, fi.Mode().Perm())
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(p))
	if len(entries) != 1 {
		t.Errorf("temp files left: %v", entries)
	}
}

func TestFailedCreateLeavesNoSharedCA(t *testing.T) {
	s := newStore(t)
	r := req("web1")
	r.CA = "fleet"
	r.CertValidity = 20 * 365 * 24 * time.Hour // outlives a new CA's ten years
	if _, err := s.Create(r); err == nil || !strings.Contains(err.Error(), "outlive its CA") {
		t.Fatalf("err = %v", err)
	}
	if PathExists(s.CADir("fleet")) {
		t.Error("a failed create left the new shared CA behind")
	}
	r.CertValidity = 0
	if _, err := s.Create(r); err != nil {
		t.Fatal(err)
	}
	if !PathExists(filepath.Join(s.CADir("fleet"), "ca-key.pem")) {
		t.Error("the shared CA was not placed")
	}
}

func TestStoreLiteralHasAClock(t *testing.T) {
	s := &Store{Root: t.TempDir()}
	if _, err := s.Create(req("web1")); err != nil {
		t.Fatal(err)
	}
}

func TestOpenKeepsAnExistingDirectorysMode(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.Create(req("web1"))
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o755 {
		t.Errorf("Open changed %s to %04o", dir, fi.Mode().Perm())
	}
	if fi, _ := os.Stat(filepath.Join(dir, "hosts")); fi.Mode().Perm() != 0o700 {
		t.Errorf("hosts/ is %04o", fi.Mode().Perm())
	}
}

func TestLooseHostAndCAKeysWarn(t *testing.T) {
	s := newStore(t)
	r := req("web1")
	r.CA = "fleet"
	s.Create(r)
	os.Chmod(filepath.Join(s.HostDir("web1"), "server-key.pem"), 0o640)
	os.Chmod(filepath.Join(s.CADir("fleet"), "ca-key.pem"), 0o644)
	m, err := s.Load("web1")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Warnings) != 2 || !strings.Contains(strings.Join(m.Warnings, "\n"), "server-key.pem") || !strings.Contains(strings.Join(m.Warnings, "\n"), "cas/fleet/ca-key.pem") {
		t.Errorf("warnings = %q", m.Warnings)
	}
}
