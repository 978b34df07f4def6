package generator

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// A delivery is one set of TLS files for a running host: the archive a
// client writes into the spool, read by the apply script. The script
// holds the same rules; docs/after-boot.md states them for both.
const (
	// ManifestName is the delivery's last file. It lists the others with
	// their SHA-256, so a delivery still being written, or a damaged one,
	// is told from a whole one.
	ManifestName = "manifest"
	// manifestHeader and manifestEnd open and close a manifest.
	manifestHeader = "dockbake-delivery 1"
	manifestEnd    = "end"
	// statusHeader opens a status file.
	statusHeader = "dockbake-status 1"
)

// Delivery is one set of TLS files for a host. CACert may hold several
// certificates (the old and the new CA while a CA is replaced): dockerd
// accepts client certificates of each.
type Delivery struct {
	ID         string // names the delivery in incoming/ and its outcome in status/
	CACert     []byte
	ServerCert []byte
	ServerKey  []byte
}

// deliveryFile is one file of a delivery's archive.
type deliveryFile struct {
	name    string
	mode    int64 // in the archive and on the host
	content []byte
}

// files are the delivery's files in manifest order.
func (d Delivery) files() []deliveryFile {
	return []deliveryFile{{"ca.pem", 0o644, d.CACert}, {"server.pem", 0o644, d.ServerCert}, {"server-key.pem", 0o600, d.ServerKey}}
}

// Manifest is the delivery's manifest: a header line, one line per file
// in sha256sum's format, and the line "end".
func (d Delivery) Manifest() []byte {
	var b bytes.Buffer
	b.WriteString(manifestHeader + "\n")
	for _, f := range d.files() {
		sum := sha256.Sum256(f.content)
		fmt.Fprintf(&b, "%s  %s\n", hex.EncodeToString(sum[:]), f.name)
	}
	b.WriteString(manifestEnd + "\n")
	return b.Bytes()
}

// Archive returns the tar a client writes into the spool's mount point in
// a created container (PUT /containers/{id}/archive?path=MOUNT): the
// files under incoming/ID/, owned by root, the key 0600, the manifest
// last. It has no directory entries: dockerd creates incoming/ID itself,
// and would otherwise set the directory's times after the manifest, when
// the apply script may already be removing it.
func (d Delivery) Archive() ([]byte, error) {
	if !deliveryIDWord.match(d.ID) {
		return nil, fmt.Errorf("delivery ID %q: use 1-64 letters, digits, '.', '_' or '-', not starting with '.'", d.ID)
	}
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	entries := append(d.files(), deliveryFile{ManifestName, 0o600, d.Manifest()})
	for _, f := range entries {
		if len(f.content) == 0 {
			return nil, fmt.Errorf("delivery %q: %s is empty", d.ID, f.name)
		}
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: SpoolIncoming + "/" + d.ID + "/" + f.name, Mode: f.mode, Size: int64(len(f.content)), Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.content); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// StatusPath is where the outcome of delivery id appears, relative to the
// spool's mount point (GET /containers/{id}/archive?path=MOUNT/StatusPath).
func StatusPath(id string) string { return SpoolStatus + "/" + id }

// Outcome is what became of a delivery.
type Outcome string

// The outcomes. Applying is the only one that is not final.
const (
	OutcomeApplying   Outcome = "applying"    // checked; dockerd is restarting
	OutcomeApplied    Outcome = "applied"     // dockerd serves the delivered certificate
	OutcomeRejected   Outcome = "rejected"    // refused before dockerd was touched
	OutcomeRolledBack Outcome = "rolled-back" // dockerd did not serve it; the previous set is back and served
	OutcomeFailed     Outcome = "failed"      // rolled back, but dockerd does not serve the previous set either
)

// Status is a delivery's outcome as the host records it in status/ID.
type Status struct {
	ID        string
	Outcome   Outcome
	Reason    string
	Delivered string   // SHA-256 fingerprint of the delivered server certificate, as pki.Fingerprint writes it
	Served    string   // fingerprint of the certificate dockerd served when the status was written
	Time      string   // when the status was written, RFC 3339 UTC
	Log       []string // dockerd's journal since the attempt began
}

// Final reports whether the host is done with the delivery.
func (s Status) Final() bool { return s.Outcome != OutcomeApplying && s.Outcome != "" }

// ParseStatus reads a status file.
func ParseStatus(data []byte) (Status, error) {
	var s Status
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	if !sc.Scan() || sc.Text() != statusHeader {
		return s, fmt.Errorf("status: first line is not %q", statusHeader)
	}
	fields := map[string]*string{"id": &s.ID, "reason": &s.Reason, "delivered": &s.Delivered, "served": &s.Served, "time": &s.Time}
	for sc.Scan() {
		key, value, _ := strings.Cut(sc.Text(), " ")
		switch {
		case key == "log":
			s.Log = append(s.Log, value)
		case key == "outcome":
			s.Outcome = Outcome(value)
		case fields[key] != nil:
			*fields[key] = value
		}
	}
	if err := sc.Err(); err != nil {
		return s, fmt.Errorf("status: %w", err)
	}
	if s.ID == "" || s.Outcome == "" {
		return s, errors.New("status: no id or outcome line")
	}
	return s, nil
}
