package store

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dockbake/dockbake/pki"
)

// TestFaultAtEveryStep runs each command that writes the store once to
// count its steps (every call of its Disk that changes the disk), then
// again for every step k: once crashing at k (k and everything after it
// never happen, a write at k is torn) and once failing at k (k returns an
// I/O error, the command goes on). After each, a fresh Store on the same
// directory recovers and must find every machine whole (Check finds no
// damage), each machine, shared CA and client record either as before
// the command or as after a clean run, never a mix, nothing left in
// .staging and no key outside the store that the store does not record.
// A failed command must leave everything as before; a command that
// returns no error must have done all of it.
func TestFaultAtEveryStep(t *testing.T) {
	total := 0
	for _, sc := range faultScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			tmpl := t.TempDir()
			s, err := Open(filepath.Join(tmpl, "store"))
			if err != nil {
				t.Fatal(err)
			}
			if err := sc.setup(s, filepath.Join(tmpl, "out")); err != nil {
				t.Fatal(err)
			}
			old := mustObserve(t, tmpl)
			clean := newFaultDisk(0, false)
			after := runIn(t, tmpl, clean, sc)
			if after.err != nil {
				t.Fatalf("clean run: %v", after.err)
			}
			states := allowedStates(old, after.world, sc.halfway)
			if states["old"] == states["new"] {
				t.Fatalf("the command changes nothing the test can see: %s", states["new"])
			}
			stride := 1
			if testing.Short() {
				stride = 7 // a sample; the full run tries every step
			}
			for k := 1; k <= clean.steps; k += stride {
				for _, crash := range []bool{true, false} {
					d := newFaultDisk(k, crash)
					got := runIn(t, tmpl, d, sc)
					checkOutcome(t, sc.name, d, old, got, states)
				}
			}
			total += clean.steps
			t.Logf("%d steps, each crashed and failed", clean.steps)
		})
	}
	t.Logf("%d faults in all", 2*total)
}

// faultScenario is a command that writes the store, on a store setup
// prepares.
type faultScenario struct {
	name  string
	setup func(s *Store, out string) error
	run   func(s *Store, out string) error
	// halfway: the command writes a directory outside the store after its
	// commit, so a crash between leaves the store's record new and the
	// directory as it was.
	halfway bool
}

func faultScenarios() []faultScenario {
	create := func(names ...string) func(*Store, string) error {
		return func(s *Store, _ string) error {
			for _, n := range names {
				name, ca, _ := strings.Cut(n, "@")
				r := req(name)
				r.CA = ca
				if _, err := s.Create(r); err != nil {
					return err
				}
			}
			return nil
		}
	}
	withAlice := func(names ...string) func(*Store, string) error {
		return func(s *Store, out string) error {
			if err := create(names...)(s, out); err != nil {
				return err
			}
			_, err := s.AddClient(ClientRequest{Machine: "web1", User: "alice", Dir: filepath.Join(out, "alice")})
			return err
		}
	}
	rotate := func(r RotateRequest) func(*Store, string) error {
		return func(s *Store, _ string) error { _, err := s.Rotate(r); return err }
	}
	moved := spec("web1")
	moved.IPs = []string{"198.51.100.7"}
	return []faultScenario{
		{name: "create", setup: create("keep"), run: create("web1")},
		{name: "create --attach-only", setup: create("keep"), run: func(s *Store, _ string) error {
			r := req("web1")
			r.Spec.IPs, r.Spec.DNSNames, r.AttachOnly = nil, nil, true
			_, err := s.Create(r)
			return err
		}},
		{name: "create on a new shared CA", setup: create("keep"), run: create("web1@fleet")},
		{name: "create on a shared CA", setup: create("f1@fleet"), run: create("web1@fleet")},
		{name: "create --force", setup: withAlice("web1", "keep"), run: func(s *Store, _ string) error {
			r := req("web1")
			r.Force = true
			_, err := s.Create(r)
			return err
		}},
		{name: "regenerate-certs", setup: create("web1"), run: rotate(RotateRequest{Name: "web1", Spec: &moved})},
		{name: "regenerate-certs --client", setup: create("web1"), run: rotate(RotateRequest{Name: "web1", Client: true})},
		{name: "regenerate-certs --ca", setup: withAlice("web1"), run: rotate(RotateRequest{Name: "web1", CA: true})},
		{name: "regenerate-certs --ca off a shared CA", setup: create("web1@fleet", "f2@fleet"), run: rotate(RotateRequest{Name: "web1", CA: true})},
		{name: "regenerate-certs --ca --apply (start)", setup: withAlice("web1"), run: rotate(RotateRequest{Name: "web1", StartCA: true})},
		{name: "regenerate-certs --ca --finish", setup: func(s *Store, out string) error {
			if err := withAlice("web1@fleet", "f2@fleet")(s, out); err != nil {
				return err
			}
			return rotate(RotateRequest{Name: "web1", StartCA: true})(s, out)
		}, run: rotate(RotateRequest{Name: "web1", FinishCA: true})},
		{name: "rm", setup: withAlice("web1", "keep"), run: func(s *Store, _ string) error { return s.Remove("web1") }},
		{name: "rm on a shared CA", setup: create("web1@fleet", "f2@fleet"), run: func(s *Store, _ string) error { return s.Remove("web1") }},
		{name: "client add", setup: create("web1"), halfway: true, run: func(s *Store, out string) error {
			_, err := s.AddClient(ClientRequest{Machine: "web1", User: "bob", Dir: filepath.Join(out, "bob")})
			return err
		}},
		{name: "client add --force", setup: withAlice("web1"), halfway: true, run: func(s *Store, out string) error {
			_, err := s.AddClient(ClientRequest{Machine: "web1", User: "alice", Dir: filepath.Join(out, "alice"), Force: true})
			return err
		}},
		{name: "import", setup: create("keep"), run: importer("web1", false)},
		{name: "import onto its CA", setup: importer("web1", false), run: importer("web2", false)},
		{name: "import --force", setup: importer("web1", false), run: importer("web1", true)},
		{name: "import of two in one batch", setup: create("keep"), run: importBatch("web1", "web2")},
	}
}

// importBatch imports machines names in one ImportBatch.
func importBatch(names ...string) func(*Store, string) error {
	return func(s *Store, _ string) error {
		b, err := s.BeginImport()
		if err != nil {
			return err
		}
		defer b.Discard()
		for _, n := range names {
			if err := b.Add(importRequest(n, false)); err != nil {
				return err
			}
		}
		_, err = b.Commit()
		return err
	}
}

// importer imports machine name, signed by one CA for the whole test run,
// as the shared CA "docker-machine".
func importer(name string, force bool) func(*Store, string) error {
	return func(s *Store, _ string) error {
		_, err := s.Import(importRequest(name, force))
		return err
	}
}

// importRequest is the import of machine name with new certificates from
// importCA.
func importRequest(name string, force bool) ImportRequest {
	o := pki.Options{KeyType: pki.ECDSAP256}
	srv, err := importCA.IssueServer(name, importSpec(name).SANs(), o)
	if err != nil {
		panic(err)
	}
	cli, err := importCA.IssueClient("client", o)
	if err != nil {
		panic(err)
	}
	return ImportRequest{Spec: importSpec(name), CA: "docker-machine", CAPair: importCA, Server: srv, Client: cli, Force: force}
}

var importCA = func() *pki.Pair {
	ca, err := pki.NewCA("imported", pki.Options{KeyType: pki.ECDSAP256})
	if err != nil {
		panic(err)
	}
	return ca
}()

// storeIn is the store in base/store on disk d.
func storeIn(base string, d Disk) *Store {
	return &Store{Root: filepath.Join(base, "store"), Disk: d}
}

// outcome is what a run of a command left: its error, and the world as a
// fresh Store finds it.
type outcome struct {
	err      error
	world    world
	problems []string
}

// runIn runs the scenario's command on a fresh copy of tmpl through d.
func runIn(t *testing.T, tmpl string, d *faultDisk, sc faultScenario) outcome {
	t.Helper()
	base := t.TempDir()
	if err := copyTree(tmpl, base); err != nil {
		t.Fatal(err)
	}
	err := sc.run(storeIn(base, d), filepath.Join(base, "out"))
	w, problems := observe(base)
	return outcome{err: err, world: w, problems: problems}
}

// checkOutcome holds one faulty run to the invariants.
func checkOutcome(t *testing.T, name string, d *faultDisk, old world, got outcome, states map[string]string) {
	t.Helper()
	shape := shapeOf(old, got.world)
	mode := "failing"
	if d.crash {
		mode = "crashing"
	}
	where := fmt.Sprintf("%s, %s at step %d (%s)", name, mode, d.at, d.log[d.at-1])
	for _, p := range got.problems {
		t.Errorf("%s: %s", where, p)
	}
	for dir, fp := range got.world.hidden {
		if !recorded(got.world, fp) && !slices.Contains(mapValues(old.outside), fp) {
			t.Errorf("%s: %s holds a key that the store does not record", where, dir)
		}
	}
	state := ""
	for k, v := range states {
		if v == shape {
			state = k
		}
	}
	var unfinished *UnfinishedError
	switch {
	case state == "":
		t.Errorf("%s: a mix of old and new:\n%s\nold:\n%s\nnew:\n%s", where, shape, states["old"], states["new"])
	case d.crash:
	case got.err == nil && state != "new":
		t.Errorf("%s: no error, but the store is %s", where, state)
	case errors.As(got.err, &unfinished) && state != "new":
		t.Errorf("%s: unfinished (%v), but recovery left it %s", where, got.err, state)
	case got.err != nil && !errors.As(got.err, &unfinished) && state != "old":
		t.Errorf("%s: failed (%v), but the store is %s", where, got.err, state)
	}
}

// allowedStates are the shapes a run may leave: as before, as after a
// clean run and, for a command that writes outside the store after its
// commit, the store new and the outside old.
func allowedStates(old, after world, halfway bool) map[string]string {
	states := map[string]string{"old": shapeOf(old, old), "new": shapeOf(old, after)}
	if halfway {
		mid := after
		mid.outside = old.outside
		states["halfway"] = shapeOf(old, mid)
	}
	return states
}

// world is what a fault test compares: every machine by the fingerprints
// of its parts, the shared CAs, the client directories outside the store.
type world struct {
	machines map[string]machineParts
	cas      map[string]string
	outside  map[string]string // directory below out/ → its cert.pem
	// hidden are the hidden directories below out/ with a key, left by a
	// crash: each must be a certificate the store records, or the one
	// the directory held before the command.
	hidden map[string]string
}

type machineParts struct {
	ca, server, client, spec string
	clients                  map[string]string
}

func mustObserve(t *testing.T, base string) world {
	t.Helper()
	w, problems := observe(base)
	if len(problems) > 0 {
		t.Fatalf("the prepared store: %v", problems)
	}
	return w
}

// observe reads the world in base as the next command would: a fresh Store
// recovers first. It lists every problem it finds.
func observe(base string) (world, []string) {
	s := storeIn(base, nil)
	w := world{machines: map[string]machineParts{}, cas: map[string]string{}, outside: map[string]string{}, hidden: map[string]string{}}
	var problems []string
	names, err := s.Names()
	if err != nil {
		return w, []string{"listing: " + err.Error()}
	}
	for _, n := range names {
		m, ps, err := s.Check(n)
		for _, p := range append(ps, err) {
			if p != nil {
				problems = append(problems, fmt.Sprintf("machine %s: %v", n, p))
			}
		}
		if m != nil && len(ps) == 0 && err == nil {
			w.machines[n] = partsOf(s, m)
		}
	}
	problems = append(problems, observeCAs(s, &w)...)
	problems = append(problems, strayFiles(s.Root)...)
	problems = append(problems, observeOutside(filepath.Join(base, "out"), &w)...)
	return w, problems
}

func partsOf(s *Store, m *Machine) machineParts {
	ca, _ := m.CACert()
	srv, _ := m.ServerCert()
	cli, _ := m.ClientCert()
	sp, _ := json.Marshal(m.Spec)
	p := machineParts{ca: pki.Fingerprint(ca), server: pki.Fingerprint(srv), client: pki.Fingerprint(cli), spec: string(sp), clients: map[string]string{}}
	clients, _ := s.Clients(m)
	for _, c := range clients {
		p.clients[c.User] = pki.Fingerprint(c.Cert)
	}
	return p
}

func observeCAs(s *Store, w *world) []string {
	entries, _ := os.ReadDir(filepath.Join(s.Root, "cas"))
	var problems []string
	for _, e := range entries {
		c, err := readCertFile(filepath.Join(s.Root, "cas", e.Name(), caCertFile))
		if err != nil {
			problems = append(problems, fmt.Sprintf("CA %s: %v", e.Name(), err))
			continue
		}
		w.cas[e.Name()] = pki.Fingerprint(c)
	}
	return problems
}

// strayFiles lists what lies in the store outside its places: anything
// in .staging, any key but where keys belong.
func strayFiles(root string) []string {
	var problems []string
	if entries, _ := os.ReadDir(filepath.Join(root, stagingName)); len(entries) > 0 {
		problems = append(problems, fmt.Sprintf(".staging still holds %d entries", len(entries)))
	}
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.Contains(filepath.Base(path), "key") {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		ok := len(parts) == 3 && (parts[0] == "hosts" && (parts[2] == serverKeyFile || parts[2] == caKeyFile || parts[2] == nextCAKeyFile) ||
			parts[0] == "machines" && parts[2] == ClientKeyFile || parts[0] == "cas" && parts[2] == caKeyFile)
		if !ok {
			problems = append(problems, "a key out of place: "+rel)
		}
		return nil
	})
	return problems
}

// observeOutside records the client directories below out, and the
// hidden ones a crash left. A key without its certificate is a problem.
func observeOutside(out string, w *world) []string {
	var problems []string
	filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Base(path) != ClientKeyFile {
			return nil
		}
		dir := filepath.Dir(path)
		c, err := readCertFile(filepath.Join(dir, ClientCertFile))
		rel, _ := filepath.Rel(out, dir)
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("%s: a key without its certificate: %v", rel, err))
		case strings.HasPrefix(rel, "."):
			w.hidden[rel] = pki.Fingerprint(c)
		default:
			w.outside[rel] = pki.Fingerprint(c)
		}
		return nil
	})
	return problems
}

// recorded reports whether fp is a client certificate the store records.
func recorded(w world, fp string) bool {
	for _, m := range w.machines {
		if slices.Contains(mapValues(m.clients), fp) {
			return true
		}
	}
	return false
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func readCertFile(path string) (*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return pki.ParseCertificate(data)
}

// shapeOf describes w as changes from old: which machines, parts, CAs,
// client records and directories are new, the same, changed or gone.
func shapeOf(old, w world) string {
	var b strings.Builder
	for _, n := range union(old.machines, w.machines) {
		o, had := old.machines[n]
		m, has := w.machines[n]
		fmt.Fprintf(&b, "machine %s: %s", n, change(had, has, false))
		if had && has {
			fmt.Fprintf(&b, " ca %s, server %s, client %s, spec %s", same(o.ca, m.ca), same(o.server, m.server), same(o.client, m.client), same(o.spec, m.spec))
			for _, u := range union(o.clients, m.clients) {
				fmt.Fprintf(&b, ", record %s %s", u, change(o.clients[u] != "", m.clients[u] != "", o.clients[u] != m.clients[u]))
			}
		}
		b.WriteString("\n")
	}
	for _, n := range union(old.cas, w.cas) {
		fmt.Fprintf(&b, "CA %s: %s\n", n, change(old.cas[n] != "", w.cas[n] != "", old.cas[n] != w.cas[n]))
	}
	for _, n := range union(old.outside, w.outside) {
		fmt.Fprintf(&b, "directory %s: %s\n", n, change(old.outside[n] != "", w.outside[n] != "", old.outside[n] != w.outside[n]))
	}
	return b.String()
}

func change(had, has, differs bool) string {
	switch {
	case !had && has:
		return "new"
	case had && !has:
		return "gone"
	case !had:
		return "absent"
	case differs:
		return "changed"
	}
	return "kept"
}

func same(a, b string) string { return change(true, true, a != b) }

func union[V any](a, b map[string]V) []string {
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

// TestCrashWhileRecovering crashes a command after its commit, at every
// step that leaves a journal, then crashes the recovery of what it left
// at every step of that, and recovers again: the machines must come out
// as after the command, whole. Rolling forward can be cut short any number
// of times.
func TestCrashWhileRecovering(t *testing.T) {
	for _, sc := range faultScenarios() {
		if !slices.Contains([]string{"create --force", "regenerate-certs --ca", "rm", "import of two in one batch"}, sc.name) {
			continue
		}
		t.Run(sc.name, func(t *testing.T) {
			tmpl := t.TempDir()
			s, err := Open(filepath.Join(tmpl, "store"))
			if err != nil {
				t.Fatal(err)
			}
			if err := sc.setup(s, filepath.Join(tmpl, "out")); err != nil {
				t.Fatal(err)
			}
			old := mustObserve(t, tmpl)
			clean := newFaultDisk(0, false)
			after := runIn(t, tmpl, clean, sc)
			newShape := shapeOf(old, after.world)
			tried := 0
			for k := 1; k <= clean.steps; k++ {
				crashed := t.TempDir()
				copyTreeT(t, tmpl, crashed)
				sc.run(storeIn(crashed, newFaultDisk(k, true)), filepath.Join(crashed, "out"))
				if journals, _ := filepath.Glob(filepath.Join(crashed, "store", stagingName, "*", journalFile)); len(journals) == 0 {
					continue
				}
				tried += recoverWithCrashes(t, crashed, old, newShape)
			}
			if tried == 0 {
				t.Fatal("no crash left a journal to recover")
			}
			t.Logf("%d crashes while recovering", tried)
		})
	}
}

// recoverWithCrashes crashes the recovery of the store in crashed at each
// of its steps, recovers again, and wants newShape. It returns the number
// of crashes.
func recoverWithCrashes(t *testing.T, crashed string, old world, newShape string) int {
	t.Helper()
	count := newFaultDisk(0, false)
	probe := t.TempDir()
	copyTreeT(t, crashed, probe)
	if _, err := storeIn(probe, count).Names(); err != nil {
		t.Fatalf("recovering: %v", err)
	}
	for j := 1; j <= count.steps; j++ {
		base := t.TempDir()
		copyTreeT(t, crashed, base)
		storeIn(base, newFaultDisk(j, true)).Names()
		w, problems := observe(base)
		for _, p := range problems {
			t.Errorf("recovery crashed at step %d (%s): %s", j, count.log[j-1], p)
		}
		if got := shapeOf(old, w); got != newShape {
			t.Errorf("recovery crashed at step %d (%s), then recovered: %s\nwant:\n%s", j, count.log[j-1], got, newShape)
		}
	}
	return count.steps
}
