package dockerdtest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/pki"
)

// Host plays the host's part of the apply mechanism for a Daemon that has
// no systemd to run it: it watches a spool directory (which the client's
// delivery container bind-mounts as it does /var/lib/dockbake/spool),
// and answers each whole delivery as the host's apply unit does: by
// default it applies it (the files swapped in, dockerd restarted) and
// reports so; Answer makes it report another outcome, or none.
type Host struct {
	// Spool is the spool directory to attach with (attach.Request.SpoolDir).
	Spool  string
	t      *testing.T
	daemon *Daemon
	stop   chan struct{}
	mu     sync.Mutex
	answer func(id string) (outcome, reason string)
}

// RolledBackLog is the journal line a Host reports with every outcome
// other than applied, as a host whose dockerd refused the delivery would.
const RolledBackLog = "host dockerd[1]: failed to create API server: x509: unsupported elliptic curve"

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

// Answer decides the outcome of each delivery from now on: "applied"
// applies it, "" leaves it unanswered (an attach waiting for the host
// times out), any other outcome is reported with reason and
// RolledBackLog, the delivery not applied. nil restores the default,
// applied.
func (h *Host) Answer(answer func(id string) (outcome, reason string)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.answer = answer
}

// Served is the fingerprint of dockerd's live server certificate.
func (h *Host) Served() string {
	path, _ := h.daemon.flag("--tlscert")
	return fingerprintOf(h.t, path)
}

// watch answers each delivery whose manifest has arrived whole.
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
			h.handle(e.Name(), dir)
		}
	}
}

// handle answers delivery id, in dir.
func (h *Host) handle(id, dir string) {
	h.mu.Lock()
	answer := h.answer
	h.mu.Unlock()
	outcome, reason := "applied", ""
	if answer != nil {
		outcome, reason = answer(id)
	}
	if outcome == "" {
		return
	}
	delivered := fingerprintOf(h.t, filepath.Join(dir, "server.pem"))
	served := h.Served()
	var log []string
	if outcome == "applied" {
		h.writeStatus(id, "applying", "", delivered, served, nil)
		h.swapIn(dir)
		served = delivered
	} else {
		log = []string{RolledBackLog}
	}
	h.writeStatus(id, outcome, reason, delivered, served, log)
	os.RemoveAll(dir)
}

// swapIn puts the delivered files where dockerd reads them and restarts it.
func (h *Host) swapIn(dir string) {
	for name, flag := range map[string]string{"ca.pem": "--tlscacert", "server.pem": "--tlscert", "server-key.pem": "--tlskey"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			h.t.Error(err)
			return
		}
		path, ok := h.daemon.flag(flag)
		if !ok {
			h.t.Errorf("dockerd has no %s flag", flag)
			return
		}
		if err := os.WriteFile(path, b, 0o600); err != nil {
			h.t.Error(err)
			return
		}
	}
	h.daemon.Restart()
}

// writeStatus reports an outcome as the host's apply unit does: the
// status file written whole, then renamed into place.
func (h *Host) writeStatus(id, outcome, reason, delivered, served string, log []string) {
	var b strings.Builder
	fmt.Fprintf(&b, "dockbake-status 1\nid %s\noutcome %s\nreason %s\ndelivered %s\nserved %s\ntime %s\n", id, outcome, reason, delivered, served, time.Now().UTC().Format(time.RFC3339))
	for _, l := range log {
		b.WriteString("log " + l + "\n")
	}
	tmp := filepath.Join(h.Spool, generator.SpoolStatus, "."+id)
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
		h.t.Error(err)
		return
	}
	if err := os.Rename(tmp, filepath.Join(h.Spool, generator.StatusPath(id))); err != nil {
		h.t.Error(err)
	}
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
