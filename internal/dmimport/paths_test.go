package dmimport_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dockbake/dockbake/internal/dmimport"
	"github.com/dockbake/dockbake/internal/dmimport/dmtest"
	"github.com/dockbake/dockbake/pki"
)

// writeStore lays out a Docker Machine store at dir (under a fresh
// temporary directory unless dir is absolute) with machines.
func writeStore(t *testing.T, dir string, machines ...dmtest.Host) *dmtest.Store {
	t.Helper()
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(realTemp(t), dir)
	}
	st, err := dmtest.Write(dir, "alice", time.Now(), machines...)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// realTemp is a temporary directory with symbolic links resolved, as the
// import reports paths.
func realTemp(t *testing.T) string {
	t.Helper()
	d, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func open(t *testing.T, root string, allow bool) *dmimport.Store {
	t.Helper()
	s, err := dmimport.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	s.AllowOutside = allow
	return s
}

// outsideFields are the fields of every *OutsideError in err.
func outsideFields(err error) []string {
	var fields []string
	var walk func(error)
	walk = func(err error) {
		var oe *dmimport.OutsideError
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
		} else if errors.As(err, &oe) {
			fields = append(fields, oe.Field)
		}
	}
	walk(err)
	return fields
}

// A machine whose config.json takes its CA and client certificate from
// another store (create --tls-ca-cert and friends) is refused, every such
// path named at once; allowed, it comes in with that store's CA, and the
// files read there are marked outside.
func TestLoadOtherStoresCA(t *testing.T) {
	other := writeStore(t, "other")
	a := writeStore(t, "a", dmtest.Host{Name: "web1", IP: "203.0.113.5", CAStore: other.Root})

	_, err := open(t, a.Root, false).Load("web1")
	const auth = "HostOptions.AuthOptions."
	want := []string{auth + "CaCertPath", auth + "CaPrivateKeyPath", auth + "ClientCertPath", auth + "ClientKeyPath"}
	if got := outsideFields(err); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("refused fields %v, want %v; err = %v", got, want, err)
	}
	for _, w := range []string{`machine "web1": config.json's ` + auth + `CaPrivateKeyPath "` + filepath.Join(other.Root, "certs", "ca-key.pem") + `" lies outside the Docker Machine store "` + a.Root + `"`} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}

	m, err := open(t, a.Root, true).Load("web1")
	if err != nil {
		t.Fatal(err)
	}
	if pki.Fingerprint(m.CA.Cert) != pki.Fingerprint(other.CA) {
		t.Error("the CA is not the other store's, which config.json names")
	}
	files := strings.Join(fileList(m), "\n")
	for _, w := range []string{
		"CA key " + filepath.Join(other.Root, "certs", "ca-key.pem") + " (outside the store, as config.json's " + auth + "CaPrivateKeyPath names it)",
		"server key machines/web1/server-key.pem",
		"client certificate machines/web1/cert.pem",
	} {
		if !strings.Contains(files, w) {
			t.Errorf("files lack %q:\n%s", w, files)
		}
	}
}

// A store that was moved keeps the absolute paths of its old place in
// config.json; they are read at the same place in the store, and the
// report says so.
func TestLoadMovedStore(t *testing.T) {
	tmp := realTemp(t)
	old, moved := filepath.Join(tmp, "old"), filepath.Join(tmp, "moved")
	writeStore(t, old, dmtest.Host{Name: "web1", IP: "203.0.113.5"})
	if err := os.Rename(old, moved); err != nil {
		t.Fatal(err)
	}
	m, err := open(t, moved, false).Load("web1")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Warnings) != 0 {
		t.Errorf("warnings: %v", m.Warnings)
	}
	want := `CA key certs/ca-key.pem (config.json's HostOptions.AuthOptions.CaPrivateKeyPath names "` +
		filepath.Join(old, "certs", "ca-key.pem") + `": the store was at "` + old + `")`
	if files := strings.Join(fileList(m), "\n"); !strings.Contains(files, want) {
		t.Errorf("files lack %q:\n%s", want, files)
	}
}

// A copy of a store whose original is still there reads the copy, not the
// place config.json names: the original's CA here is another one, which
// did not sign the server certificate.
func TestLoadCopiedStore(t *testing.T) {
	tmp := realTemp(t)
	orig, cp := filepath.Join(tmp, "orig"), filepath.Join(tmp, "copy")
	st := writeStore(t, orig, dmtest.Host{Name: "web1", IP: "203.0.113.5"})
	copyTree(t, orig, cp)
	other := writeStore(t, "other")
	for _, f := range []string{"ca.pem", "ca-key.pem"} {
		copyFile(t, filepath.Join(other.Root, "certs", f), filepath.Join(orig, "certs", f))
	}
	m, err := open(t, cp, false).Load("web1")
	if err != nil {
		t.Fatal(err)
	}
	if pki.Fingerprint(m.CA.Cert) != pki.Fingerprint(st.CA) {
		t.Error("the CA was not read from the copy")
	}
	for _, f := range m.Files {
		if !strings.HasPrefix(f.Path, cp+string(filepath.Separator)) {
			t.Errorf("%s read from %s, outside the copy", f.Role, f.Path)
		}
	}
}

// Symbolic links are followed inside the store and refused when they lead
// out of it, for a path config.json names and for the store's own files.
func TestLoadSymlinks(t *testing.T) {
	for _, tc := range []struct {
		name, file, field string
	}{
		{"named by config.json", "machines/web1/server-key.pem", "HostOptions.AuthOptions.ServerKeyPath"},
		{"the store's own file", "machines/web1/key.pem", ""},
		{"the machine's directory", "machines/web1", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := writeStore(t, "dm", dmtest.Host{Name: "web1", IP: "203.0.113.5"})
			elsewhere := filepath.Join(realTemp(t), "elsewhere")
			link := filepath.Join(st.Root, filepath.FromSlash(tc.file))
			if err := os.Rename(link, elsewhere); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(elsewhere, link); err != nil {
				t.Fatal(err)
			}
			_, err := open(t, st.Root, false).Load("web1")
			var oe *dmimport.OutsideError
			if !errors.As(err, &oe) || oe.Field != tc.field || !strings.HasPrefix(oe.Target, elsewhere) {
				t.Fatalf("err = %#v (%v)", oe, err)
			}
			if !strings.Contains(err.Error(), `leads to "`+elsewhere) {
				t.Errorf("error does not say where the link leads: %v", err)
			}
			m, err := open(t, st.Root, true).Load("web1")
			if err != nil {
				t.Fatalf("allowed: %v", err)
			}
			if files := strings.Join(fileList(m), "\n"); !strings.Contains(files, elsewhere) {
				t.Errorf("the report does not name %s:\n%s", elsewhere, files)
			}
		})
	}
}

// A link that stays inside the store is read as any file, and a store
// reached through a link to it is the store itself.
func TestLoadSymlinksInside(t *testing.T) {
	st := writeStore(t, "dm", dmtest.Host{Name: "web1", IP: "203.0.113.5"})
	certs := filepath.Join(st.Root, "certs")
	if err := os.Rename(filepath.Join(certs, "ca.pem"), filepath.Join(certs, "ca-2019.pem")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("ca-2019.pem", filepath.Join(certs, "ca.pem")); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(realTemp(t), "link")
	if err := os.Symlink(st.Root, link); err != nil {
		t.Fatal(err)
	}
	m, err := open(t, link, false).Load("web1")
	if err != nil {
		t.Fatal(err)
	}
	if files := strings.Join(fileList(m), "\n"); !strings.Contains(files, "CA certificate certs/ca-2019.pem\n") {
		t.Errorf("files:\n%s", files)
	}
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o700)
		}
		copyFile(t, p, filepath.Join(to, rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// Without the per-machine client copies the client certificate comes from
// where config.json names it, and the warning names the files really
// used: here another store's, allowed.
func TestLoadClientFallback(t *testing.T) {
	other := writeStore(t, "other")
	a := writeStore(t, "a", dmtest.Host{Name: "web1", IP: "203.0.113.5"}, dmtest.Host{Name: "web2", IP: "203.0.113.6", CAStore: other.Root})
	for _, name := range []string{"web1", "web2"} {
		if err := os.Remove(filepath.Join(a.Root, "machines", name, "cert.pem")); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ name, warning, file string }{
		{"web1", "machines/web1 has no usable client certificate (it has none); took certs/cert.pem", "client certificate certs/cert.pem"},
		{"web2", "machines/web2 has no usable client certificate (it has none); took " + filepath.Join(other.Root, "certs", "cert.pem"),
			"client key " + filepath.Join(other.Root, "certs", "key.pem")},
	} {
		m, err := open(t, a.Root, true).Load(tc.name)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if w := strings.Join(m.Warnings, "\n"); !strings.Contains(w, tc.warning) {
			t.Errorf("%s: warnings %q lack %q", tc.name, w, tc.warning)
		}
		if files := strings.Join(fileList(m), "\n"); !strings.Contains(files, tc.file) {
			t.Errorf("%s: files lack %q:\n%s", tc.name, tc.file, files)
		}
	}
}

// A machine copied into a store with another CA is refused by the CA
// check, and the error names the store config.json places it in.
func TestLoadCopiedMachine(t *testing.T) {
	orig := writeStore(t, "orig", dmtest.Host{Name: "web1", IP: "203.0.113.5"})
	a := writeStore(t, "a")
	copyTree(t, filepath.Join(orig.Root, "machines", "web1"), filepath.Join(a.Root, "machines", "web1"))
	_, err := open(t, a.Root, false).Load("web1")
	want := `machine "web1": its server certificate was not issued by the CA in certs/ca.pem (Docker Machine made a new CA`
	from := `(or, as config.json places the machine in the store "` + orig.Root + `", import it from there)`
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), from) {
		t.Errorf("err = %v\nwant %s ... %s", err, want, from)
	}
}
