package generator

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dockbake/dockbake/internal/testenv"
)

// TestDeliveryArchive reads the archive back as dockerd would: files only,
// under incoming/ID/, the key 0600, the manifest last; and GNU sha256sum
// checks the files against the manifest, as the script does.
func TestDeliveryArchive(t *testing.T) {
	sha := testenv.LookPath(t, "sha256sum", "apt-get install coreutils")
	d := Delivery{ID: "20260101T000000Z-1", CACert: []byte("ca\n"), ServerCert: []byte("cert\n"), ServerKey: []byte("key\n")}
	archive, err := d.Archive()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var names []string
	tr := tar.NewReader(bytes.NewReader(archive))
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, hdr.Name)
		want := int64(0o644)
		if strings.HasSuffix(hdr.Name, "-key.pem") || strings.HasSuffix(hdr.Name, "/"+ManifestName) {
			want = 0o600
		}
		if hdr.Typeflag != tar.TypeReg || hdr.Mode != want || hdr.Uid != 0 || hdr.Gid != 0 {
			t.Errorf("%s: type %c mode %o owner %d:%d, want a regular file, mode %o, root's", hdr.Name, hdr.Typeflag, hdr.Mode, hdr.Uid, hdr.Gid, want)
		}
		content, _ := io.ReadAll(tr)
		writeTestFile(t, filepath.Join(dir, filepath.Base(hdr.Name)), content, 0o600)
	}
	prefix := "incoming/" + d.ID + "/"
	want := []string{prefix + "ca.pem", prefix + "server.pem", prefix + "server-key.pem", prefix + ManifestName}
	if !slices.Equal(names, want) {
		t.Errorf("archive entries %q, want %q", names, want)
	}
	manifest := strings.Split(strings.TrimSuffix(string(mustRead(t, filepath.Join(dir, ManifestName))), "\n"), "\n")
	if manifest[0] != "dockbake-delivery 1" || manifest[len(manifest)-1] != "end" {
		t.Errorf("manifest %q: want the header first and end last", manifest)
	}
	check := exec.Command(sha, "-c", "--strict", "-")
	check.Dir, check.Stdin = dir, strings.NewReader(strings.Join(manifest[1:len(manifest)-1], "\n")+"\n")
	if out, err := check.CombinedOutput(); err != nil {
		t.Errorf("sha256sum -c: %v\n%s", err, out)
	}
	os.WriteFile(filepath.Join(dir, "server.pem"), []byte("other\n"), 0o600)
	check = exec.Command(sha, "-c", "--status", "-")
	check.Dir, check.Stdin = dir, strings.NewReader(strings.Join(manifest[1:len(manifest)-1], "\n")+"\n")
	if err := check.Run(); err == nil {
		t.Error("sha256sum accepts a changed file: the manifest proves nothing")
	}
}

func TestDeliveryArchiveRefuses(t *testing.T) {
	for _, d := range []Delivery{
		{ID: ".hidden", CACert: []byte("a"), ServerCert: []byte("b"), ServerKey: []byte("c")},
		{ID: "../etc", CACert: []byte("a"), ServerCert: []byte("b"), ServerKey: []byte("c")},
		{ID: strings.Repeat("x", 65), CACert: []byte("a"), ServerCert: []byte("b"), ServerKey: []byte("c")},
		{ID: "no-key", CACert: []byte("a"), ServerCert: []byte("b")},
	} {
		if _, err := d.Archive(); err == nil {
			t.Errorf("delivery %q (key %d bytes): archived, want an error", d.ID, len(d.ServerKey))
		}
	}
}

func TestParseStatus(t *testing.T) {
	s, err := ParseStatus([]byte("dockbake-status 1\nid a-1\noutcome rolled-back\nreason dockerd did not start\n" +
		"delivered AA:BB\nserved CC:DD\ntime 2026-01-01T00:00:00Z\nlog one line\nlog two: x=y\nfuture field\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := Status{ID: "a-1", Outcome: OutcomeRolledBack, Reason: "dockerd did not start", Delivered: "AA:BB", Served: "CC:DD",
		Time: "2026-01-01T00:00:00Z", Log: []string{"one line", "two: x=y"}}
	if !slices.Equal(s.Log, want.Log) || s.ID != want.ID || s.Outcome != want.Outcome || s.Reason != want.Reason ||
		s.Delivered != want.Delivered || s.Served != want.Served || s.Time != want.Time || !s.Final() {
		t.Errorf("ParseStatus = %+v, want %+v (final)", s, want)
	}
	if s, _ := ParseStatus([]byte("dockbake-status 1\nid a\noutcome applying\n")); s.Final() {
		t.Error("applying is final")
	}
	for _, bad := range []string{"", "dockbake-status 2\nid a\noutcome applied\n", "dockbake-status 1\nid a\n"} {
		if _, err := ParseStatus([]byte(bad)); err == nil {
			t.Errorf("ParseStatus(%q): no error", bad)
		}
	}
}
