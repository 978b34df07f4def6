package store

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/dockbake/dockbake/pki"
)

// verifies reports whether leaf chains to one of cas for usage.
func verifies(leaf *x509.Certificate, usage x509.ExtKeyUsage, cas ...*x509.Certificate) bool {
	roots := x509.NewCertPool()
	for _, c := range cas {
		roots.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{usage}})
	return err == nil
}

func addClient(t *testing.T, s *Store, machine, user string) *x509.Certificate {
	t.Helper()
	ic, err := s.AddClient(ClientRequest{Machine: machine, User: user, Dir: filepath.Join(t.TempDir(), user)})
	if err != nil {
		t.Fatal(err)
	}
	return ic.Cert
}

// The two steps of a CA rotation: first both CAs are trusted, the server
// stays on the old one and clients move to the new; then only the new.
func TestTwoStepCARotation(t *testing.T) {
	for _, shared := range []string{"", "team"} {
		t.Run("shared="+shared, func(t *testing.T) {
			s := testStore(t)
			m := mustCreate(t, s, "web1", shared)
			oldCA, _ := m.CACert()
			alice := addClient(t, s, "web1", "alice")
			if !verifies(alice, x509.ExtKeyUsageClientAuth, oldCA) {
				t.Fatal("alice is not on the old CA")
			}

			rot, err := s.Rotate(RotateRequest{Name: "web1", StartCA: true})
			if err != nil {
				t.Fatal(err)
			}
			if !rot.Started || rot.CA == nil || len(rot.Pending) != 1 || rot.Pending[0].User != "alice" {
				t.Errorf("start: got %+v, want a new CA with alice pending", rot)
			}
			m, err = s.Load("web1")
			if err != nil {
				t.Fatal(err)
			}
			cas, err := m.TrustedCAs()
			if err != nil || len(cas) != 2 || !cas[0].Equal(oldCA) || !cas[1].Equal(rot.CA) {
				t.Fatalf("during the rotation the trust is %v (%v), want old and new CA", cas, err)
			}
			srv, _ := m.ServerCert()
			cli, _ := m.ClientCert()
			if !verifies(srv, x509.ExtKeyUsageServerAuth, oldCA) || verifies(srv, x509.ExtKeyUsageServerAuth, rot.CA) {
				t.Error("the server certificate must stay on the old CA until the finish: old clients check it")
			}
			if !verifies(cli, x509.ExtKeyUsageClientAuth, rot.CA) {
				t.Error("the new client certificate is not issued by the new CA")
			}
			hc, err := m.HostCerts()
			if err != nil || string(hc.CACert) != string(pemOf(oldCA))+string(pemOf(rot.CA)) {
				t.Errorf("the host gets %q (%v), want the bundle of both CAs", hc.CACert, err)
			}
			if _, probs, err := s.Check("web1"); err != nil || len(probs) > 0 {
				t.Errorf("store check during the rotation: %v %v", probs, err)
			}
			bob := addClient(t, s, "web1", "bob")
			if !verifies(bob, x509.ExtKeyUsageClientAuth, rot.CA) {
				t.Error("a client added during the rotation must be on the new CA, to survive the finish")
			}
			if _, err := s.Rotate(RotateRequest{Name: "web1", StartCA: true}); !errors.Is(err, ErrRotating) {
				t.Errorf("a second start: got %v, want ErrRotating", err)
			}
			if _, err := s.Rotate(RotateRequest{Name: "web1", CA: true}); !errors.Is(err, ErrRotating) {
				t.Errorf("a one-step new CA during the rotation: got %v, want ErrRotating", err)
			}

			fin, err := s.Rotate(RotateRequest{Name: "web1", FinishCA: true})
			if err != nil {
				t.Fatal(err)
			}
			if !fin.Finished || !fin.CA.Equal(rot.CA) || fin.LeftCA != shared || len(fin.Orphaned) != 1 || fin.Orphaned[0].User != "alice" {
				t.Errorf("finish: got %+v, want the new CA, alice cut off, bob kept", fin)
			}
			m, err = s.Load("web1")
			if err != nil {
				t.Fatal(err)
			}
			cas, err = m.TrustedCAs()
			if err != nil || len(cas) != 1 || !cas[0].Equal(rot.CA) || m.Rotating() || m.CA != "" {
				t.Fatalf("after the finish: trust %v (%v), rotating %v, CA %q; want the new CA alone, own", cas, err, m.Rotating(), m.CA)
			}
			srv, _ = m.ServerCert()
			if !verifies(srv, x509.ExtKeyUsageServerAuth, rot.CA) {
				t.Error("after the finish the server certificate is not on the new CA")
			}
			for _, n := range []string{nextCACertFile, nextCAKeyFile} {
				if _, err := os.Stat(filepath.Join(s.HostDir("web1"), n)); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s is still there after the finish", n)
				}
			}
			key, err := os.ReadFile(filepath.Join(s.HostDir("web1"), caKeyFile))
			if err != nil {
				t.Fatal(err)
			}
			if p, err := pki.LoadPair(pemOf(rot.CA), key); err != nil || p == nil {
				t.Errorf("the host directory's CA key is not the new CA's: %v", err)
			}
			if shared != "" {
				if _, err := os.Stat(filepath.Join(s.CADir(shared), caKeyFile)); err != nil {
					t.Errorf("the shared CA must stay for other machines: %v", err)
				}
			}
			if _, err := s.Rotate(RotateRequest{Name: "web1", FinishCA: true}); !errors.Is(err, ErrNotRotating) {
				t.Errorf("a second finish: got %v, want ErrNotRotating", err)
			}
			if _, probs, err := s.Check("web1"); err != nil || len(probs) > 0 {
				t.Errorf("store check after the rotation: %v %v", probs, err)
			}
		})
	}
}

// A bundle that does not match the record is damage, named.
func TestTrustBundleChecked(t *testing.T) {
	s := testStore(t)
	mustCreate(t, s, "web1", "")
	if _, err := s.Rotate(RotateRequest{Name: "web1", StartCA: true}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(s.ClientDir("web1"), ClientCAFile)
	data, _ := os.ReadFile(path)
	first, _ := pki.ParseCertificate(data)
	if err := os.WriteFile(path, pemOf(first), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := s.Load("web1")
	if err != nil {
		t.Fatal(err)
	}
	var ce *CorruptError
	if _, err := m.TrustedCAs(); !errors.As(err, &ce) {
		t.Errorf("a bundle missing the next CA: got %v, want damage named", err)
	}
}

func pemOf(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}
