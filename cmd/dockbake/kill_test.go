package main

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dockbake/dockbake/internal/dmimport/dmtest"
	"github.com/dockbake/dockbake/internal/testenv"
	"github.com/dockbake/dockbake/pki"
	"github.com/dockbake/dockbake/store"
)

// killedSyscalls are the syscalls at which TestKillAtEverySyscall kills
// the command: every one that changes a file or a directory, and the
// writes, stdout's included (stderr's messages are not steps). openat is
// a step only when it creates.
const killedSyscalls = "mkdirat,openat,write,fchmod,fsync,renameat,renameat2,unlinkat"

// TestKillAtEverySyscall runs each command that writes the store as a real
// process under strace once, to list its syscalls, then once per syscall
// in killedSyscalls, killed with SIGKILL as it enters that syscall. After
// each kill a fresh Store on the same directory (which recovers first)
// must find every machine whole, each as before the command or as after
// it, nothing left in .staging, and no client key outside the store that
// it does not record. This is the process-level counterpart of the
// store's TestFaultAtEveryStep: it needs no seam, so it also catches a
// step the seam does not see.
func TestKillAtEverySyscall(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every command under strace once per syscall")
	}
	strace := testenv.LookPath(t, "strace", "apt-get install strace")
	if out, err := exec.Command(strace, "-qq", "-o", os.DevNull, "true").CombinedOutput(); err != nil {
		testenv.Missing(t, "ptrace", fmt.Sprintf("strace cannot trace here (%v: %s)", err, out))
	}
	dm := t.TempDir()
	if _, err := dmtest.Write(dm, "alice", time.Now(), dmtest.Host{Name: "dm1", IP: "198.51.100.9"}, dmtest.Host{Name: "dm2", IP: "198.51.100.10"}); err != nil {
		t.Fatal(err)
	}
	kills := 0
	for _, sc := range killScenarios(dm) {
		t.Run(sc.name, func(t *testing.T) {
			tmpl := t.TempDir()
			os.Mkdir(filepath.Join(tmpl, "out"), 0o755)
			for _, args := range sc.setup {
				if out, err := dockbakeCmd(tmpl, nil, args...).CombinedOutput(); err != nil {
					t.Fatalf("setup dockbake %s: %v\n%s", strings.Join(args, " "), err, out)
				}
			}
			old := observeWorld(t, tmpl)
			steps, after := traceRun(t, strace, tmpl, sc.args)
			states := map[string]string{"old": old.shape(old), "new": old.shape(after)}
			if sc.halfway {
				mid := after
				mid.outside = old.outside
				states["halfway"] = old.shape(mid)
			}
			if states["old"] == states["new"] {
				t.Fatalf("the command changes nothing the test sees:\n%s", states["new"])
			}
			for _, st := range steps {
				killRun(t, strace, tmpl, sc.args, st, old, states)
			}
			kills += len(steps)
			t.Logf("killed at each of %d syscalls", len(steps))
		})
	}
	t.Logf("%d kills in all", kills)
}

type killScenario struct {
	name  string
	setup [][]string
	args  []string
	// halfway: the command puts a directory or file outside the store in
	// place after its commit, so a kill between leaves the store new and
	// the outside as it was.
	halfway bool
}

func killScenarios(dm string) []killScenario {
	web1 := []string{"create", "web1", "--ip", "192.0.2.1"}
	keep := []string{"create", "keep", "--ip", "192.0.2.2"}
	alice := []string{"client", "add", "web1", "--user", "alice", "-o", "out/alice"}
	fleet := func(name string) []string { return []string{"create", name, "--ip", "192.0.2.3", "--ca", "fleet"} }
	return []killScenario{
		{name: "create", setup: [][]string{keep}, args: web1},
		{name: "create -o", setup: [][]string{keep}, args: append(slices.Clip(web1), "-o", "out/ud.yaml"), halfway: true},
		{name: "create --ca", setup: [][]string{keep}, args: fleet("web1")},
		{name: "create --attach-only", setup: [][]string{keep}, args: []string{"create", "web1", "--attach-only"}},
		{name: "create --force", setup: [][]string{web1, alice}, args: []string{"create", "web1", "--ip", "192.0.2.5", "--force"}},
		{name: "regenerate-certs", setup: [][]string{web1}, args: []string{"regenerate-certs", "web1", "--ip", "198.51.100.7"}},
		{name: "regenerate-certs --client", setup: [][]string{web1}, args: []string{"regenerate-certs", "web1", "--client"}},
		{name: "regenerate-certs --ca", setup: [][]string{web1, alice}, args: []string{"regenerate-certs", "web1", "--ca", "--force"}},
		{name: "regenerate-certs --ca off a shared CA", setup: [][]string{fleet("web1"), fleet("f2")}, args: []string{"regenerate-certs", "web1", "--ca", "--force"}},
		{name: "rm", setup: [][]string{web1, keep, alice}, args: []string{"rm", "--force", "web1"}},
		{name: "client add", setup: [][]string{web1}, args: []string{"client", "add", "web1", "--user", "bob", "-o", "out/bob"}, halfway: true},
		{name: "client add --force", setup: [][]string{web1, alice}, args: append(slices.Clip(alice), "--force"), halfway: true},
		{name: "import-docker-machine", setup: [][]string{keep}, args: []string{"import-docker-machine", "--machine-storage-path", dm}},
	}
}

// dockbakeCmd is the test binary as dockbake in base, its store base/store,
// run through wrap (strace and its flags) when given.
func dockbakeCmd(base string, wrap []string, args ...string) *exec.Cmd {
	argv := append(append(slices.Clip(wrap), os.Args[0]), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = base
	cmd.Env = []string{asDockbake + "=1", "DOCKBAKE_STORAGE_PATH=" + filepath.Join(base, "store"), "HOME=" + base, "PATH=" + os.Getenv("PATH")}
	return cmd
}

// syscallStep is one syscall of a traced run: the n-th call of name.
type syscallStep struct {
	name string
	n    int
	line string
	// shifted: the Go runtime wrote to its eventfd before this step in the
	// traced run. Those writes come and go with timing, and strace counts
	// them with the command's own, so in another run the n-th write may be
	// a later step's, or never come.
	shifted bool
}

var (
	straceLine = regexp.MustCompile(`^\d+ +([a-z0-9_]+)\(`)
	// straceWrite is a write as strace -y shows it: the descriptor, and
	// what it is.
	straceWrite = regexp.MustCompile(`^\d+ +write\((\d+)(<[^>]*>)?, `)
)

// traceRun runs the command under strace on a copy of tmpl, and returns the
// syscalls to kill at and the world it left.
func traceRun(t *testing.T, strace, tmpl string, args []string) ([]syscallStep, world) {
	t.Helper()
	base := copyWorld(t, tmpl)
	log := filepath.Join(t.TempDir(), "trace")
	cmd := dockbakeCmd(base, []string{strace, "-f", "-qq", "-y", "-e", "signal=none", "-e", "trace=" + killedSyscalls, "-o", log}, args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("dockbake %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	f, err := os.Open(log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	counts := map[string]int{}
	var steps []syscallStep
	shifted := false
	for sc := bufio.NewScanner(f); sc.Scan(); {
		m := straceLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue // a resumed call, counted where it began
		}
		counts[m[1]]++
		if m[1] == "openat" && !strings.Contains(sc.Text(), "O_CREAT") {
			continue // a read: no step of its own
		}
		if w := straceWrite.FindStringSubmatch(sc.Text()); w != nil {
			if w[1] == "2" {
				continue // a message on stderr changes no file; their number varies with timing
			}
			if strings.Contains(w[2], "eventfd") {
				shifted = true // the runtime waking its network poller: no step
				continue
			}
		}
		steps = append(steps, syscallStep{name: m[1], n: counts[m[1]], line: sc.Text(), shifted: shifted && m[1] == "write"})
	}
	return steps, observeWorld(t, base)
}

// killRun runs the command on a copy of tmpl, killed as it enters step,
// and holds what it left to the invariants.
func killRun(t *testing.T, strace, tmpl string, args []string, step syscallStep, old world, states map[string]string) {
	t.Helper()
	base := copyWorld(t, tmpl)
	inject := fmt.Sprintf("inject=%s:signal=SIGKILL:when=%d", step.name, step.n)
	cmd := dockbakeCmd(base, []string{strace, "-f", "-qq", "-o", os.DevNull, "-e", "signal=none", "-e", "trace=" + step.name, "-e", inject}, args...)
	err := cmd.Run()
	var exit *exec.ExitError
	killed := errors.As(err, &exit) && (exit.ExitCode() == 128+int(syscall.SIGKILL) ||
		exit.Sys().(syscall.WaitStatus).Signaled() && exit.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL)
	where := fmt.Sprintf("killed at %s #%d (%s)", step.name, step.n, step.line)
	if !killed {
		if step.shifted && err == nil {
			t.Logf("%s: not reached, the command finished: the runtime wrote to its eventfd fewer times than in the traced run", where)
			return
		}
		t.Errorf("%s: the command was not killed: %v", where, err)
		return
	}
	got := observeWorld(t, base)
	for _, p := range got.problems {
		t.Errorf("%s: %s", where, p)
	}
	for dir, fp := range got.hidden {
		if !got.records[fp] && !slices.Contains(mapValues(old.outside), fp) {
			t.Errorf("%s: %s holds a key the store does not record", where, dir)
		}
	}
	shape := old.shape(got)
	for _, s := range states {
		if s == shape {
			return
		}
	}
	t.Errorf("%s: a mix of old and new:\n%s\nold:\n%s\nnew:\n%s", where, shape, states["old"], states["new"])
}

// world is what the kill test compares: each machine's parts by
// fingerprint, the shared CAs, and what lies outside the store.
type world struct {
	parts    map[string]string // "machine web1 server" → fingerprint
	outside  map[string]string // directory or file below out/ → fingerprint or size class
	hidden   map[string]string // hidden client directory below out/ → cert fingerprint
	records  map[string]bool   // client certificates the store records
	problems []string
}

// observeWorld reads base as the next command would, with a fresh Store
// that recovers first.
func observeWorld(t *testing.T, base string) world {
	t.Helper()
	w := world{parts: map[string]string{}, outside: map[string]string{}, hidden: map[string]string{}, records: map[string]bool{}}
	s := &store.Store{Root: filepath.Join(base, "store")}
	names, err := s.Names()
	if err != nil {
		w.problems = append(w.problems, err.Error())
	}
	for _, n := range names {
		m, problems, err := s.Check(n)
		for _, p := range append(problems, err) {
			if p != nil {
				w.problems = append(w.problems, fmt.Sprintf("machine %s: %v", n, p))
			}
		}
		if m != nil && len(problems) == 0 {
			w.addMachine(s, m)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(s.Root, ".staging")); len(entries) > 0 {
		w.problems = append(w.problems, fmt.Sprintf(".staging holds %d entries", len(entries)))
	}
	cas, _ := filepath.Glob(filepath.Join(s.Root, "cas", "*", "ca.pem"))
	for _, ca := range cas {
		w.parts["CA "+filepath.Base(filepath.Dir(ca))] = certFingerprint(ca)
	}
	w.observeOutside(filepath.Join(base, "out"))
	return w
}

func (w *world) addMachine(s *store.Store, m *store.Machine) {
	ca, _ := m.CACert()
	srv, _ := m.ServerCert()
	cli, _ := m.ClientCert()
	w.parts["machine "+m.Name+" CA"] = pki.Fingerprint(ca)
	w.parts["machine "+m.Name+" server"] = pki.Fingerprint(srv)
	w.parts["machine "+m.Name+" client"] = pki.Fingerprint(cli)
	w.parts["machine "+m.Name+" addresses"] = strings.Join(append(slices.Clip(m.Spec.IPs), m.Spec.DNSNames...), " ")
	clients, _ := s.Clients(m)
	for _, c := range clients {
		fp := pki.Fingerprint(c.Cert)
		w.parts["machine "+m.Name+" record "+c.User] = fp
		w.records[fp] = true
	}
}

// observeOutside notes the client directories and the files below out.
// A hidden file is the temporary --output of a killed create: the
// user-data of a machine never made, whose CA key went with the staging.
func (w *world) observeOutside(out string) {
	filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(out, path)
		dir := filepath.Dir(rel)
		switch {
		case filepath.Base(path) == store.ClientKeyFile && strings.HasPrefix(dir, "."):
			w.hidden[dir] = certFingerprint(filepath.Join(filepath.Dir(path), store.ClientCertFile))
		case filepath.Base(path) == store.ClientKeyFile:
			w.outside[dir] = certFingerprint(filepath.Join(filepath.Dir(path), store.ClientCertFile))
		case dir == "." && !strings.HasPrefix(rel, "."):
			w.outside[rel] = "a file"
		}
		return nil
	})
}

// shape describes w as changes from old.
func (old world) shape(w world) string {
	var b strings.Builder
	for _, k := range unionKeys(old.parts, w.parts) {
		fmt.Fprintf(&b, "%s: %s\n", k, changeOf(old.parts[k], w.parts[k]))
	}
	for _, k := range unionKeys(old.outside, w.outside) {
		fmt.Fprintf(&b, "out/%s: %s\n", k, changeOf(old.outside[k], w.outside[k]))
	}
	return b.String()
}

func changeOf(was, is string) string {
	switch {
	case was == "" && is != "":
		return "new"
	case was != "" && is == "":
		return "gone"
	case was != is:
		return "changed"
	}
	return "kept"
}

func unionKeys(a, b map[string]string) []string {
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// certFingerprint is the fingerprint of the certificate in path, or why
// there is none.
func certFingerprint(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "unreadable: " + err.Error()
	}
	c, err := pki.ParseCertificate(data)
	if err != nil {
		return "unparsable: " + err.Error()
	}
	return pki.Fingerprint(c)
}

// copyWorld copies the prepared directory tmpl for one run.
func copyWorld(t *testing.T, tmpl string) string {
	t.Helper()
	base := t.TempDir()
	err := filepath.WalkDir(tmpl, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(tmpl, path)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(base, rel), info.Mode().Perm())
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(base, rel), data, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
	return base
}
