package store

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/pki"
)

func importPairs(t *testing.T) (ca, srv, cli *pki.Pair) {
	t.Helper()
	o := pki.Options{KeyType: pki.RSA2048}
	ca, err := pki.NewCA("imported", o)
	if err != nil {
		t.Fatal(err)
	}
	srv, err = ca.IssueServer("web1", pki.SANs{IPs: []net.IP{net.ParseIP("203.0.113.5")}}, o)
	if err != nil {
		t.Fatal(err)
	}
	cli, err = ca.IssueClient("client", o)
	if err != nil {
		t.Fatal(err)
	}
	return ca, srv, cli
}

// importSpec is the spec of an imported machine at 203.0.113.5.
func importSpec(name string) generator.Spec {
	return generator.Spec{Name: name, IPs: []string{"203.0.113.5"}, Install: generator.InstallNone}.WithDefaults()
}

func TestImport(t *testing.T) {
	s := testStore(t)
	ca, srv, cli := importPairs(t)
	req := ImportRequest{Spec: importSpec("web1"), CA: "docker-machine", CAPair: ca, Server: srv, Client: cli}
	m, err := s.Import(req)
	if err != nil {
		t.Fatal(err)
	}
	back, err := s.Load("web1")
	if err != nil {
		t.Fatal(err)
	}
	if back.CA != "docker-machine" || back.KeyType != pki.RSA2048 || m.CAFingerprint != pki.Fingerprint(ca.Cert) {
		t.Errorf("record %+v", back.Record)
	}
	hf, err := back.HostCerts()
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := pki.ParseCertificate(hf.ServerCert); pki.Fingerprint(got) != pki.Fingerprint(srv.Cert) {
		t.Error("the imported server certificate was not kept")
	}
	// The imported CA signs new certificates: rotation works.
	if _, err := s.Rotate(RotateRequest{Name: "web1"}); err != nil {
		t.Errorf("rotation after import: %v", err)
	}
	assertModes(t, s, "web1")

	if _, err := s.Import(req); !errors.Is(err, ErrExists) {
		t.Errorf("second import: %v", err)
	}
	// The same CA again is fine; another CA under the same name is not.
	req.Spec = importSpec("web2")
	if _, err := s.Import(req); err != nil {
		t.Errorf("second machine on the same CA: %v", err)
	}
	other, osrv, ocli := importPairs(t)
	if _, err := s.Import(ImportRequest{Spec: importSpec("web3"), CA: "docker-machine", CAPair: other, Server: osrv, Client: ocli}); !errors.Is(err, ErrCAMismatch) {
		t.Errorf("CA name clash: %v", err)
	}
	if s.Exists("web3") {
		t.Error("a refused import left a machine")
	}
	// Certificates from another CA are refused.
	if _, err := s.Import(ImportRequest{Spec: importSpec("web4"), CA: "x", CAPair: ca, Server: osrv, Client: cli}); err == nil {
		t.Error("a server certificate of another CA was imported")
	}
}

// TestImportBatch: machines added to one batch come in together with one
// commit; one that is refused leaves the others, and the CA staged for a
// refused machine goes with it.
func TestImportBatch(t *testing.T) {
	s := testStore(t)
	b, err := s.BeginImport()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Discard()
	if err := b.Add(importRequest("web1", false)); err != nil {
		t.Fatal(err)
	}
	if err := b.Add(importRequest("web1", true)); !errors.Is(err, ErrExists) {
		t.Errorf("the same machine twice in a batch: %v", err)
	}
	other, osrv, ocli := importPairs(t)
	if err := b.Add(ImportRequest{Spec: importSpec("web2"), CA: "docker-machine", CAPair: other, Server: osrv, Client: ocli}); !errors.Is(err, ErrCAMismatch) {
		t.Errorf("another CA under the name staged in the batch: %v", err)
	}
	bad := importRequest("web3", false)
	bad.CA = "third"
	bad.Spec.IPs = []string{"203.0.113.300"} // refused when staged
	if err := b.Add(bad); err == nil {
		t.Error("a machine with an invalid address was staged")
	}
	// The batch holds the lock: look at the directory itself.
	if entries, _ := os.ReadDir(filepath.Join(s.Root, "hosts")); len(entries) != 0 {
		t.Errorf("machines in place before the commit: %v", entries)
	}
	ms, err := b.Commit()
	if err != nil || len(ms) != 1 || ms[0].Name != "web1" {
		t.Fatalf("Commit = %v, %v", ms, err)
	}
	if PathExists(s.CADir("third")) {
		t.Error("the CA of a refused machine came in")
	}
	if _, err := b.Commit(); err == nil {
		t.Error("a batch committed twice")
	}
}

// A machine imported with no shared CA keeps its CA as its own, and the
// record says who manages it; a rotation keeps both.
func TestImportOwnCAManaged(t *testing.T) {
	s := testStore(t)
	ca, srv, cli := importPairs(t)
	req := ImportRequest{Spec: importSpec("web1"), CAPair: ca, Server: srv, Client: cli, ManagedBy: "terraform"}
	m, err := s.Import(req)
	if err != nil {
		t.Fatal(err)
	}
	if m.CA != "" || m.CADir != m.HostDir || m.ManagedBy != "terraform" {
		t.Fatalf("imported: CA %q in %s (host %s), managed by %q", m.CA, m.CADir, m.HostDir, m.ManagedBy)
	}
	back, err := s.CAPair(m)
	if err != nil || pki.Fingerprint(back.Cert) != pki.Fingerprint(ca.Cert) {
		t.Fatalf("CA read back: %v", err)
	}
	rot, err := s.Rotate(RotateRequest{Name: "web1"})
	if err != nil {
		t.Fatal(err)
	}
	if rot.Machine.ManagedBy != "terraform" || rot.Machine.CAFingerprint != m.CAFingerprint {
		t.Errorf("rotation dropped the mark or the CA: %+v", rot.Machine.Record)
	}
	if _, err := os.Stat(filepath.Join(s.Root, "cas")); err == nil {
		t.Errorf("a machine's own CA was filed as a shared CA")
	}
}
