package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dockbake/dockbake/internal/testenv"
)

// Versions scripts/build-packer.sh builds by default.
const (
	packerVersion       = "v1.12.0"
	amazonPluginVersion = "v1.3.4"
)

const buildHint = "run packer-plugin/scripts/build-packer.sh (make e2e-packer does), or set %s to a binary"

// packer is a packer binary with a private config, cache and plugin
// directory, and dockbake's plugin installed.
type packer struct {
	bin string
	env []string
	dir string
}

// newPacker finds packer, builds the plugin and installs it with
// `packer plugins install --path`, which needs no network.
func newPacker(t *testing.T) *packer {
	t.Helper()
	bin := cachedBinary(t, "DOCKBAKE_PACKER", "packer-"+packerVersion, "packer")
	dir := t.TempDir()
	p := &packer{bin: bin, dir: dir, env: append(os.Environ(),
		"CHECKPOINT_DISABLE=1",
		"PACKER_CONFIG_DIR="+filepath.Join(dir, "config"),
		"PACKER_CACHE_DIR="+filepath.Join(dir, "cache"),
		"PACKER_PLUGIN_PATH="+filepath.Join(dir, "plugins"),
		"PACKER_NO_COLOR=1",
	)}
	plugin := built(t, "packer-plugin-dockbake", "..")
	p.run(t, "installing the plugin", "plugins", "install", "--path", plugin, "github.com/dockbake/dockbake")
	return p
}

// binDir holds the binaries the tests build, once per test process.
var (
	binDir   string
	binMu    sync.Mutex
	binBuilt = map[string]string{}
)

func TestMain(m *testing.M) {
	var err error
	if binDir, err = os.MkdirTemp("", "dockbake-e2e-bin-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(binDir)
	os.Exit(code)
}

// built builds the main package in pkgDir (relative to this directory)
// as binDir/name, once.
func built(t *testing.T, name, pkgDir string) string {
	t.Helper()
	binMu.Lock()
	defer binMu.Unlock()
	if bin, ok := binBuilt[name]; ok {
		return bin
	}
	bin := filepath.Join(binDir, name)
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = pkgDir
	run(t, cmd, "building "+name)
	binBuilt[name] = bin
	return bin
}

// installAmazon installs the amazon plugin for templates that use it.
func (p *packer) installAmazon(t *testing.T) {
	t.Helper()
	bin := cachedBinary(t, "DOCKBAKE_PACKER_AMAZON", "packer-plugin-amazon-"+amazonPluginVersion, "packer-plugin-amazon")
	p.run(t, "installing the amazon plugin", "plugins", "install", "--path", bin, "github.com/hashicorp/amazon")
}

// command returns packer with args and the private environment.
func (p *packer) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, p.bin, args...)
	cmd.Env = p.env
	return cmd
}

func (p *packer) run(t *testing.T, what string, args ...string) string {
	t.Helper()
	return run(t, p.command(context.Background(), args...), what)
}

// cachedBinary returns $envVar, or the binary scripts/build-packer.sh
// caches as dir/name, or reports it missing.
func cachedBinary(t *testing.T, envVar, dir, name string) string {
	t.Helper()
	if p := os.Getenv(envVar); p != "" {
		if _, err := os.Stat(p); err != nil {
			testenv.Missing(t, name+" at $"+envVar, err.Error())
		}
		return p
	}
	cache := os.Getenv("DOCKBAKE_CACHE_DIR")
	if cache == "" {
		base := os.Getenv("XDG_CACHE_HOME")
		if base == "" {
			base = filepath.Join(os.Getenv("HOME"), ".cache")
		}
		cache = filepath.Join(base, "dockbake")
	}
	p := filepath.Join(cache, dir, name)
	if _, err := os.Stat(p); err != nil {
		testenv.Missing(t, name+" ("+dir+")", strings.Replace(buildHint, "%s", envVar, 1))
	}
	return p
}

// sshKey makes an ed25519 key pair without a passphrase and returns the
// private key's path.
func sshKey(t *testing.T, dir string) string {
	t.Helper()
	keygen := testenv.LookPath(t, "ssh-keygen", "install openssh-client")
	key := filepath.Join(dir, "id_ed25519")
	run(t, exec.Command(keygen, "-q", "-t", "ed25519", "-N", "", "-C", "dockbake-e2e", "-f", key), "making an SSH key")
	return key
}

// run runs cmd and returns its output; a failure fails the test with it.
func run(t *testing.T, cmd *exec.Cmd, what string) string {
	t.Helper()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %s: %v\n%s", what, strings.Join(cmd.Args, " "), err, out.String())
	}
	t.Logf("%s took %s", what, time.Since(start).Round(10*time.Millisecond))
	return out.String()
}

// examples is the directory of the example templates.
func examples(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "examples", "packer"))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}
