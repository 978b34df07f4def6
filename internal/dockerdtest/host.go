package dockerdtest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/pki"
)

// Host plays the host's part of the apply mechanism for a Daemon that has
// no systemd to run it: it watches a spool directory (which the client's
// delivery container bind-mounts as it does /var/lib/dockbake/spool),
// applies each whole delivery, restarts dockerd with it and reports the
// outcome, as the host's apply unit does.
type Host struct {
	// Spool is the spool directory to attach with (attach.Request.SpoolDir).
	Spool  string
	t      *testing.T
	daemon *Daemon
	stop   chan struct{}
}

// NewHost starts watching a new spool for d.
func NewHost(t *testing.T, d *Daemon) *Host {
	spool, err := os.MkdirTemp("", "dbs")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(spool) })
	for _, dir := range []string{generator.SpoolIncoming, generator.SpoolStatus} {
		if err := os.MkdirAll(filepath.Join(spool, dir), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	h := &Host{Spool: spool, t: t, daemon: d, stop: make(chan struct{})}
	go h.watch()
	t.Cleanup(func() { close(h.stop) })
	return h
}

// Served is the fingerprint of dockerd's live server certificate.
func (h *Host) Served() string { return fingerprintOf(h.t, h.daemon.Flag("--tlscert")) }

// watch applies each delivery whose manifest has arrived whole.
func (h *Host) watch() {
	done := map[string]bool{}
	for {
		select {
		case <-h.stop:
			return
		case <-time.After(100 * time.Millisecond):
		}
		entries, _ := os.ReadDir(filepath.Join(h.Spool, generator.SpoolIncoming))
		for _, e := range entries {
			dir := filepath.Join(h.Spool, generator.SpoolIncoming, e.Name())
			m, err := os.ReadFile(filepath.Join(dir, generator.ManifestName))
			if err != nil || !bytes.HasSuffix(m, []byte("\nend\n")) || done[e.Name()] {
				continue
			}
			done[e.Name()] = true
			h.apply(e.Name(), dir)
		}
	}
}

// apply swaps the delivered files in, restarts dockerd and reports.
func (h *Host) apply(id, dir string) {
	delivered := fingerprintOf(h.t, filepath.Join(dir, "server.pem"))
	h.writeStatus(id, "applying", delivered, h.Served())
	for name, flag := range map[string]string{"ca.pem": "--tlscacert", "server.pem": "--tlscert", "server-key.pem": "--tlskey"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			h.t.Error(err)
			return
		}
		os.WriteFile(h.daemon.Flag(flag), b, 0o600)
	}
	h.daemon.Restart()
	h.writeStatus(id, "applied", delivered, delivered)
	os.RemoveAll(dir)
}

func (h *Host) writeStatus(id, outcome, delivered, served string) {
	var b strings.Builder
	fmt.Fprintf(&b, "dockbake-status 1\nid %s\noutcome %s\nreason \ndelivered %s\nserved %s\ntime %s\n", id, outcome, delivered, served, time.Now().UTC().Format(time.RFC3339))
	tmp := filepath.Join(h.Spool, generator.SpoolStatus, "."+id)
	os.WriteFile(tmp, []byte(b.String()), 0o600)
	os.Rename(tmp, filepath.Join(h.Spool, generator.StatusPath(id)))
}

func fingerprintOf(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Error(err)
		return ""
	}
	c, err := pki.ParseCertificate(b)
	if err != nil {
		t.Error(err)
		return ""
	}
	return pki.Fingerprint(c)
}
