package generator

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockbake/dockbake/internal/testenv"
	"github.com/dockbake/dockbake/pki"
)

// TestApplyScriptRefuses delivers what must never reach dockerd: each is
// rejected with a reason, before any restart, and the live files stay.
func TestApplyScriptRefuses(t *testing.T) {
	r := newApplyRig(t)
	other, err := pki.NewCA("other CA", pki.Options{})
	if err != nil {
		t.Fatal(err)
	}
	liveBefore := readDir(t, r.live)
	for _, tc := range []struct {
		name   string
		make   func(d *Delivery)
		edit   func(dir string)
		reason string
	}{
		{"key of another certificate", func(d *Delivery) { d.ServerKey = r.delivery(t, "x").ServerKey }, nil,
			"server-key.pem is not the key of server.pem"},
		{"certificate of another CA", func(d *Delivery) {
			srv, _ := other.IssueServer("o", pki.SANs{DNSNames: []string{"localhost"}}, pki.Options{})
			d.ServerCert, d.ServerKey = srv.CertPEM(), mustKeyPEM(t, srv)
		}, nil, "server.pem is not a server certificate signed by ca.pem: error 20 at 0 depth lookup: unable to get local issuer certificate"},
		{"client certificate", func(d *Delivery) {
			c, _ := r.ca.IssueClient("c", pki.Options{})
			d.ServerCert, d.ServerKey = c.CertPEM(), mustKeyPEM(t, c)
		}, nil, "error 26 at 0 depth lookup: unsuitable certificate purpose"},
		{"CA key in ca.pem", func(d *Delivery) { d.CACert = append(d.CACert, mustKeyPEM(t, r.ca)...) }, nil,
			"ca.pem or server.pem holds a private key"},
		{"file changed after the manifest", nil, func(dir string) { appendTo(t, filepath.Join(dir, "server.pem"), "\n") },
			"a file does not match its sha256 in the manifest"},
		{"manifest of another version", nil, func(dir string) { replaceIn(t, filepath.Join(dir, ManifestName), "delivery 1", "delivery 2") },
			`manifest: want "dockbake-delivery 1"`},
		{"manifest that leaves a file out", nil, func(dir string) { replaceIn(t, filepath.Join(dir, ManifestName), "  ca.pem", "  other.pem") },
			"a sha256 line per file"},
		{"encrypted key", nil, func(dir string) {
			openssl(t, dir, "pkey", "-in", "server-key.pem", "-aes256", "-passout", "pass:x", "-out", "enc.pem")
			os.Rename(filepath.Join(dir, "enc.pem"), filepath.Join(dir, "server-key.pem"))
			rehash(t, dir)
		}, "server-key.pem is not an unencrypted private key"},
		{"no manifest yet, nor ever", nil, func(dir string) { os.Remove(filepath.Join(dir, ManifestName)) },
			"incomplete: no whole manifest after 1 s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := r.delivery(t, strings.Map(idRune, tc.name))
			if tc.make != nil {
				tc.make(&d)
			}
			r.put(t, d, tc.edit)
			s := r.run(t, d.ID)
			if s.Outcome != OutcomeRejected || !strings.Contains(s.Reason, tc.reason) || s.ID != d.ID {
				t.Errorf("outcome %s, reason %q; want rejected, %q", s.Outcome, s.Reason, tc.reason)
			}
			if n := r.restarts(t); n > 0 {
				t.Errorf("dockerd was restarted %d times for a rejected delivery", n)
			}
			if !bytes.Equal(readDir(t, r.live), liveBefore) {
				t.Error("the live TLS files changed")
			}
		})
	}
}

// TestApplyScriptIgnoresStrays: entries of incoming/ that are no delivery
// (a bad name, a plain file) are removed without an outcome, so the path
// unit does not start the script over and over.
func TestApplyScriptIgnoresStrays(t *testing.T) {
	r := newApplyRig(t)
	for _, name := range []string{".hidden", "bad name", "x" + strings.Repeat("y", 64)} {
		writeTestFile(t, filepath.Join(r.layout.incoming, name, "ca.pem"), []byte("x"), 0o600)
	}
	writeTestFile(t, filepath.Join(r.layout.incoming, "plain-file"), []byte("x"), 0o600)
	d := r.delivery(t, "valid-one")
	r.put(t, d, func(string) { os.Remove(filepath.Join(r.layout.incoming, d.ID, ManifestName)) })
	r.run(t, d.ID)
	entries, _ := os.ReadDir(r.layout.status)
	if len(entries) != 1 || entries[0].Name() != d.ID {
		t.Errorf("status/ holds %v, want only %s", entries, d.ID)
	}
}

// TestApplyScriptApplies swaps a valid delivery in: the stand-in server
// presents the new certificate, the replaced set is kept, the spool holds
// no key afterwards, and modes are the plan's.
func TestApplyScriptApplies(t *testing.T) {
	testenv.Root(t, "the script gives the files to root (chown 0:0)")
	r := newApplyRig(t)
	r.startServer(t)
	old := readDir(t, r.live)
	d := r.delivery(t, "20260101T000000Z-new")
	r.put(t, d, nil)
	s := r.run(t, d.ID)
	cert, _ := pki.ParseCertificate(d.ServerCert)
	if s.Outcome != OutcomeApplied || s.Delivered != pki.Fingerprint(cert) || s.Served != s.Delivered {
		t.Fatalf("status %+v: want applied, delivered and served %s", s, pki.Fingerprint(cert))
	}
	if got := readDir(t, r.layout.previous); !bytes.Equal(got, old) {
		t.Errorf("previous/ does not hold the replaced set:\n%s", got)
	}
	for name, want := range map[string]os.FileMode{"ca.pem": 0o644, "server.pem": 0o644, "server-key.pem": 0o600} {
		if fi, err := os.Stat(filepath.Join(r.live, name)); err != nil || fi.Mode().Perm() != want {
			t.Errorf("live %s: %v, want mode %04o", name, err, want)
		}
	}
	if _, err := os.Stat(r.layout.attempt); !os.IsNotExist(err) {
		t.Errorf("attempt/ left behind: %v", err)
	}
	if fi, _ := os.Stat(r.layout.state); fi.Mode().Perm() != 0o700 {
		t.Errorf("state directory mode %v, want 0700", fi.Mode())
	}
}

// TestApplyScriptRollsBack delivers a pair that passes every check but
// that the server refuses to load (an RSA-512 key: "ee key too small"):
// the previous set goes back and is served again.
func TestApplyScriptRollsBack(t *testing.T) {
	testenv.Root(t, "the script gives the files to root (chown 0:0)")
	r := newApplyRig(t)
	r.startServer(t)
	old := readDir(t, r.live)
	oldCert, _ := pki.ParseCertificate(mustRead(t, r.layout.serverCert))
	d := r.delivery(t, "weak")
	d.ServerCert, d.ServerKey = r.weakPair(t)
	r.put(t, d, nil)
	s := r.run(t, d.ID)
	if s.Outcome != OutcomeRolledBack || s.Reason != "dockerd did not start with the delivered certificates" || s.Served != pki.Fingerprint(oldCert) {
		t.Fatalf("status %+v: want rolled-back for a failed start, serving %s again", s, pki.Fingerprint(oldCert))
	}
	if !bytes.Equal(readDir(t, r.live), old) {
		t.Error("the live files are not the previous set again")
	}
	if _, err := os.Stat(r.layout.previous); !os.IsNotExist(err) {
		t.Errorf("previous/ was replaced by a rolled-back attempt: %v", err)
	}
}

// startServer brings up the stand-in for the running dockerd.
func (r *applyRig) startServer(t *testing.T) {
	t.Helper()
	if err := r.command("systemctl", "restart", "docker.service").Run(); err != nil {
		log, _ := os.ReadFile(filepath.Join(r.dir, "server.log"))
		t.Fatalf("stand-in server: %v\n%s", err, log)
	}
}

// weakPair is an RSA-512 server certificate of the rig's CA, made by
// openssl: Go refuses to make such keys.
func (r *applyRig) weakPair(t *testing.T) (cert, key []byte) {
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, "ca.pem"), r.ca.CertPEM(), 0o644)
	writeTestFile(t, filepath.Join(dir, "ca-key.pem"), mustKeyPEM(t, r.ca), 0o600)
	writeTestFile(t, filepath.Join(dir, "ext"), []byte("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"), 0o644)
	openssl(t, dir, "genrsa", "-out", "key.pem", "512")
	openssl(t, dir, "req", "-new", "-key", "key.pem", "-subj", "/CN=weak", "-out", "csr.pem")
	openssl(t, dir, "x509", "-req", "-in", "csr.pem", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-set_serial", "7",
		"-days", "2", "-extfile", "ext", "-out", "cert.pem")
	return mustRead(t, filepath.Join(dir, "cert.pem")), mustRead(t, filepath.Join(dir, "key.pem"))
}

// idRune keeps a test's name valid as a delivery ID.
func idRune(r rune) rune {
	if r == ' ' || r == ',' {
		return '-'
	}
	return r
}
