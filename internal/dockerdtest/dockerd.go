// Package dockerdtest runs a real dockerd on loopback for end-to-end tests,
// configured only by what dockbake rendered: the files of its user-data in
// a scratch root and the drop-in's ExecStart line, with the TCP listener
// moved to 127.0.0.1. Host plays the host's part of the apply mechanism
// for it. The CLI's, the engine's and the Terraform provider's end-to-end
// tests all start their dockerd here.
package dockerdtest

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/internal/testenv"
)

// WrittenFile is one entry of cloud-config's write_files.
type WrittenFile struct {
	Path        string `yaml:"path"`
	Permissions string `yaml:"permissions"`
	Content     string `yaml:"content"`
}

// UserDataFiles returns the write_files of cloud-config user-data ud by
// path.
func UserDataFiles(t *testing.T, ud []byte) map[string]WrittenFile {
	t.Helper()
	var cc struct {
		WriteFiles []WrittenFile `yaml:"write_files"`
	}
	if err := yaml.Unmarshal(ud, &cc); err != nil {
		t.Fatalf("user-data is not YAML: %v", err)
	}
	files := map[string]WrittenFile{}
	for _, f := range cc.WriteFiles {
		files[f.Path] = f
	}
	return files
}

// FromUserData starts dockerd exactly as the rendered drop-in of
// cloud-config user-data ud would, with the files it writes remapped into
// a scratch root. It needs root and dockerd (skip, or fail in CI).
func FromUserData(t *testing.T, ud []byte) *Daemon {
	t.Helper()
	testenv.Root(t, "dockerd runs as root")
	// Short: unix socket paths are limited to 108 bytes.
	root, err := os.MkdirTemp("", "dbd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	files := UserDataFiles(t, ud)
	for _, f := range files {
		mode, err := strconv.ParseUint(f.Permissions, 8, 32)
		if err != nil {
			t.Fatalf("%s: permissions %q: %v", f.Path, f.Permissions, err)
		}
		p := filepath.Join(root, f.Path)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(f.Content), os.FileMode(mode)); err != nil {
			t.Fatal(err)
		}
	}
	flags := remap(t, root, execStart(t, files[generator.HostDropIn].Content))
	t.Logf("dockerd %s", strings.Join(flags, " "))
	return Start(t, flags...)
}

// remap moves the drop-in's paths into root and its TCP listener onto
// loopback, and returns its flags.
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

// execStart returns the argv of the drop-in's last ExecStart= line. The
// line is split on spaces, so it asserts that the line needed no quoting.
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
