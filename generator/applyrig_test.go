package generator

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dockbake/dockbake/internal/testenv"
	"github.com/dockbake/dockbake/pki"
)

// applyRig: the apply script runs here for real, against real openssl, in a scratch
// layout. systemd does not run here: a stand-in systemctl logs each call,
// and its "restart docker.service" serves the live files with
// `openssl s_server` the way dockerd would, failing when the server does
// not come up. The boot test runs the same script under systemd against
// dockerd.
const standInSystemctl = `#!/bin/sh
echo "systemctl $*" >>"$RIG/systemctl.log"
[ "$*" = "restart docker.service" ] || exit 0
[ ! -f "$RIG/server.pid" ] || kill "$(cat "$RIG/server.pid")" 2>/dev/null
sleep 0.3
openssl s_server -quiet -accept "$PORT" -cert "$LIVE/server.pem" -key "$LIVE/server-key.pem" \
	-CAfile "$LIVE/ca.pem" -Verify 1 </dev/null >>"$RIG/server.log" 2>&1 &
echo $! >"$RIG/server.pid"
sleep 0.7
kill -0 $!
`

// applyRig is a scratch host: live TLS files of a machine CA, the apply
// script for them, and the stand-ins.
type applyRig struct {
	dir, live, script string
	layout            applyLayout
	ca                *pki.Pair
	port              int
	env               []string
}

func newApplyRig(t *testing.T) *applyRig {
	t.Helper()
	testenv.LookPath(t, "openssl", "apt-get install openssl")
	r := &applyRig{dir: t.TempDir(), port: freeLoopbackPort(t)}
	r.live = filepath.Join(r.dir, "etc-docker")
	state := filepath.Join(r.dir, "state")
	r.layout = applyLayout{
		state: state, incoming: filepath.Join(state, "spool", SpoolIncoming), status: filepath.Join(state, "spool", SpoolStatus),
		previous: filepath.Join(state, "previous"), attempt: filepath.Join(state, "attempt"),
		caCert: filepath.Join(r.live, "ca.pem"), serverCert: filepath.Join(r.live, "server.pem"), serverKey: filepath.Join(r.live, "server-key.pem"),
		waitWhole: 1, waitServe: 3,
	}
	var err error
	if r.ca, err = pki.NewCA("rig CA", pki.Options{}); err != nil {
		t.Fatal(err)
	}
	d := r.delivery(t, "initial")
	for _, f := range d.files() {
		writeTestFile(t, filepath.Join(r.live, f.name), f.content, os.FileMode(f.mode))
	}
	script, err := renderApplyScript(r.layout, "rig", r.port, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.script = filepath.Join(r.dir, "apply")
	writeTestFile(t, r.script, script, 0o700)
	stubs := filepath.Join(r.dir, "stubs")
	writeTestFile(t, filepath.Join(stubs, "systemctl"), []byte(standInSystemctl), 0o755)
	writeTestFile(t, filepath.Join(stubs, "journalctl"), []byte("#!/bin/sh\nexit 0\n"), 0o755)
	r.env = append(os.Environ(), "PATH="+stubs+":"+os.Getenv("PATH"), "RIG="+r.dir, "LIVE="+r.live, "PORT="+strconv.Itoa(r.port))
	t.Cleanup(func() {
		if pid, err := os.ReadFile(filepath.Join(r.dir, "server.pid")); err == nil {
			exec.Command("kill", strings.TrimSpace(string(pid))).Run()
		}
	})
	return r
}

// delivery is a fresh server certificate of the rig's CA for 127.0.0.1.
func (r *applyRig) delivery(t *testing.T, id string) Delivery {
	t.Helper()
	srv, err := r.ca.IssueServer("rig "+id, pki.SANs{IPs: []net.IP{net.IPv4(127, 0, 0, 1)}}, pki.Options{})
	if err != nil {
		t.Fatal(err)
	}
	key, err := srv.KeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	return Delivery{ID: id, CACert: r.ca.CertPEM(), ServerCert: srv.CertPEM(), ServerKey: key}
}

// put extracts the delivery's archive into the spool as dockerd does for
// PUT /containers/{id}/archive: missing parents 0755, each file with its
// header's mode; edit, when set, changes the files before the script runs.
func (r *applyRig) put(t *testing.T, d Delivery, edit func(dir string)) {
	t.Helper()
	archive, err := d.Archive()
	if err != nil {
		t.Fatal(err)
	}
	spool := filepath.Dir(r.layout.incoming)
	tr := tar.NewReader(bytes.NewReader(archive))
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		content, _ := io.ReadAll(tr)
		writeTestFile(t, filepath.Join(spool, hdr.Name), content, os.FileMode(hdr.Mode))
	}
	if edit != nil {
		edit(filepath.Join(r.layout.incoming, d.ID))
	}
}

// run runs the apply script as its service would, and reads back the
// outcome of delivery id.
func (r *applyRig) run(t *testing.T, id string) Status {
	t.Helper()
	cmd := exec.Command("sh", r.script)
	cmd.Env = r.env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the apply script exited with %v (it must always exit 0):\n%s", err, out)
	}
	if entries, _ := os.ReadDir(r.layout.incoming); len(entries) > 0 {
		t.Errorf("the script left %d entries in incoming/: the path unit would start it again and again", len(entries))
	}
	data, err := os.ReadFile(filepath.Join(r.layout.status, id))
	if err != nil {
		t.Fatalf("no outcome for %s: %v", id, err)
	}
	s, err := ParseStatus(data)
	if err != nil {
		t.Fatalf("%v:\n%s", err, data)
	}
	return s
}

// restarts counts the stand-in's dockerd restarts so far.
func (r *applyRig) restarts(t *testing.T) int {
	t.Helper()
	log, _ := os.ReadFile(filepath.Join(r.dir, "systemctl.log"))
	return strings.Count(string(log), "systemctl restart docker.service\n")
}

func writeTestFile(t *testing.T, path string, content []byte, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, content, mode); err != nil {
		t.Fatal(err)
	}
}

func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	return testenv.FreePort(t, "127.0.0.1")
}

// openssl runs openssl in dir and fails t on error.
func openssl(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("openssl", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// command runs the stand-in name with the rig's environment.
func (r *applyRig) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(r.dir, "stubs", name), args...)
	cmd.Env = r.env
	return cmd
}

// readDir describes the TLS files in dir: names, modes and contents.
func readDir(t *testing.T, dir string) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, name := range []string{"ca.pem", "server.pem", "server-key.pem"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(name + " " + fi.Mode().String() + "\n")
		b.Write(mustRead(t, filepath.Join(dir, name)))
	}
	return b.Bytes()
}

// rehash writes dir's manifest anew for the files as they are now.
func rehash(t *testing.T, dir string) {
	t.Helper()
	d := Delivery{CACert: mustRead(t, filepath.Join(dir, "ca.pem")), ServerCert: mustRead(t, filepath.Join(dir, "server.pem")),
		ServerKey: mustRead(t, filepath.Join(dir, "server-key.pem"))}
	writeTestFile(t, filepath.Join(dir, ManifestName), d.Manifest(), 0o600)
}

func replaceIn(t *testing.T, path, old, new string) {
	t.Helper()
	data := mustRead(t, path)
	if !bytes.Contains(data, []byte(old)) {
		t.Fatalf("%s has no %q", path, old)
	}
	writeTestFile(t, path, bytes.Replace(data, []byte(old), []byte(new), 1), 0o600)
}

func appendTo(t *testing.T, path, s string) {
	t.Helper()
	writeTestFile(t, path, append(mustRead(t, path), s...), 0o600)
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func mustKeyPEM(t *testing.T, p *pki.Pair) []byte {
	t.Helper()
	key, err := p.KeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	return key
}
