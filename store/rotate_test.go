package store

import (
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/pki"
)

func testStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustCreate(t *testing.T, s *Store, name, ca string) *Machine {
	t.Helper()
	sp := generator.Spec{Name: name, IPs: []string{"203.0.113.10"}}.WithDefaults()
	m, err := s.Create(CreateRequest{Spec: sp, CA: ca})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := pki.ParseCertificate(data)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// chains reports whether leaf verifies against the CA in dir/ca.pem.
func chains(t *testing.T, caPath string, leaf *x509.Certificate, usage x509.ExtKeyUsage) bool {
	t.Helper()
	roots := x509.NewCertPool()
	roots.AddCert(readCert(t, caPath))
	_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{usage}})
	return err == nil
}

func TestRotateServerOnly(t *testing.T) {
	s := testStore(t)
	m := mustCreate(t, s, "web1", "")
	oldServer := readCert(t, filepath.Join(s.HostDir("web1"), serverCertFile))
	oldClient := readCert(t, filepath.Join(m.ClientDir, ClientCertFile))
	moved := m.Spec
	moved.IPs, moved.DNSNames = []string{"198.51.100.7"}, []string{"web1.example.com"}
	rot, err := s.Rotate(RotateRequest{Name: "web1", Spec: &moved})
	if err != nil {
		t.Fatal(err)
	}
	srv := readCert(t, filepath.Join(s.HostDir("web1"), serverCertFile))
	if pki.Fingerprint(srv) == pki.Fingerprint(oldServer) || pki.Fingerprint(srv) != pki.Fingerprint(rot.Server) {
		t.Error("server certificate not replaced")
	}
	if err := srv.VerifyHostname("198.51.100.7"); err != nil {
		t.Errorf("new SAN missing: %v", err)
	}
	if err := srv.VerifyHostname("203.0.113.10"); err == nil {
		t.Error("old SAN kept")
	}
	if !chains(t, filepath.Join(m.ClientDir, ClientCAFile), srv, x509.ExtKeyUsageServerAuth) {
		t.Error("new server certificate does not chain to the machine's CA")
	}
	if c := readCert(t, filepath.Join(m.ClientDir, ClientCertFile)); pki.Fingerprint(c) != pki.Fingerprint(oldClient) || rot.Client != nil {
		t.Error("client certificate replaced without being asked")
	}
	back, err := s.Load("web1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Spec, moved) || !reflect.DeepEqual(rot.Machine.Spec, moved) {
		t.Errorf("spec not recorded: %+v", back.Spec)
	}
	if _, err := back.HostCerts(); err != nil {
		t.Errorf("machine not consistent after rotation: %v", err)
	}
	assertModes(t, s, "web1")
}

func TestRotateClient(t *testing.T) {
	s := testStore(t)
	m := mustCreate(t, s, "web1", "")
	old := readCert(t, filepath.Join(m.ClientDir, ClientCertFile))
	rot, err := s.Rotate(RotateRequest{Name: "web1", Client: true})
	if err != nil {
		t.Fatal(err)
	}
	now := readCert(t, filepath.Join(m.ClientDir, ClientCertFile))
	if pki.Fingerprint(now) == pki.Fingerprint(old) || rot.OldClient == nil || pki.Fingerprint(rot.OldClient) != pki.Fingerprint(old) {
		t.Error("client certificate not replaced or old one not reported")
	}
	if !chains(t, filepath.Join(m.ClientDir, ClientCAFile), now, x509.ExtKeyUsageClientAuth) {
		t.Error("new client certificate does not chain")
	}
	// The key in the client directory belongs to the new certificate.
	certPEM, _ := os.ReadFile(filepath.Join(m.ClientDir, ClientCertFile))
	keyPEM, _ := os.ReadFile(filepath.Join(m.ClientDir, ClientKeyFile))
	if _, err := pki.LoadPair(certPEM, keyPEM); err != nil {
		t.Error(err)
	}
}

func TestRotateCALeavesSharedCA(t *testing.T) {
	s := testStore(t)
	mustCreate(t, s, "web1", "team")
	mustCreate(t, s, "web2", "team")
	if _, err := s.AddClient(ClientRequest{Machine: "web1", User: "alice", Dir: filepath.Join(t.TempDir(), "alice")}); err != nil {
		t.Fatal(err)
	}
	teamCA := readCert(t, filepath.Join(s.CADir("team"), caCertFile))
	rot, err := s.Rotate(RotateRequest{Name: "web1", CA: true})
	if err != nil {
		t.Fatal(err)
	}
	if rot.LeftCA != "team" || len(rot.Orphaned) != 1 || rot.Orphaned[0].User != "alice" || rot.Client == nil {
		t.Errorf("rotation = %+v", rot)
	}
	m, err := s.Load("web1")
	if err != nil {
		t.Fatal(err)
	}
	if m.CA != "" || m.CAFingerprint == pki.Fingerprint(teamCA) {
		t.Errorf("record still on the shared CA: %+v", m.Record)
	}
	caPath := filepath.Join(m.ClientDir, ClientCAFile)
	for _, c := range []struct {
		path  string
		usage x509.ExtKeyUsage
	}{{filepath.Join(s.HostDir("web1"), serverCertFile), x509.ExtKeyUsageServerAuth}, {filepath.Join(m.ClientDir, ClientCertFile), x509.ExtKeyUsageClientAuth}} {
		if !chains(t, caPath, readCert(t, c.path), c.usage) {
			t.Errorf("%s does not chain to the new CA", c.path)
		}
	}
	if chains(t, caPath, rot.Orphaned[0].Cert, x509.ExtKeyUsageClientAuth) {
		t.Error("alice's certificate still chains to the new CA")
	}
	// The shared CA and the other machine on it are untouched.
	if pki.Fingerprint(readCert(t, filepath.Join(s.CADir("team"), caCertFile))) != pki.Fingerprint(teamCA) {
		t.Error("shared CA changed")
	}
	if m2, err := s.Load("web2"); err != nil || m2.CA != "team" {
		t.Errorf("web2: %v %v", m2, err)
	}
	assertModes(t, s, "web1")
}

func TestRotateFailsCleanly(t *testing.T) {
	s := testStore(t)
	mustCreate(t, s, "web1", "")
	before := readCert(t, filepath.Join(s.HostDir("web1"), serverCertFile))
	// A validity beyond the CA's is refused by pki once the machine is
	// staged, and nothing changes.
	if _, err := s.Rotate(RotateRequest{Name: "web1", Client: true, CertValidity: 20 * 365 * 24 * time.Hour}); err == nil {
		t.Fatal("a server certificate outliving its CA was issued")
	}
	if pki.Fingerprint(readCert(t, filepath.Join(s.HostDir("web1"), serverCertFile))) != pki.Fingerprint(before) {
		t.Error("a failed rotation changed the machine")
	}
	leftovers, _ := os.ReadDir(filepath.Join(s.Root, ".staging"))
	if len(leftovers) != 0 {
		t.Errorf("staging left behind: %v", leftovers)
	}
	// A spec that does not validate is refused before anything is issued.
	bad := generator.Spec{Name: "web1", IPs: []string{"10.0.0.300"}}.WithDefaults()
	if _, err := s.Rotate(RotateRequest{Name: "web1", Spec: &bad}); err == nil {
		t.Error("rotation to an invalid spec succeeded")
	}
	other := generator.Spec{Name: "web2", DNSNames: []string{"x"}}.WithDefaults()
	if _, err := s.Rotate(RotateRequest{Name: "web1", Spec: &other}); err == nil {
		t.Error("rotation to a spec of another name succeeded")
	}
	if _, err := s.Rotate(RotateRequest{Name: "nope"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown machine: %v", err)
	}
	if pki.Fingerprint(readCert(t, filepath.Join(s.HostDir("web1"), serverCertFile))) != pki.Fingerprint(before) {
		t.Error("a refused rotation changed the machine")
	}
}

// assertModes checks the store's file modes after a change.
func assertModes(t *testing.T, s *Store, name string) {
	t.Helper()
	for _, dir := range []string{s.HostDir(name), s.ClientDir(name)} {
		filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				t.Error(err)
				return nil
			}
			fi, _ := d.Info()
			want := certMode
			switch {
			case d.IsDir():
				want = dirMode
			case filepath.Ext(path) == ".json" || filepath.Base(path) == caKeyFile || filepath.Base(path) == serverKeyFile || filepath.Base(path) == ClientKeyFile:
				want = keyMode
			}
			if fi.Mode().Perm() != want {
				t.Errorf("%s: mode %04o, want %04o", path, fi.Mode().Perm(), want)
			}
			return nil
		})
	}
}
