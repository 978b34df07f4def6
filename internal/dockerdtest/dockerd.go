// Package dockerdtest runs a real dockerd on loopback for end-to-end tests,
// configured only by what dockbake rendered: the files of its user-data in
// a scratch root and the drop-in's ExecStart line, with the TCP listener
// moved to 127.0.0.1. It is what the Terraform provider's end-to-end tests
// start; cmd/dockbake's tests keep their own copy of the same steps.
package dockerdtest

import (
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/internal/testenv"
)

// Daemon is a real dockerd on loopback, sandboxed so that it does not touch
// the host's Docker: its own data and exec roots, no iptables, no bridge.
type Daemon struct {
	// Addr is its TCP listener, 127.0.0.1:PORT.
	Addr string
	t    *testing.T
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

// FreePort is a TCP port on 127.0.0.1 below 32768 (tests keep out of the
// ephemeral range) that nothing listens on now.
func FreePort(t *testing.T) int {
	t.Helper()
	for i := 0; i < 200; i++ {
		port := 20000 + rand.IntN(12768)
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err == nil {
			l.Close()
			return port
		}
	}
	t.Fatal("no free port on 127.0.0.1 between 20000 and 32767")
	return 0
}

type writtenFile struct {
	Path        string `yaml:"path"`
	Permissions string `yaml:"permissions"`
	Content     string `yaml:"content"`
}

// FromUserData starts dockerd exactly as the rendered drop-in of
// cloud-config user-data ud would, with the files it writes remapped into
// a scratch root. It needs root and dockerd (skip, or fail in CI).
func FromUserData(t *testing.T, ud []byte) *Daemon {
	t.Helper()
	testenv.Root(t, "dockerd runs as root")
	var cc struct {
		WriteFiles []writtenFile `yaml:"write_files"`
	}
	if err := yaml.Unmarshal(ud, &cc); err != nil {
		t.Fatalf("user-data is not YAML: %v", err)
	}
	// Short: unix socket paths are limited to 108 bytes.
	root, err := os.MkdirTemp("", "dbd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	var dropIn string
	for _, f := range cc.WriteFiles {
		mode, err := strconv.ParseUint(f.Permissions, 8, 32)
		if err != nil {
			t.Fatalf("%s: permissions %q: %v", f.Path, f.Permissions, err)
		}
		p := filepath.Join(root, f.Path)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(f.Content), os.FileMode(mode)); err != nil {
			t.Fatal(err)
		}
		if f.Path == generator.HostDropIn {
			dropIn = f.Content
		}
	}
	return Start(t, remap(t, root, execStart(t, dropIn))...)
}

// remap moves the drop-in's paths into root and its TCP listener onto
// loopback.
func remap(t *testing.T, root string, argv []string) []string {
	t.Helper()
	tcp := false
	for i, a := range argv {
		a = strings.Replace(a, "unix:///var/run/", "unix://"+root+"/", 1)
		if rest, ok := strings.CutPrefix(a, "tcp://0.0.0.0:"); ok {
			a, tcp = "tcp://127.0.0.1:"+rest, true
		}
		argv[i] = strings.Replace(a, "=/etc/docker/", "="+root+"/etc/docker/", 1)
	}
	if !tcp {
		t.Fatalf("drop-in has no TCP listener: %v", argv)
	}
	return argv[1:]
}

// execStart returns the argv of the drop-in's last ExecStart= line, which
// must need no quoting.
func execStart(t *testing.T, dropIn string) []string {
	t.Helper()
	var last string
	for _, line := range strings.Split(dropIn, "\n") {
		if v, ok := strings.CutPrefix(line, "ExecStart="); ok && v != "" {
			last = v
		}
	}
	if last == "" || strings.ContainsAny(last, `"'\$%`) {
		t.Fatalf("no plain ExecStart= line in drop-in:\n%s", dropIn)
	}
	return strings.Fields(last)
}
