package store

import (
	"errors"
	"net"
	"testing"

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

func TestImport(t *testing.T) {
	s := testStore(t)
	ca, srv, cli := importPairs(t)
	req := ImportRequest{Name: "web1", CA: "docker-machine", CAPair: ca, Server: srv, Client: cli, Spec: map[string]string{"name": "web1"}}
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
	hf, err := s.HostFiles(back)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := pki.ParseCertificate(hf.ServerCert); pki.Fingerprint(got) != pki.Fingerprint(srv.Cert) {
		t.Error("the imported server certificate was not kept")
	}
	// The imported CA signs new certificates: rotation works.
	if _, err := s.Rotate(RotateRequest{Name: "web1", SANs: pki.SANs{DNSNames: []string{"localhost"}}}); err != nil {
		t.Errorf("rotation after import: %v", err)
	}
	assertModes(t, s, "web1")

	if _, err := s.Import(req); !errors.Is(err, ErrExists) {
		t.Errorf("second import: %v", err)
	}
	// The same CA again is fine; another CA under the same name is not.
	req.Name = "web2"
	if _, err := s.Import(req); err != nil {
		t.Errorf("second machine on the same CA: %v", err)
	}
	other, osrv, ocli := importPairs(t)
	if _, err := s.Import(ImportRequest{Name: "web3", CA: "docker-machine", CAPair: other, Server: osrv, Client: ocli, Spec: 1}); !errors.Is(err, ErrCAMismatch) {
		t.Errorf("CA name clash: %v", err)
	}
	if s.Exists("web3") {
		t.Error("a refused import left a machine")
	}
	// Certificates from another CA are refused.
	if _, err := s.Import(ImportRequest{Name: "web4", CA: "x", CAPair: ca, Server: osrv, Client: cli, Spec: 1}); err == nil {
		t.Error("a server certificate of another CA was imported")
	}
}
