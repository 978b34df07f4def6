package boottest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// dockerUser is created by the user-data (--docker-user) and must reach
// dockerd through the local socket.
const dockerUser = "dockbaker"

// labelValue has everything systemd would otherwise interpret in an
// ExecStart= line: spaces, quotes, $, % and backslashes.
const labelValue = `a "b" $HOME %h \ c`

// TestInstallAtBoot proves `dockbake create --install distro --os debian-12`:
// cloud-init installs docker.io from the Debian mirror and dockerd comes up
// with TLS.
func TestInstallAtBoot(t *testing.T) {
	t.Parallel()
	p := prove(t, installAtBoot)
	t.Run("user-data installs docker.io", func(t *testing.T) {
		if !slices.Contains(p.userData(t).Packages, "docker.io") {
			t.Errorf("user-data packages = %q, want docker.io among them", p.userData(t).Packages)
		}
	})
	t.Run("docker.io was installed at boot", func(t *testing.T) {
		if _, err := os.Stat(filepath.Join(p.image.Dir, "usr/sbin/dockerd")); err == nil {
			t.Fatalf("image %s already has dockerd: the test proves nothing", p.image.Key)
		}
		out, err := p.guest.Run(p.ctx, "dpkg-query", "-W", "-f", "${Status}", "docker.io")
		if err != nil || out != "install ok installed" {
			t.Errorf("docker.io in the guest: %q, %v", out, err)
		}
	})
}

// TestBaked proves `dockbake create --install none` on an image with Docker:
// only certificates, the drop-in and the apply mechanism (its script and
// units, see TestAfterBootApply) arrive, and engine options survive
// systemd's ExecStart= parsing.
func TestBaked(t *testing.T) {
	t.Parallel()
	p := prove(t, baked, "--engine-label", "note="+labelValue)
	t.Run("user-data carries only certificates, the drop-in and the apply mechanism", func(t *testing.T) {
		ud := p.userData(t)
		want := []string{"/etc/dockbake/apply", "/etc/docker/ca.pem", "/etc/docker/server-key.pem", "/etc/docker/server.pem",
			"/etc/systemd/system/dockbake-apply.path", "/etc/systemd/system/dockbake-apply.service", dropInPath}
		var got []string
		for _, f := range ud.WriteFiles {
			got = append(got, f.Path)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) || len(ud.Packages) > 0 || ud.PackageUpdate || len(ud.Apt) > 0 {
			t.Errorf("user-data: write_files %q, packages %q, package_update %v, apt %v; want write_files %q and no packages",
				got, ud.Packages, ud.PackageUpdate, ud.Apt, want)
		}
		if _, err := os.Stat(filepath.Join(p.guest.Upper, "var/lib/dpkg/status")); err == nil {
			t.Error("the guest's package database changed at boot, but nothing should have been installed")
		}
	})
	t.Run("engine label survives systemd escaping", func(t *testing.T) {
		out, err := p.machine.shell(p.ctx, p.guest, `docker info --format '{{json .Labels}}'`)
		if err != nil {
			t.Fatal(err)
		}
		var labels []string
		if err := json.Unmarshal([]byte(out), &labels); err != nil {
			t.Fatalf("docker info labels %q: %v", out, err)
		}
		if !slices.Contains(labels, "note="+labelValue) {
			t.Errorf("dockerd labels = %q, want %q among them", labels, "note="+labelValue)
		}
	})
}

// dropInPath is where dockbake's user-data puts dockerd's systemd drop-in.
const dropInPath = "/etc/systemd/system/docker.service.d/10-machine.conf"

// proof is a booted guest running dockbake's user-data, with dockerd
// answering over TLS.
type proof struct {
	ctx            context.Context
	image          *Image
	guest          *Guest
	machine, other *machine
}

// prove boots a guest of mode with the user-data of a fresh `dockbake create`
// (extra args appended), waits for TLS, and runs the checks every mode must
// pass. It returns the running guest for mode-specific checks.
func prove(t *testing.T, mode bootMode, extra ...string) *proof {
	p := newProof(t, mode, extra...)
	p.boot(t, mode)
	p.checkAll(t)
	return p
}

// newProof creates the machine under test and a second one (its own CA)
// whose client certificate must be refused.
func newProof(t *testing.T, mode bootMode, extra ...string) *proof {
	requireBoot(t)
	p := &proof{ctx: testContext(t)}
	p.image = buildImage(t, p.ctx, mode)
	store, port := t.TempDir(), mode.port(t)
	args := []string{"--os", "debian-12", "--install", mode.install, "--docker-user", dockerUser}
	p.machine = createMachine(t, store, "proof", port, append(args, extra...)...)
	p.other = createMachine(t, store, "other", port, args...)
	return p
}

// boot boots the machine's user-data and waits until dockerd answers over
// TLS.
func (p *proof) boot(t *testing.T, mode bootMode) {
	p.guest = bootGuest(t, p.ctx, p.image, mode, p.machine.userData)
	ready, err := waitTLS(p.ctx, p.guest, p.machine)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: dockerd answered over TLS %.1f s after boot", mode.name, ready.Seconds())
}

// checkAll runs the checks every mode must pass.
func (p *proof) checkAll(t *testing.T) {
	t.Run("cloud-init is done without errors", p.checkCloudInit)
	t.Run("docker version and info over TLS", p.checkTLS)
	t.Run("TLS refuses wrong clients", p.checkRefusals)
	t.Run("server key is root-owned 0600", p.checkServerKey)
	t.Run("no CA key or foreign private key in the guest", p.checkKeys)
	t.Run("docker group member uses the local socket", p.checkDockerGroup)
}

func (p *proof) checkCloudInit(t *testing.T) {
	status, err := p.guest.WaitCloudInit(p.ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(status)
	data, err := os.ReadFile(filepath.Join(p.guest.Root, "var/lib/cloud/data/result.json"))
	if err != nil {
		t.Fatal(err)
	}
	var result struct {
		V1 struct{ Errors []string } `json:"v1"`
	}
	if err := json.Unmarshal(data, &result); err != nil {
		t.Fatalf("cloud-init result.json: %v", err)
	}
	if len(result.V1.Errors) > 0 {
		t.Errorf("cloud-init reported errors: %q", result.V1.Errors)
	}
}

func (p *proof) checkTLS(t *testing.T) {
	out, err := p.machine.shell(p.ctx, p.guest, "docker version && docker info")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Server:") {
		t.Errorf("docker version/info show no server:\n%s", out)
	}
}

func (p *proof) checkServerKey(t *testing.T) {
	out, err := p.guest.Run(p.ctx, "stat", "-c", "%U:%G %a", "/etc/docker/server-key.pem")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(out); got != "root:root 600" {
		t.Errorf("/etc/docker/server-key.pem is %q, want root:root 600", got)
	}
}

func (p *proof) checkDockerGroup(t *testing.T) {
	groups, err := p.guest.Run(p.ctx, "id", "-nG", dockerUser)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(strings.Fields(groups), "docker") {
		t.Errorf("%s's groups are %q, want docker among them", dockerUser, groups)
	}
	out, err := p.guest.Run(p.ctx, "runuser", "-u", dockerUser, "--", "docker", "version")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Server:") {
		t.Errorf("docker version as %s shows no server:\n%s", dockerUser, out)
	}
}

// cloudConfig is the part of dockbake's user-data the proofs look at.
type cloudConfig struct {
	WriteFiles []struct {
		Path string `yaml:"path"`
	} `yaml:"write_files"`
	Packages      []string       `yaml:"packages"`
	PackageUpdate bool           `yaml:"package_update"`
	Apt           map[string]any `yaml:"apt"`
}

func (p *proof) userData(t *testing.T) cloudConfig {
	var cc cloudConfig
	if err := yaml.Unmarshal(p.machine.userData, &cc); err != nil {
		t.Fatalf("dockbake's user-data is not YAML: %v", err)
	}
	return cc
}
