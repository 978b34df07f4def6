package boottest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/dockbake/dockbake/generator"
)

// The tests in this file prove, with the real systemd of a booted guest,
// that engine values reach dockerd byte for byte, or are refused by
// `dockbake create` because systemd or Linux would mangle or refuse them.
// In the guest, /usr/sbin/dockerd is a probe that records the argv and the
// environment it was started with, and each case is a unit of its own with
// dockbake's drop-in, so that one guest serves the whole table.

// probeScript is the guest's /usr/sbin/dockerd: it copies its command line
// and environment, NUL-separated as the kernel keeps them, to $ARGV_OUT.
// The kernel starts it as "/bin/sh /usr/sbin/dockerd ARGS...".
const probeScript = `#!/bin/sh
mkdir -p "${ARGV_OUT%/*}"
cat /proc/$$/cmdline >"$ARGV_OUT.argv"
cat /proc/$$/environ >"$ARGV_OUT.env"
`

// flatcarExecStart is the command line of Flatcar's docker.service: its own
// flags, then $DOCKER_OPTS as a word of its own among its other variables,
// which systemd splits at start.
const flatcarExecStart = "/usr/sbin/dockerd --host=fd:// --containerd=/run/docker/libcontainerd/docker-containerd.sock " +
	"$DOCKER_SELINUX $DOCKER_OPTS $DOCKER_CGROUPS $DOCKER_OPT_BIP $DOCKER_OPT_MTU $DOCKER_OPT_IPMASQ"

// Linux's limits, the generator's too: MAX_ARG_STRLEN less the NUL for one
// argument or environment entry, and LONG_LINE_MAX less one for a unit line.
const (
	argLimit  = 32*4096 - 1
	lineLimit = 1<<20 - 1
)

// nastyValues are values a flag parser, a YAML encoder or systemd's three
// unquoting passes could change. Each must arrive exactly.
var nastyValues = []string{
	"  spaces at both ends  ", " ", "\ttabs\tat both ends\t", "\u00a0no-break spaces\u00a0",
	"new\nline and carriage\rreturn", "escape \x1b[0m, DEL \x7f, C1 \u0085", "",
	`"double" "" "`, `'single' '' '`, `back\slash \\ \" \x41 \u0041 \n trailing\`,
	"$HOME ${HOME} $$ $ $1", "%h %% % %n", "; a;b ;", "a,b, c=d",
	"ünïcödé 日本語 🐳 \u2028 \ufdcf\ufdf0\ufffd\U0010fffd",
}

// probeGuest is a booted guest with the probe as its dockerd.
type probeGuest struct {
	ctx   context.Context
	guest *Guest
	store string
}

// bootProbe boots a guest from the base image (systemd, no Docker), puts
// the probe in place and waits until systemd has finished booting.
func bootProbe(t *testing.T) *probeGuest {
	Require(t)
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	ctx := testContext(t)
	mode := bootMode{name: "systemd"}
	g := bootGuest(t, ctx, buildImage(t, ctx, mode), mode, []byte("#cloud-config\n{}\n"))
	if err := os.WriteFile(filepath.Join(g.Root, "usr/sbin/dockerd"), []byte(probeScript), 0o755); err != nil {
		t.Fatal(err)
	}
	state, err := waitBooted(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	version, err := g.Run(ctx, "systemctl", "--version")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("guest %s: %s; booted: %s", g.Name, firstLine(version), state)
	return &probeGuest{ctx: ctx, guest: g, store: t.TempDir()}
}

// waitBooted waits until the guest's systemd answers and has finished
// booting, and returns its state; degraded is fine, the probe units are all
// that matter here.
func waitBooted(ctx context.Context, g *Guest) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	for {
		out, _ := g.Command(ctx, "systemctl", "is-system-running", "--wait").CombinedOutput()
		state := strings.TrimSpace(string(out))
		if state == "running" || state == "degraded" {
			return state, nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("guest %s: systemd did not finish booting: %s", g.Name, state)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// unit is one probe unit: docker.service's stand-in with a drop-in.
type unit struct {
	name      string // probe-NAME.service
	execStart string // the unit's own command line, before the drop-in
	dropIn    []byte // dockbake's 10-machine.conf, or what it would be
}

// install writes the units and has systemd load them.
func (p *probeGuest) install(t *testing.T, units ...unit) {
	t.Helper()
	for _, u := range units {
		dir := filepath.Join(p.guest.Root, "etc/systemd/system")
		body := fmt.Sprintf("[Service]\nType=oneshot\nEnvironment=ARGV_OUT=/run/probe/%s\nExecStart=%s\n", u.name, u.execStart)
		if err := os.WriteFile(filepath.Join(dir, "probe-"+u.name+".service"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, "probe-"+u.name+".service.d"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "probe-"+u.name+".service.d", "10-machine.conf"), u.dropIn, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.guest.Run(p.ctx, "systemctl", "daemon-reload"); err != nil {
		t.Fatal(err)
	}
}

// start starts the unit and returns systemctl's error, if any.
func (p *probeGuest) start(name string) error {
	_, err := p.guest.Run(p.ctx, "systemctl", "start", "probe-"+name+".service")
	return err
}

// started returns the argv (after the probe's own path) and environment the
// unit's probe was started with, failing t if it did not run.
func (p *probeGuest) started(t *testing.T, name string) (argv, env []string) {
	t.Helper()
	if err := p.start(name); err != nil {
		t.Fatalf("%v\n%s", err, p.journal(name))
	}
	read := func(ext string) []string {
		b, err := os.ReadFile(filepath.Join(p.guest.LiveRoot(), "run/probe", name+ext))
		if err != nil {
			t.Fatalf("the probe did not run: %v\n%s", err, p.journal(name))
		}
		return strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
	}
	argv = read(".argv")
	if len(argv) < 2 || argv[1] != "/usr/sbin/dockerd" {
		t.Fatalf("the probe's command line is %q, want /bin/sh /usr/sbin/dockerd ...", argv)
	}
	return argv[2:], read(".env")
}

// journal is the unit's journal, with systemd's complaints about its files.
// journalctl --sync first: the child that failed to exec logged why over
// journald's socket before it exited, and journald may not have stored it
// yet when systemd reports the failure (seen under load); --sync returns
// once every message sent before it is stored.
func (p *probeGuest) journal(name string) string {
	p.guest.Run(p.ctx, "journalctl", "--sync")
	out, _ := p.guest.Run(p.ctx, "journalctl", "-b", "--no-pager", "-o", "cat", "-u", "probe-"+name+".service")
	return out
}

// loadState is systemd's LoadState of the unit.
func (p *probeGuest) loadState(t *testing.T, name string) string {
	out, err := p.guest.Run(p.ctx, "systemctl", "show", "-p", "LoadState", "--value", "probe-"+name+".service")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

// create runs `dockbake create` for a machine on 127.0.0.1 and returns the
// drop-in its output carries.
func (p *probeGuest) create(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	m := createMachine(t, p.store, name, 2376, args...)
	dropIn, err := dropInOf(m.userData)
	if err != nil {
		t.Fatal(err)
	}
	return dropIn
}

// refused runs `dockbake create` that must fail and returns its stderr.
func (p *probeGuest) refused(t *testing.T, name string, args ...string) string {
	t.Helper()
	argv := append([]string{"create", name, "--ip", "127.0.0.1", "-o", filepath.Join(t.TempDir(), "out")}, args...)
	cmd := exec.Command(dockbakeBin, argv...)
	cmd.Env = (&machine{store: p.store, home: t.TempDir()}).env()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil {
		t.Fatalf("dockbake create %s accepted what it must refuse", name)
	}
	return stderr.String()
}

// dropInOf finds docker.service's drop-in in cloud-config or Butane output.
func dropInOf(out []byte) ([]byte, error) {
	var doc struct {
		WriteFiles []struct{ Path, Content string } `yaml:"write_files"`
		Storage    struct {
			Files []struct {
				Path     string
				Contents struct{ Inline string }
			}
		}
	}
	if err := yaml.Unmarshal(out, &doc); err != nil {
		return nil, fmt.Errorf("dockbake's output is not YAML: %w", err)
	}
	for _, f := range doc.WriteFiles {
		if f.Path == dropInPath {
			return []byte(f.Content), nil
		}
	}
	for _, f := range doc.Storage.Files {
		if f.Path == dropInPath {
			return []byte(f.Contents.Inline), nil
		}
	}
	return nil, fmt.Errorf("no %s in dockbake's output:\n%s", dropInPath, out)
}

// engineCase is a set of engine values as flags, with the dockerd flags
// and environment entries they must become, in dockerd's flag order
// (labels, insecure registries, registry mirrors, options).
type engineCase struct {
	flags     []string
	words     []string
	env       []string
	labels    []string
	insecure  []string
	mirrors   []string
	opts      []string
	envValues []string
}

func (c *engineCase) label(v string) { c.labels = append(c.labels, v) }

// build lays the values out as flags, words and environment entries.
func (c *engineCase) build() {
	for _, f := range []struct {
		flag, word string
		vals       []string
	}{{"--engine-label", "--label=", c.labels}, {"--engine-insecure-registry", "--insecure-registry=", c.insecure},
		{"--engine-registry-mirror", "--registry-mirror=", c.mirrors}, {"--engine-opt", "--", c.opts}} {
		for _, v := range f.vals {
			c.flags = append(c.flags, f.flag, v)
			c.words = append(c.words, f.word+v)
		}
	}
	for _, v := range c.envValues {
		c.flags = append(c.flags, "--engine-env", v)
		c.env = append(c.env, v)
	}
}

// nastyCase carries every nasty value in every kind of engine value.
func nastyCase() *engineCase {
	c := &engineCase{}
	for i, v := range nastyValues {
		c.label(fmt.Sprintf("k%d=%s", i, v))
		c.envValues = append(c.envValues, fmt.Sprintf("E%d=%s", i, v))
	}
	c.insecure = []string{" registry.example.com:5000\t"}
	c.mirrors = []string{"https://mirror.example.com/a b/\"q\"/$x/%h/"}
	c.opts = []string{"log-opt=tag= \"{{.Name}}\" $HOME %h \\ ;"}
	return c
}

// checkExact compares what the probe got with what c must become: head,
// then c's words in order, and each of c's environment entries.
func checkExact(t *testing.T, argv, env, head []string, c *engineCase) {
	t.Helper()
	want := slices.Concat(head, c.words)
	if !slices.Equal(argv, want) {
		t.Errorf("dockerd's argv differs:\n got %q\nwant %q", abbrevAll(argv), abbrevAll(want))
	}
	for _, e := range c.env {
		if !slices.Contains(env, e) {
			t.Errorf("dockerd's environment lacks %q exactly; it has %q", abbrevAll([]string{e})[0], abbrevAll(env))
		}
	}
}

// abbrevAll shortens long strings for messages.
func abbrevAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		if len(s) > 200 {
			s = s[:60] + "...(" + strconv.Itoa(len(s)) + " bytes)"
		}
		out[i] = s
	}
	return out
}

// debianHead is dockerd's argv before the engine flags in dockbake's
// drop-in for debian-12 with --install none and port 2376.
func debianHead() []string {
	spec := generator.Spec{Name: "probe", IPs: []string{"127.0.0.1"}, OS: "debian-12", Install: generator.InstallNone, Port: 2376}
	o, _ := generator.LookupOS(spec.OS)
	return generator.DaemonArgs(spec, o)[1:]
}

// flatcarHead is dockerd's argv before the engine flags on Flatcar: the
// unit's own flags, then dockbake's TLS flags and --live-restore (for
// after-boot delivery) from $DOCKER_OPTS.
func flatcarHead() []string {
	return []string{"--host=fd://", "--containerd=/run/docker/libcontainerd/docker-containerd.sock",
		"--tlsverify", "--tlscacert=" + generator.HostCACert, "--tlscert=" + generator.HostServerCert, "--tlskey=" + generator.HostServerKey,
		"--live-restore"}
}

// TestEngineValuesExact boots one guest and proves every case of the table
// against its systemd: the values dockbake accepts arrive exactly, and the
// ones it refuses are ones systemd or Linux would mangle or refuse.
func TestEngineValuesExact(t *testing.T) {
	t.Parallel()
	p := bootProbe(t)
	t.Run("ExecStart= of the drop-in", p.checkExecStart)
	t.Run("Flatcar's DOCKER_OPTS", p.checkFlatcar)
	t.Run("a drop-in line at systemd's limit", p.checkLongLine)
	t.Run("refused", p.checkRefused)
}

// checkExecStart: every nasty value in every kind of engine value, plus an
// argument of exactly the most Linux passes, through debian-12's drop-in.
func (p *probeGuest) checkExecStart(t *testing.T) {
	c := nastyCase()
	c.label("long=" + strings.Repeat("x", argLimit-len("--label=long=")))
	c.build()
	dropIn := p.create(t, "exact-debian", append([]string{"--os", "debian-12", "--install", "none"}, c.flags...)...)
	p.install(t, unit{name: "debian", execStart: "/bin/false", dropIn: dropIn})
	argv, env := p.started(t, "debian")
	checkExact(t, argv, env, debianHead(), c)
	i := slices.IndexFunc(argv, func(a string) bool { return strings.HasPrefix(a, "--label=long=") })
	if i < 0 || len(argv[i]) != argLimit {
		t.Errorf("the long argument (at %d) does not have %d bytes", i, argLimit)
	}
}

// checkFlatcar: the same values through Flatcar's two passes, the
// drop-in's Environment=DOCKER_OPTS and the split of $DOCKER_OPTS.
func (p *probeGuest) checkFlatcar(t *testing.T) {
	c := nastyCase()
	c.label("long=" + strings.Repeat("y", 100000))
	c.build()
	dropIn := p.create(t, "exact-flatcar", append([]string{"--os", "flatcar", "--format", "butane"}, c.flags...)...)
	p.install(t, unit{name: "flatcar", execStart: flatcarExecStart, dropIn: dropIn})
	argv, env := p.started(t, "flatcar")
	checkExact(t, argv, env, flatcarHead(), c)
}

// checkLongLine: labels that make the drop-in's ExecStart= line exactly as
// long as systemd reads.
func (p *probeGuest) checkLongLine(t *testing.T) {
	c := longLineCase(0)
	dropIn := p.create(t, "exact-long-line", append([]string{"--os", "debian-12", "--install", "none"}, c.flags...)...)
	if n := longestLine(dropIn); n != lineLimit {
		t.Fatalf("the drop-in's longest line has %d bytes, want %d", n, lineLimit)
	}
	p.install(t, unit{name: "long-line", execStart: "/bin/false", dropIn: dropIn})
	argv, env := p.started(t, "long-line")
	checkExact(t, argv, env, debianHead(), c)
}

// longLineCase has labels that make debian-12's ExecStart= line extra bytes
// longer than systemd reads.
func longLineCase(extra int) *engineCase {
	labels := func(last int) []string {
		var ls []string
		for i := range 8 {
			ls = append(ls, fmt.Sprintf("k%d=%s", i, strings.Repeat("x", 128000)))
		}
		return append(ls, "last="+strings.Repeat("z", last))
	}
	spec := generator.Spec{Name: "probe", IPs: []string{"127.0.0.1"}, OS: "debian-12", Install: generator.InstallNone, Port: 2376}
	o, _ := generator.LookupOS(spec.OS)
	spec.Engine.Labels = labels(0)
	base := len("ExecStart=" + generator.ExecLine(generator.DaemonArgs(spec, o)))
	c := &engineCase{labels: labels(lineLimit - base + extra)}
	c.build()
	return c
}

func longestLine(b []byte) int {
	n := 0
	for _, line := range bytes.Split(b, []byte("\n")) {
		n = max(n, len(line))
	}
	return n
}
