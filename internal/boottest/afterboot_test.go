package boottest

import (
	"archive/tar"
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/internal/testenv"
	"github.com/dockbake/dockbake/pki"
)

// TestAfterBootApply proves the host side of delivering certificates to a
// running host without SSH. It boots dockbake's baked user-data, starts a
// container, and delivers through the Docker API over mutual TLS the way a
// client does (a container created, never started, that bind-mounts the
// spool; docker cp of the delivery's archive; the outcome read back the
// same way): a new server certificate is applied and served while the
// container keeps running; a key of another certificate is rejected
// without a restart; a certificate dockerd cannot load is rolled back.
func TestAfterBootApply(t *testing.T) {
	t.Parallel()
	openssl := testenv.LookPath(t, "openssl", "apt-get install openssl")
	p := newProof(t, baked)
	p.boot(t, baked)
	a := &afterBoot{proof: p, openssl: openssl, initialFP: fingerprintFile(t, p.machine.hostFile("server.pem"))}
	t.Run("the path unit watches the spool, dockerd has live-restore", a.checkWatching)
	t.Run("a bind mount of a missing spool is refused", a.checkMountRefusesMissing)
	a.startSleeper(t)
	t.Run("a new certificate is applied, and the container keeps running", a.checkApplied)
	t.Run("a key of another certificate is rejected without a restart", a.checkRejected)
	t.Run("a certificate dockerd cannot load is rolled back", a.checkRolledBack)
}

// afterBoot is the state TestAfterBootApply carries from step to step.
type afterBoot struct {
	*proof
	openssl   string
	initialFP string // the certificate of the first boot
	appliedFP string // the certificate of the applied delivery
	sleeper   string // PID and StartedAt of the sleeping container
}

func (a *afterBoot) checkWatching(t *testing.T) {
	// dockerd may serve TLS before cloud-init's runcmd has run: wait for
	// cloud-init first.
	out, err := a.guest.Run(a.ctx, "sh", "-c", "cloud-init status --wait >/dev/null 2>&1; systemctl is-active dockbake-apply.path; stat -c '%a %U' "+
		generator.HostStateDir+" "+generator.HostIncomingDir+"; docker info --format '{{.LiveRestoreEnabled}}'")
	if got := strings.Fields(out); err != nil || strings.Join(got, " ") != "active 700 root 700 root true" {
		t.Fatalf("path unit, spool modes, live-restore: %q (%v); want active, 700 root twice, true", out, err)
	}
}

// startSleeper runs a container in the guest from an image of the guest's
// own /bin/sleep and its libraries: the guest has no registry to pull from.
func (a *afterBoot) startSleeper(t *testing.T) {
	t.Helper()
	script := `set -e
files=bin/sleep
for l in $(ldd /bin/sleep | grep -o '/[^ ]*'); do files="$files ${l#/}"; done
tar -chf - -C / $files | docker import - dockbake-boottest/sleep:1 >/dev/null
docker run -d --name sleeper dockbake-boottest/sleep:1 /bin/sleep 86400 >/dev/null`
	if _, err := a.guest.Run(a.ctx, "sh", "-c", script); err != nil {
		t.Fatalf("cannot run a container in the guest: %v", err)
	}
	a.sleeper = a.inspectSleeper(t)
	t.Logf("sleeper: %s", a.sleeper)
}

func (a *afterBoot) inspectSleeper(t *testing.T) string {
	t.Helper()
	out, err := a.guest.Run(a.ctx, "docker", "inspect", "-f", "{{.State.Running}} {{.State.Pid}} {{.State.StartedAt}}", "sleeper")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

func (a *afterBoot) checkApplied(t *testing.T) {
	if got := a.servedFP(t); got != a.initialFP {
		t.Fatalf("before any delivery dockerd serves %s, want the first boot's %s", got, a.initialFP)
	}
	if _, err := a.dockerAt(t, "127.0.0.2"); err == nil {
		t.Fatal("dockerd already answers for 127.0.0.2: the delivery would prove nothing")
	}
	pidBefore := a.dockerdPID(t)
	d := a.newDelivery(t, "applied")
	s := a.deliver(t, d)
	a.appliedFP = fingerprintPEM(t, d.ServerCert)
	if s.Outcome != generator.OutcomeApplied || s.Delivered != a.appliedFP || s.Served != a.appliedFP {
		t.Fatalf("status %+v: want applied, delivered and served %s", s, a.appliedFP)
	}
	if got := a.servedFP(t); got != a.appliedFP {
		t.Errorf("dockerd serves %s, want the delivered %s", got, a.appliedFP)
	}
	if out, err := a.dockerAt(t, "127.0.0.2"); err != nil {
		t.Errorf("docker CLI at 127.0.0.2, a name only the new certificate carries: %v\n%s", err, out)
	}
	if a.dockerdPID(t) == pidBefore {
		t.Error("dockerd was not restarted: the container's survival proves nothing")
	}
	if got := a.inspectSleeper(t); got != a.sleeper {
		t.Errorf("sleeper after the restart: %s, want %s (running, same PID and StartedAt)", got, a.sleeper)
	}
	a.checkPrevious(t)
	a.checkSpoolClean(t)
}

// checkPrevious: the set of the first boot is kept, with its modes.
func (a *afterBoot) checkPrevious(t *testing.T) {
	t.Helper()
	prev := filepath.Join(a.guest.Root, generator.HostPreviousDir)
	for name, src := range map[string]string{"ca.pem": a.machine.hostFile("ca.pem"), "server.pem": a.machine.hostFile("server.pem"), "server-key.pem": a.machine.hostFile("server-key.pem")} {
		got, err := os.ReadFile(filepath.Join(prev, name))
		want, _ := os.ReadFile(src)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("previous/%s is not the first boot's (%v)", name, err)
		}
	}
	if fi, err := os.Stat(filepath.Join(prev, "server-key.pem")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("previous/server-key.pem: %v, want mode 0600", err)
	}
}

// checkSpoolClean: no delivery, and so no key, is left in the spool.
func (a *afterBoot) checkSpoolClean(t *testing.T) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(a.guest.Root, generator.HostIncomingDir))
	if err != nil || len(entries) > 0 {
		t.Errorf("incoming/ holds %v (%v), want nothing", entries, err)
	}
	filepath.WalkDir(filepath.Join(a.guest.Root, generator.HostSpoolDir), func(path string, d os.DirEntry, err error) error {
		if data, _ := os.ReadFile(path); err == nil && !d.IsDir() && bytes.Contains(data, []byte("PRIVATE KEY")) {
			t.Errorf("%s holds a private key", path)
		}
		return err
	})
}

func (a *afterBoot) checkRejected(t *testing.T) {
	pidBefore := a.dockerdPID(t)
	d := a.newDelivery(t, "mismatched")
	d.ServerKey = a.newDelivery(t, "other").ServerKey
	s := a.deliver(t, d)
	if s.Outcome != generator.OutcomeRejected || s.Reason != "server-key.pem is not the key of server.pem" {
		t.Errorf("status %+v: want rejected, the key is not the certificate's", s)
	}
	if a.dockerdPID(t) != pidBefore {
		t.Error("dockerd was restarted for a rejected delivery")
	}
	if got := a.servedFP(t); got != a.appliedFP {
		t.Errorf("dockerd serves %s, want still %s", got, a.appliedFP)
	}
	a.checkSpoolClean(t)
}

func (a *afterBoot) checkRolledBack(t *testing.T) {
	pidBefore := a.dockerdPID(t)
	d := a.newDelivery(t, "secp256k1")
	d.ServerCert, d.ServerKey = a.secp256k1Pair(t)
	s := a.deliver(t, d)
	if s.Outcome != generator.OutcomeRolledBack || s.Reason != "dockerd did not start with the delivered certificates" ||
		s.Served != a.appliedFP || s.Delivered != fingerprintPEM(t, d.ServerCert) {
		t.Errorf("status %+v: want rolled-back, serving %s again", s, a.appliedFP)
	}
	if log := strings.Join(s.Log, "\n"); !strings.Contains(log, "unsupported elliptic curve") {
		t.Errorf("the status's dockerd log does not say why dockerd failed:\n%s", log)
	}
	if got := a.servedFP(t); got != a.appliedFP {
		t.Errorf("dockerd serves %s, want the applied %s back", got, a.appliedFP)
	}
	if a.dockerdPID(t) == pidBefore {
		t.Error("dockerd was not restarted")
	}
	if got := a.inspectSleeper(t); got != a.sleeper {
		t.Errorf("sleeper after two restarts: %s, want %s", got, a.sleeper)
	}
	a.checkSpoolClean(t)
}

// newDelivery is a server certificate from the machine's CA for 127.0.0.1,
// 127.0.0.2 and localhost, its key and the CA.
func (a *afterBoot) newDelivery(t *testing.T, name string) generator.Delivery {
	t.Helper()
	caPEM, err := os.ReadFile(a.machine.hostFile("ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	caKey, err := os.ReadFile(a.machine.hostFile("ca-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	ca, err := pki.LoadPair(caPEM, caKey)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ca.IssueServer(a.machine.name, pki.SANs{IPs: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv4(127, 0, 0, 2)}, DNSNames: []string{"localhost"}}, pki.Options{})
	if err != nil {
		t.Fatal(err)
	}
	key, err := srv.KeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	id := time.Now().UTC().Format("20060102T150405Z") + "-" + name
	return generator.Delivery{ID: id, CACert: caPEM, ServerCert: srv.CertPEM(), ServerKey: key}
}

// secp256k1Pair is a server certificate of the machine's CA whose key is
// on a curve openssl supports and dockerd (Go) does not: it passes the
// apply script's checks, and dockerd refuses to start with it.
func (a *afterBoot) secp256k1Pair(t *testing.T) (cert, key []byte) {
	t.Helper()
	dir := t.TempDir()
	ext := "subjectAltName=IP:127.0.0.1,IP:127.0.0.2\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\nbasicConstraints=CA:FALSE\n"
	if err := os.WriteFile(filepath.Join(dir, "ext"), []byte(ext), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"ecparam", "-name", "secp256k1", "-genkey", "-noout", "-out", "key.pem"},
		{"req", "-new", "-key", "key.pem", "-subj", "/CN=secp256k1", "-out", "csr.pem"},
		{"x509", "-req", "-in", "csr.pem", "-CA", a.machine.hostFile("ca.pem"), "-CAkey", a.machine.hostFile("ca-key.pem"),
			"-set_serial", "1", "-days", "2", "-extfile", "ext", "-out", "cert.pem"},
	} {
		cmd := exec.CommandContext(a.ctx, a.openssl, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	cert, _ = os.ReadFile(filepath.Join(dir, "cert.pem"))
	key, _ = os.ReadFile(filepath.Join(dir, "key.pem"))
	return cert, key
}

// servedFP is the fingerprint of the certificate dockerd presents, seen
// with openssl from inside the guest.
func (a *afterBoot) servedFP(t *testing.T) string {
	t.Helper()
	out, err := a.guest.Run(a.ctx, "sh", "-c", "openssl s_client -connect 127.0.0.1:"+strconv.Itoa(a.machine.port)+
		" </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256")
	if err != nil {
		t.Fatal(err)
	}
	_, fp, _ := strings.Cut(strings.TrimSpace(out), "=")
	return fp
}

// dockerdPID is docker.service's main PID in the guest.
func (a *afterBoot) dockerdPID(t *testing.T) string {
	t.Helper()
	out, err := a.guest.Run(a.ctx, "systemctl", "show", "-p", "MainPID", "--value", "docker.service")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

func fingerprintFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return fingerprintPEM(t, data)
}

func fingerprintPEM(t *testing.T, data []byte) string {
	t.Helper()
	// Go cannot parse a secp256k1 certificate: hash its DER as it is.
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatal("not a PEM certificate")
	}
	return pki.Fingerprint(&x509.Certificate{Raw: block.Bytes})
}

// untarOne returns the content of the single file in a tar stream.
func untarOne(data []byte) ([]byte, error) {
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, errors.New("no file in the archive")
		}
		if err != nil {
			return nil, err
		}
		if hdr.Typeflag == tar.TypeReg {
			return io.ReadAll(tr)
		}
	}
}
