package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dockbake/dockbake/internal/boottest"
	"github.com/dockbake/dockbake/internal/testenv"
)

// sshUser is the guest's login for packer: not root, with password-less
// sudo, and /bin/sh as its shell, as on a cloud image.
const sshUser = "builder"

// TestPackerBuild is the end-to-end proof. It boots a Debian guest with
// systemd, sshd and Docker in its own network namespace, runs `packer
// build` of examples/packer/null-ssh.pkr.hcl inside that namespace so the
// null builder's SSH reaches the guest's 127.0.0.1:22, then:
//
//   - the docker CLI of this machine, with eval "$(dockbake env NAME)",
//     reaches the guest's dockerd over mutual TLS, and not without it;
//   - the guest's files have their owners and modes, no staging directory
//     is left and the CA key is nowhere in what the build changed;
//   - after a reboot of the provisioned root, with no provisioning at all,
//     dockerd comes up with TLS again.
func TestPackerBuild(t *testing.T) {
	boottest.Require(t)
	p := newPacker(t)
	dockerCLI := testenv.LookPath(t, "docker", "install the docker CLI (docker.io or docker-ce-cli)")
	dockbake := buildDockbake(t)
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Minute)
	defer cancel()
	dir := t.TempDir()
	storePath := filepath.Join(dir, "store")
	key := sshKey(t, dir)
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	img, err := boottest.BuildImage(ctx, boottest.ImageOptions{
		Packages: boottest.DockerPackages,
		Log:      testWriter{t},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Each guest gets a run root of its own: Boot sweeps the run directories
	// of exited guests in its run root, and the rebooted guest below boots
	// from the first one's root after its nspawn has exited.
	g := boot(ctx, t, img, filepath.Join(dir, "guest"), sshUserData(string(pub)))
	if _, err := g.WaitCloudInit(ctx); err != nil {
		t.Fatal(err)
	}
	// The image enables Docker; an image that does not must still come out
	// with docker.service enabled. Make this one such an image.
	mustRun(ctx, t, g, "systemctl", "disable", "--now", "docker.service", "docker.socket")
	t.Logf("guest %s ready for SSH after %s", g.Name, time.Since(start).Round(time.Second))

	// packer runs on this machine, in the guest's network namespace only.
	start = time.Now()
	build := g.NetCommand(ctx, p.bin, "build", "-color=false",
		"-var", "ssh_username="+sshUser,
		"-var", "ssh_private_key_file="+key,
		"-var", "machine_name=e2e",
		"-var", "storage_path="+storePath,
		"-var", "install=none", // the guest has no network to fetch packages from
		filepath.Join(examples(t), "null-ssh.pkr.hcl"))
	build.Env = append(slices.Clone(p.env), "PACKER_LOG=1", "PACKER_LOG_PATH="+filepath.Join(dir, "packer.log"))
	out, err := build.CombinedOutput()
	if err != nil {
		t.Fatalf("packer build: %v\n%s\npacker.log:\n%s", err, out, tail(filepath.Join(dir, "packer.log"), 60))
	}
	t.Logf("packer build took %s:\n%s", time.Since(start).Round(10*time.Millisecond), out)
	for _, want := range []string{
		"The build VM runs debian-12",
		"Created machine e2e (tcp://127.0.0.1:2376, its own CA)",
		"Installing /etc/docker/ca.pem, /etc/docker/server.pem, /etc/docker/server-key.pem",
		"Enabling and restarting docker.service",
		"dockerd answers on /var/run/docker.sock",
		"Removing the staging directory /tmp/dockbake.",
		"Builds finished. The artifacts of successful builds are:",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("packer build output lacks %q", want)
		}
	}
	if bytes.Contains(out, []byte("PRIVATE KEY")) {
		t.Error("packer build output shows key material")
	}

	checkGuestFiles(ctx, t, g, storePath)
	client := dockerClient{dockbake: dockbake, docker: dockerCLI, store: storePath, home: dir}
	client.check(ctx, t, g, 30*time.Second)
	if out, err := g.NetCommand(ctx, dockerCLI, "-H", "tcp://127.0.0.1:2376", "version").CombinedOutput(); err == nil {
		t.Errorf("dockerd answered a client without TLS:\n%s", out)
	}

	// Reboot. systemd-nspawn hands a reboot back to its caller (exit 133),
	// so the same provisioned root is booted again, as a VM's disk would be.
	if out, err := g.Run(ctx, "systemctl", "is-enabled", "docker.service"); err != nil || strings.TrimSpace(out) != "enabled" {
		t.Fatalf("docker.service is %q after the build, want enabled (%v)", strings.TrimSpace(out), err)
	}
	start = time.Now()
	g.Command(ctx, "systemctl", "reboot").Run()
	select {
	case <-g.Exited():
	case <-time.After(90 * time.Second):
		t.Fatalf("guest %s did not go down for the reboot", g.Name)
	}
	again := boot(ctx, t, &boottest.Image{Dir: g.Root}, filepath.Join(dir, "rebooted"), []byte("#cloud-config\n"))
	client.check(ctx, t, again, 90*time.Second)
	t.Logf("after the reboot dockerd took mutual TLS again within %s, with no provisioning", time.Since(start).Round(time.Second))
	show := mustRun(ctx, t, again, "systemctl", "show", "-p", "DropInPaths", "docker.service")
	if !strings.Contains(show, "/etc/systemd/system/docker.service.d/10-machine.conf") {
		t.Errorf("docker.service runs without dockbake's drop-in: %s", show)
	}
}

// sshUserData creates the SSH user; cloud-init also makes the guest's SSH
// host keys, which the image leaves out.
func sshUserData(pub string) []byte {
	return fmt.Appendf(nil, `#cloud-config
manage_etc_hosts: true
users:
  - name: %s
    shell: /bin/sh
    lock_passwd: true
    sudo: "ALL=(ALL) NOPASSWD:ALL"
    ssh_authorized_keys:
      - %s
`, sshUser, strings.TrimSpace(pub))
}

// boot boots a guest and closes it when the test ends, with evidence in the
// log when it failed. Guests close in reverse order: a guest booted from
// another's root goes first.
func boot(ctx context.Context, t *testing.T, img *boottest.Image, runRoot string, userData []byte) *boottest.Guest {
	t.Helper()
	if err := os.Mkdir(runRoot, 0o700); err != nil {
		t.Fatal(err)
	}
	g, err := boottest.Boot(ctx, img, boottest.BootOptions{UserData: userData, RunRoot: runRoot})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(g.Evidence(context.Background()))
		}
		if err := g.Close(); err != nil {
			t.Error(err)
		}
	})
	return g
}

func mustRun(ctx context.Context, t *testing.T, g *boottest.Guest, name string, args ...string) string {
	t.Helper()
	out, err := g.Run(ctx, name, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkGuestFiles checks what the build left in the guest.
func checkGuestFiles(ctx context.Context, t *testing.T, g *boottest.Guest, storePath string) {
	t.Helper()
	got := mustRun(ctx, t, g, "stat", "-c", "%n %U:%G %a",
		"/etc/docker/ca.pem", "/etc/docker/server.pem", "/etc/docker/server-key.pem",
		"/etc/systemd/system/docker.service.d/10-machine.conf")
	want := "/etc/docker/ca.pem root:root 644\n/etc/docker/server.pem root:root 644\n" +
		"/etc/docker/server-key.pem root:root 600\n/etc/systemd/system/docker.service.d/10-machine.conf root:root 644\n"
	if got != want {
		t.Errorf("files in the guest:\n%s\nwant:\n%s", got, want)
	}
	if out, err := g.Run(ctx, "sh", "-c", "ls -d /tmp/dockbake.* 2>/dev/null"); err == nil {
		t.Errorf("staging directories left in the guest: %s", out)
	}
	// The CA key stays in the store: nothing the build wrote holds it.
	caKey, err := os.ReadFile(filepath.Join(storePath, "hosts", "e2e", "ca-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	body := bytes.TrimSpace(caKey)
	err = g.WalkWritten(func(guestPath, hostPath string) error {
		if b, err := os.ReadFile(hostPath); err == nil && bytes.Contains(b, body) {
			t.Errorf("the CA key is in the guest: %s", guestPath)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// dockerClient is this machine's docker CLI pointed at a machine with
// `dockbake env`.
type dockerClient struct {
	dockbake, docker, store, home string
}

// check runs `eval "$(dockbake env e2e)" && docker version` in the guest's
// network namespace until dockerd answers over TLS or timeout passes.
func (c dockerClient) check(ctx context.Context, t *testing.T, g *boottest.Guest, timeout time.Duration) {
	t.Helper()
	script := `eval "$(dockbake env e2e)" && docker version --format 'client {{.Client.Version}}, server {{.Server.Version}}' && docker info --format '{{.Name}}'`
	deadline := time.Now().Add(timeout)
	for {
		cmd := g.NetCommand(ctx, "/bin/sh", "-c", script)
		cmd.Env = []string{
			"PATH=" + filepath.Dir(c.dockbake) + ":" + filepath.Dir(c.docker) + ":/usr/bin:/bin",
			"HOME=" + c.home, "SHELL=/bin/sh", "DOCKBAKE_STORAGE_PATH=" + c.store,
		}
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Logf("docker over TLS via dockbake env, guest %s: %s", g.Name, strings.TrimSpace(string(out)))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("docker with dockbake env did not reach the guest's dockerd within %s: %v\n%s", timeout, err, out)
		}
		time.Sleep(time.Second)
	}
}

// testWriter sends progress lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// tail returns the last n lines of a file, for failure messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
