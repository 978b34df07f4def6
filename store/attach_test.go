package store

import (
	"crypto/x509"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/internal/testenv"
	"github.com/dockbake/dockbake/pki"
)

// createBare makes a machine without an address: not attached.
func createBare(t *testing.T, s *Store, name string) *Machine {
	t.Helper()
	m, err := s.Create(CreateRequest{Spec: generator.Spec{Name: name}.WithDefaults()})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestAttachCommit(t *testing.T) {
	s := testStore(t)
	before := createBare(t, s, "web1")
	if before.Spec.Attached() {
		t.Fatal("a machine created without an address is attached")
	}
	oldSrv, _ := before.ServerCert()
	a, err := s.BeginAttach(AttachRequest{Name: "web1", IPs: []string{"192.0.2.7"}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	if err := a.Server.Cert.VerifyHostname("192.0.2.7"); err != nil {
		t.Errorf("the fresh certificate does not name the new address: %v", err)
	}
	// Nothing is written before Commit.
	if m, _ := s.Load("web1"); m.Spec.Attached() || fp(t, m) != pki.Fingerprint(oldSrv) {
		t.Fatal("BeginAttach changed the store")
	}
	m, err := a.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if !m.Spec.Attached() || m.Spec.Address() != "192.0.2.7" {
		t.Errorf("after Commit: attached %v, address %q", m.Spec.Attached(), m.Spec.Address())
	}
	if fp(t, m) != pki.Fingerprint(a.Server.Cert) {
		t.Error("the store does not hold the fresh server certificate")
	}
	hc, err := m.HostCerts()
	if err != nil {
		t.Fatal(err)
	}
	// The stored key is the fresh certificate's (LoadPair matches them).
	if _, err := pki.LoadPair(hc.ServerCert, hc.ServerKey); err != nil {
		t.Errorf("the stored server key pair: %v", err)
	}
	if !a.Server.Cert.IPAddresses[0].Equal(net.ParseIP("192.0.2.7")) {
		t.Errorf("IPs = %v", a.Server.Cert.IPAddresses)
	}
	assertModes(t, s, "web1")
	leftovers, _ := os.ReadDir(filepath.Join(s.Root, ".staging"))
	if len(leftovers) != 0 {
		t.Errorf("staging left behind: %v", leftovers)
	}
}

func TestAttachRefusals(t *testing.T) {
	s := testStore(t)
	createBare(t, s, "web1")
	if _, err := s.BeginAttach(AttachRequest{Name: "web1"}); err == nil {
		t.Error("attach without an address was accepted")
	}
	if _, err := s.BeginAttach(AttachRequest{Name: "web1", IPs: []string{"10.0.0.300"}}); err == nil {
		t.Error("attach to an invalid address was accepted")
	}
	if _, err := s.BeginAttach(AttachRequest{Name: "nope", IPs: []string{"192.0.2.7"}}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown machine: %v", err)
	}
	a, err := s.BeginAttach(AttachRequest{Name: "web1", IPs: []string{"192.0.2.7"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.BeginAttach(AttachRequest{Name: "web1", IPs: []string{"192.0.2.8"}}); !errors.Is(err, ErrAttaching) {
		t.Errorf("a second attach while the first is under way: %v; want ErrAttaching", err)
	}
	// A release without Commit leaves the machine as it was, and frees it.
	a.Release()
	if m, _ := s.Load("web1"); m.Spec.Attached() {
		t.Error("a released attach changed the store")
	}
	b, err := s.BeginAttach(AttachRequest{Name: "web1", IPs: []string{"192.0.2.8"}})
	if err != nil {
		t.Fatalf("attach after a release: %v", err)
	}
	defer b.Release()
	// A rotation in between: Commit refuses rather than lose it.
	if _, err := s.Rotate(RotateRequest{Name: "web1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Commit(); err == nil {
		t.Error("Commit over a machine that changed meanwhile succeeded")
	}
}

func TestServerOwner(t *testing.T) {
	s := testStore(t)
	m := createBare(t, s, "web1")
	createBare(t, s, "web2")
	if got := s.ServerOwner(fp(t, m)); got != "web1" {
		t.Errorf("ServerOwner = %q, want web1", got)
	}
	if got := s.ServerOwner("00:11"); got != "" {
		t.Errorf("ServerOwner of an unknown certificate = %q", got)
	}
}

func fp(t *testing.T, m *Machine) string {
	t.Helper()
	c, err := m.ServerCert()
	if err != nil {
		t.Fatal(err)
	}
	return pki.Fingerprint(c)
}

func TestAttachFrom(t *testing.T) {
	s := testStore(t)
	tmpl := createBare(t, s, "golden")
	tmplCA, _ := tmpl.CACert()
	a, err := s.BeginAttachFrom(AttachFromRequest{AttachRequest: AttachRequest{Name: "web7", IPs: []string{"192.0.2.7"}}, Template: "golden"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	if a.Machine.Name != "golden" {
		t.Errorf("the host is pinned as %q, want the template", a.Machine.Name)
	}
	if s.Exists("web7") {
		t.Fatal("BeginAttachFrom wrote the new machine")
	}
	// Two hosts of one image attach side by side; one name only once.
	b, err := s.BeginAttachFrom(AttachFromRequest{AttachRequest: AttachRequest{Name: "web8", IPs: []string{"192.0.2.8"}}, Template: "golden"})
	if err != nil {
		t.Fatalf("a second host of the same template: %v", err)
	}
	b.Release()
	if _, err := s.BeginAttachFrom(AttachFromRequest{AttachRequest: AttachRequest{Name: "web7", IPs: []string{"192.0.2.9"}}, Template: "golden"}); !errors.Is(err, ErrAttaching) {
		t.Errorf("a second attach as web7 meanwhile: %v", err)
	}
	m, err := a.Commit()
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := m.CACert()
	cli, _ := m.ClientCert()
	if pki.Fingerprint(ca) == pki.Fingerprint(tmplCA) || m.Spec.Name != "web7" || m.Spec.Address() != "192.0.2.7" {
		t.Errorf("web7: CA %s (template's %s), spec %+v", pki.Fingerprint(ca), pki.Fingerprint(tmplCA), m.Spec)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	if _, err := cli.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("web7's client certificate is not of its CA: %v", err)
	}
	tc, _ := tmpl.ClientCert()
	if _, err := tc.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err == nil {
		t.Error("the template's client certificate chains to web7's CA")
	}
	if g, _ := s.Load("golden"); g.Spec.Attached() {
		t.Error("the template was changed")
	}
	assertModes(t, s, "web7")
	if _, err := s.BeginAttachFrom(AttachFromRequest{AttachRequest: AttachRequest{Name: "web7", IPs: []string{"192.0.2.9"}}, Template: "golden"}); !errors.Is(err, ErrExists) {
		t.Errorf("attach --from as an existing machine: %v", err)
	}
}

// The delivery lock is the operating system's: held, a second attach is
// refused; its holder killed with SIGKILL, the next attach takes it
// without anybody removing a file. The holder is flock(1), which takes
// the same flock(2) lock.
func TestDeliveryLockDiesWithItsHolder(t *testing.T) {
	bin := testenv.LookPath(t, "flock", "apt-get install util-linux")
	s := testStore(t)
	path := filepath.Join(s.Root, ".attach-web1")
	// --close: only flock(1) holds it. It waits for the lock rather than
	// give up (--nonblock did): the loop below takes and drops it while
	// flock(1) starts, and flock(1) coming then would exit, never holding it.
	holder := exec.Command(bin, "--timeout", "30", "--close", path, "sleep", "60")
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer holder.Process.Kill()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, err := s.lockDelivery("web1")
		if errors.Is(err, ErrAttaching) {
			break
		}
		if err == nil {
			r()
		}
		if time.Now().After(deadline) {
			t.Fatalf("flock(1) never held the lock: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if r, err := s.lockDelivery("web2"); err != nil {
		t.Errorf("another machine's lock: %v", err)
	} else {
		r()
	}
	holder.Process.Kill()
	holder.Wait()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the lock file: %v", err)
	}
	again, err := s.lockDelivery("web1")
	if err != nil {
		t.Fatalf("after its holder was killed: %v", err)
	}
	again()
}
