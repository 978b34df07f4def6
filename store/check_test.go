package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkDamages damage machine web1 of a store that has another, whole
// machine, other, in one way each: file is the path the problem names,
// below the store, and want what it says; whole is no damage.
var checkDamages = []struct {
	name   string
	damage func(t *testing.T, s *Store)
	file   string // the path the problem names, below the store
	want   string
}{
	{"whole", func(*testing.T, *Store) {}, "", ""},
	{"a client key of another machine", func(t *testing.T, s *Store) {
		copyFile(t, filepath.Join(s.ClientDir("other"), ClientKeyFile), filepath.Join(s.ClientDir("web1"), ClientKeyFile))
	}, "machines/web1/key.pem", "is not the key of cert.pem"},
	{"a server key of another machine", func(t *testing.T, s *Store) {
		copyFile(t, filepath.Join(s.HostDir("other"), serverKeyFile), filepath.Join(s.HostDir("web1"), serverKeyFile))
	}, "hosts/web1/server-key.pem", "is not the key of server.pem"},
	{"a CA key of another machine", func(t *testing.T, s *Store) {
		copyFile(t, filepath.Join(s.HostDir("other"), caKeyFile), filepath.Join(s.HostDir("web1"), caKeyFile))
	}, "hosts/web1", "private key does not match"},
	{"a client certificate of another machine with its key", func(t *testing.T, s *Store) {
		for _, f := range []string{ClientCertFile, ClientKeyFile} {
			copyFile(t, filepath.Join(s.ClientDir("other"), f), filepath.Join(s.ClientDir("web1"), f))
		}
	}, "machines/web1/cert.pem", "is not issued by the machine's CA"},
	{"no client directory", func(t *testing.T, s *Store) {
		os.RemoveAll(s.ClientDir("web1"))
	}, "machines/web1", "is missing"},
	{"no client key", func(t *testing.T, s *Store) {
		os.Remove(filepath.Join(s.ClientDir("web1"), ClientKeyFile))
	}, "machines/web1/key.pem", "is missing"},
	{"a certificate that does not parse", func(t *testing.T, s *Store) {
		os.WriteFile(filepath.Join(s.HostDir("web1"), serverCertFile), []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), 0o644)
	}, "hosts/web1/server.pem", "damaged"},
	{"a client ca.pem of another CA", func(t *testing.T, s *Store) {
		copyFile(t, filepath.Join(s.ClientDir("other"), ClientCAFile), filepath.Join(s.ClientDir("web1"), ClientCAFile))
	}, "machines/web1/ca.pem", "does not match the fingerprint"},
	{"a client record that is a key", func(t *testing.T, s *Store) {
		os.MkdirAll(filepath.Join(s.HostDir("web1"), clientsDir), 0o700)
		copyFile(t, filepath.Join(s.ClientDir("web1"), ClientKeyFile), filepath.Join(s.HostDir("web1"), clientsDir, "mallory.pem"))
	}, "hosts/web1/clients/mallory.pem", "holds a private key"},
	{"a symbolic link for a key", func(t *testing.T, s *Store) {
		key := filepath.Join(s.ClientDir("web1"), ClientKeyFile)
		os.Rename(key, key+".real")
		os.Symlink(key+".real", key)
	}, "machines/web1/key.pem", "is a symbolic link"},
}

// TestCheckNamesDamage damages a whole machine in one way at a time and
// wants Check to name the file and what is wrong with it, and a whole
// machine to have no problems.
func TestCheckNamesDamage(t *testing.T) {
	for _, tc := range checkDamages {
		t.Run(tc.name, func(t *testing.T) {
			s := testStore(t)
			mustCreate(t, s, "web1", "")
			mustCreate(t, s, "other", "")
			tc.damage(t, s)
			m, problems, err := s.Check("web1")
			if err != nil || m == nil {
				t.Fatalf("Check: %v, %v", m, err)
			}
			if tc.want == "" {
				if len(problems) != 0 {
					t.Errorf("a whole machine has problems: %v", problems)
				}
				return
			}
			var ce *CorruptError
			found := false
			for _, p := range problems {
				if errors.As(p, &ce) && ce.Path == filepath.Join(s.Root, filepath.FromSlash(tc.file)) && strings.Contains(p.Error(), tc.want) {
					found = true
				}
			}
			if !found {
				t.Errorf("problems = %v; want one naming %s with %q", problems, tc.file, tc.want)
			}
			if _, others, _ := s.Check("other"); len(others) != 0 {
				t.Errorf("the other machine: %v", others)
			}
			checkAllAgrees(t, s)
		})
	}
}

// checkAllAgrees wants CheckAll to find what Check finds, machine by
// machine.
func checkAllAgrees(t *testing.T, s *Store) {
	t.Helper()
	all, err := s.CheckAll()
	if err != nil {
		t.Fatalf("CheckAll: %v", err)
	}
	names, _ := s.Names()
	if len(all) != len(names) {
		t.Fatalf("CheckAll found %d machines, Names %d", len(all), len(names))
	}
	for i, c := range all {
		m, problems, err := s.Check(names[i])
		if err != nil || c.Name != names[i] || (m == nil) != (c.Machine == nil) || fmt.Sprint(problems) != fmt.Sprint(c.Problems) {
			t.Errorf("CheckAll: %s %v; Check: %s %v (%v)", c.Name, c.Problems, names[i], problems, err)
		}
	}
}

// TestCheckAllRefusesSymlinks: a listing checks the path to each machine
// once, and still finds a machine whose directory is a symbolic link
// damaged, beside whole ones.
func TestCheckAllRefusesSymlinks(t *testing.T) {
	s := testStore(t)
	for _, name := range []string{"a", "b", "c"} {
		mustCreate(t, s, name, "")
	}
	outside := filepath.Join(t.TempDir(), "b")
	copyTreeT(t, s.HostDir("b"), outside)
	os.RemoveAll(s.HostDir("b"))
	if err := os.Symlink(outside, s.HostDir("b")); err != nil {
		t.Fatal(err)
	}
	all, err := s.CheckAll()
	if err != nil || len(all) != 3 {
		t.Fatalf("CheckAll: %v, %v", all, err)
	}
	if len(all[0].Problems) != 0 || len(all[2].Problems) != 0 {
		t.Errorf("whole machines have problems: %v, %v", all[0].Problems, all[2].Problems)
	}
	if len(all[1].Problems) == 0 || !strings.Contains(all[1].Problems[0].Error(), "is a symbolic link") {
		t.Errorf("machine b behind a symbolic link: %v", all[1].Problems)
	}
	checkAllAgrees(t, s)
}

// TestRecordNamesStayInside: a record's CA name is a path in the store; one
// that would lead out of it makes the record damaged, and nothing outside
// is read or written.
func TestRecordNamesStayInside(t *testing.T) {
	s := testStore(t)
	mustCreate(t, s, "web1", "fleet")
	outside := filepath.Join(filepath.Dir(s.Root), "evil")
	copyTreeT(t, s.CADir("fleet"), outside)
	path := filepath.Join(s.HostDir("web1"), recordFile)
	rec, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(rec), `"ca": "fleet"`, `"ca": "../../evil"`, 1)), 0o600)
	var ce *CorruptError
	if _, err := s.Load("web1"); !errors.As(err, &ce) || ce.Path != path || !strings.Contains(err.Error(), `"../../evil"`) {
		t.Errorf("Load: %v, want the record damaged for its CA name", err)
	}
	if _, err := s.Rotate(RotateRequest{Name: "web1", CA: true}); !errors.As(err, &ce) {
		t.Errorf("Rotate: %v", err)
	}
	if _, err := s.AddClient(ClientRequest{Machine: "web1", User: "alice", Dir: filepath.Join(t.TempDir(), "alice")}); !errors.As(err, &ce) {
		t.Errorf("AddClient: %v", err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 2 {
		t.Errorf("the directory outside changed: %v", entries)
	}
}

// TestSymlinksAreRefused puts a symbolic link where the store keeps a
// directory or a file, pointing outside; nothing reads or writes through
// it, and the error names it.
func TestSymlinksAreRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		link func(s *Store) string // the path to replace with a link
		run  func(s *Store) error
	}{
		{"host directory, read", func(s *Store) string { return s.HostDir("web1") }, func(s *Store) error { _, err := s.Load("web1"); return err }},
		{"host directory, create --force", func(s *Store) string { return s.HostDir("web1") }, func(s *Store) error {
			r := req("web1")
			r.Force = true
			_, err := s.Create(r)
			return err
		}},
		{"client key, rotate", func(s *Store) string { return filepath.Join(s.ClientDir("web1"), ClientKeyFile) }, func(s *Store) error {
			_, err := s.Rotate(RotateRequest{Name: "web1", Client: true})
			return err
		}},
		{"shared CA, create", func(s *Store) string { return s.CADir("fleet") }, func(s *Store) error {
			r := req("web2")
			r.CA = "fleet"
			_, err := s.Create(r)
			return err
		}},
		{"staging", func(s *Store) string { return filepath.Join(s.Root, stagingName) }, func(s *Store) error {
			_, err := s.Create(req("web2"))
			return err
		}},
		{"machines, rm", func(s *Store) string { return filepath.Join(s.Root, "machines") }, func(s *Store) error { return s.Remove("web1") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testStore(t)
			mustCreate(t, s, "web1", "fleet")
			path := tc.link(s)
			outside := filepath.Join(t.TempDir(), "target")
			if err := os.Rename(path, outside); err != nil {
				os.MkdirAll(outside, 0o700) // staging may not be there
				os.RemoveAll(path)
			}
			if err := os.Symlink(outside, path); err != nil {
				t.Fatal(err)
			}
			before := tree(t, outside)
			err := tc.run(s)
			var ce *CorruptError
			if !errors.As(err, &ce) || !errors.Is(err, ErrSymlink) {
				t.Fatalf("err = %v, want ErrSymlink", err)
			}
			if !strings.HasPrefix(path, ce.Path) {
				t.Errorf("the error names %s, not the link %s", ce.Path, path)
			}
			if after := tree(t, outside); len(after) != len(before) {
				t.Errorf("written through the link: %v, before %v", after, before)
			}
		})
	}
}

// TestLockFileSymlinkIsRefused: the lock file is opened without following
// a link, so no file elsewhere is created or locked through it.
func TestLockFileSymlinkIsRefused(t *testing.T) {
	s := testStore(t)
	target := filepath.Join(t.TempDir(), "elsewhere")
	if err := os.Symlink(target, filepath.Join(s.Root, lockFileName)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(req("web1")); err == nil {
		t.Error("a create locked through a symbolic link")
	}
	if PathExists(target) {
		t.Error("the lock file was created through the link")
	}
}

func TestOpenRefusesAnEmptyPath(t *testing.T) {
	if _, err := Open(""); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("Open(\"\") = %v", err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(to)
	mode := os.FileMode(0o600)
	if fi != nil {
		mode = fi.Mode().Perm()
	}
	if err := os.WriteFile(to, data, mode); err != nil {
		t.Fatal(err)
	}
}

func copyTreeT(t *testing.T, from, to string) {
	t.Helper()
	if err := copyTree(from, to); err != nil {
		t.Fatal(err)
	}
}
