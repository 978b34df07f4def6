package dockbake

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/packer-plugin/machine"
	"github.com/dockbake/dockbake/packer-plugin/version"
	"github.com/dockbake/dockbake/store"
)

// provision prepares a provisioner with cfg and runs it against v.
func provision(t *testing.T, cfg map[string]any, v *vm) (*recordingUi, error) {
	t.Helper()
	p := &Provisioner{getenv: noEnv}
	if err := p.Prepare(cfg); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	ui := &recordingUi{}
	err := p.Provision(context.Background(), ui, v.comm, map[string]any{})
	return ui, err
}

// stored loads the machine a test provisioned.
func stored(t *testing.T, cfg map[string]any) *store.Machine {
	t.Helper()
	s, err := store.Open(cfg["storage_path"].(string))
	if err != nil {
		t.Fatal(err)
	}
	m, err := machine.Load(s, cfg["machine_name"].(string), version.Tool())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestProvision(t *testing.T) {
	cfg := testConfig(t)
	v := newVM(true)
	ui, err := provision(t, cfg, v)
	if err != nil {
		t.Fatalf("Provision: %v\nUI:\n%s", err, ui)
	}
	m := stored(t, cfg)
	if m.Spec.OS != "debian-12" {
		t.Errorf("machine OS = %q, want debian-12 from the build VM's os-release", m.Spec.OS)
	}
	plan, err := m.Plan()
	if err != nil {
		t.Fatal(err)
	}

	// Every plan file is uploaded into the private staging directory with
	// its mode: the key never lands with the communicator's default 0644.
	for i, f := range plan.Files {
		u := v.comm.uploads[i]
		if filepath.Dir(u.path) != testStaging || !bytes.Equal(u.content, f.Content) || u.mode != f.Mode.Perm() {
			t.Errorf("upload %d = %s mode %04o (%d bytes), want %s in %s with mode %04o", i, u.path, u.mode, len(u.content), f.Path, testStaging, f.Mode.Perm())
		}
	}
	key, ok := findUpload(v.comm, generator.HostServerKey)
	if !ok || key.mode != 0o600 {
		t.Errorf("server key uploaded with mode %04o (found %v), want 0600", key.mode, ok)
	}

	// The CA key never leaves the store.
	caKey, err := os.ReadFile(filepath.Join(m.HostDir, "ca-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range v.comm.uploads {
		if bytes.Contains(u.content, bytes.TrimSpace(caKey)) {
			t.Errorf("upload %s contains the CA key", u.path)
		}
	}
	if strings.Contains(ui.String(), "PRIVATE KEY") {
		t.Errorf("the UI shows key material:\n%s", ui)
	}

	want := []string{
		"cat /etc/os-release",
		"test -d /run/systemd/system",
		`mktemp -d "${TMPDIR:-/tmp}/dockbake.XXXXXXXXXX"`,
		"sudo -n sh " + testStaging + "/step-1.sh",
		"sudo -n sh " + testStaging + "/step-2.sh",
		"sudo -n sh " + testStaging + "/step-3.sh",
		"sudo -n sh " + testStaging + "/step-4.sh",
		"rm -rf -- " + testStaging,
	}
	if !slices.Equal(v.comm.commands, want) {
		t.Errorf("commands:\n%s\nwant:\n%s", strings.Join(v.comm.commands, "\n"), strings.Join(want, "\n"))
	}
	for i, wantIn := range []string{
		"install -D -o root -g root -m 0600 " + testStaging + "/file-3-server-key.pem /etc/docker/server-key.pem",
		"apt-get -q -o DPkg::Lock::Timeout=600 update\n",
		"systemctl restart docker.service",
		"dockerd answers on",
	} {
		s := script(t, v.comm, i+1)
		if !strings.Contains(s, wantIn) {
			t.Errorf("step %d does not contain %q:\n%s", i+1, wantIn, s)
		}
	}
	for _, said := range []string{
		"The build VM runs debian-12",
		"Created machine web (tcp://203.0.113.10:2376, its own CA) in store ",
		"Installing /etc/docker/ca.pem, /etc/docker/server.pem, /etc/docker/server-key.pem, " + generator.HostDropIn,
		"Installing Docker: docker.io",
		"Enabling and restarting docker.service",
		"Checking that dockerd answers on /var/run/docker.sock",
		"Removing the staging directory " + testStaging,
		`eval "$(dockbake env web)"`,
	} {
		if !strings.Contains(ui.String(), said) {
			t.Errorf("the UI does not say %q:\n%s", said, ui)
		}
	}
}

func findUpload(c *recordingComm, dst string) (upload, bool) {
	for _, u := range c.uploads {
		if strings.HasSuffix(u.path, "-"+filepath.Base(dst)) {
			return u, true
		}
	}
	return upload{}, false
}

// script returns the content of step n.
func script(t *testing.T, c *recordingComm, n int) string {
	t.Helper()
	u, ok := c.file(testStaging + "/step-" + string(rune('0'+n)) + ".sh")
	if !ok {
		t.Fatalf("step %d was not uploaded", n)
	}
	if u.mode != 0o600 {
		t.Errorf("step %d uploaded with mode %04o, want 0600", n, u.mode)
	}
	return string(u.content)
}

func TestProvisionExecuteCommand(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  map[string]any
		want string
	}{
		{"prevent_sudo", map[string]any{"prevent_sudo": true}, "sh " + testStaging + "/step-1.sh"},
		{"custom", map[string]any{"execute_command": "echo pw | {{if .Sudo}}sudo -S {{end}}env FOO=1 sh {{.Path}}"}, "echo pw | sudo -S env FOO=1 sh " + testStaging + "/step-1.sh"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			for k, v := range tc.set {
				cfg[k] = v
			}
			v := newVM(true)
			if _, err := provision(t, cfg, v); err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(v.comm.commands, tc.want) {
				t.Errorf("no command %q in:\n%s", tc.want, strings.Join(v.comm.commands, "\n"))
			}
		})
	}
}

// TestProvisionWithoutSystemd is a build in a chroot or container: docker
// is enabled for the image's first boot, nothing is restarted or checked.
func TestProvisionWithoutSystemd(t *testing.T) {
	cfg := testConfig(t)
	cfg["os"] = "ubuntu-24.04"
	cfg["docker_user"] = "deploy"
	v := newVM(false)
	ui, err := provision(t, cfg, v)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(v.comm.commands, "cat /etc/os-release") {
		t.Error("os is set, yet the build VM's os-release was read")
	}
	if n := countSteps(v.comm); n != 3 {
		t.Errorf("%d steps ran, want 3 (files, packages, commands)", n)
	}
	cmds := script(t, v.comm, 3)
	for _, want := range []string{"usermod -aG docker deploy", "systemctl enable docker.service"} {
		if !strings.Contains(cmds, want) {
			t.Errorf("commands step lacks %q:\n%s", want, cmds)
		}
	}
	for _, bad := range []string{"restart", "daemon-reload", "reset-failed"} {
		if strings.Contains(cmds, bad) {
			t.Errorf("commands step runs %q without systemd:\n%s", bad, cmds)
		}
	}
	if strings.Contains(script(t, v.comm, 2), "cloud-init status") {
		t.Error("packages step waits for cloud-init without systemd")
	}
	if !strings.Contains(ui.String(), "starts with TLS on the image's first boot") {
		t.Errorf("the UI does not explain the missing restart:\n%s", ui)
	}
}

func countSteps(c *recordingComm) int {
	n := 0
	for _, cmd := range c.commands {
		if strings.Contains(cmd, "/step-") {
			n++
		}
	}
	return n
}

// TestProvisionFailingStep: the build fails with the command's output, and
// the staging directory still goes.
func TestProvisionFailingStep(t *testing.T) {
	cfg := testConfig(t)
	v := newVM(true)
	v.fail, v.failOutput = "apt-get", "E: Unable to locate package docker.io\n"
	_, err := provision(t, cfg, v)
	if err == nil {
		t.Fatal("Provision succeeded, want the apt-get failure")
	}
	for _, want := range []string{"Installing Docker: docker.io", `"sudo -n sh ` + testStaging + `/step-2.sh" exited with status 1`, "E: Unable to locate package docker.io"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if last := v.comm.commands[len(v.comm.commands)-1]; last != "rm -rf -- "+testStaging {
		t.Errorf("last command = %q, want the staging directory removed", last)
	}
	if countSteps(v.comm) != 2 {
		t.Errorf("steps after the failure ran:\n%s", strings.Join(v.comm.commands, "\n"))
	}
}

// TestProvisionCancelled checks that a build cancelled mid-way still removes
// the staging directory, which holds the server key.
func TestProvisionCancelled(t *testing.T) {
	cfg := testConfig(t)
	v := newVM(true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	respond := v.comm.respond
	v.comm.respond = func(command string) (string, int) {
		if strings.Contains(command, "step-2.sh") {
			cancel() // Ctrl-C while Docker installs
			return "", 130
		}
		return respond(command)
	}
	p := &Provisioner{getenv: noEnv}
	if err := p.Prepare(cfg); err != nil {
		t.Fatal(err)
	}
	if err := p.Provision(ctx, &recordingUi{}, v.comm, map[string]any{}); err == nil {
		t.Fatal("a cancelled build succeeded")
	}
	if last := v.comm.commands[len(v.comm.commands)-1]; last != "rm -rf -- "+testStaging {
		t.Errorf("last command = %q, want the staging directory removed", last)
	}
}

func TestProvisionSudoHint(t *testing.T) {
	v := newVM(true)
	v.fail, v.failOutput = "install -D", "sudo: a password is required\n"
	_, err := provision(t, testConfig(t), v)
	if err == nil || !strings.Contains(err.Error(), "hint: sudo failed") {
		t.Fatalf("error = %v, want a hint about sudo", err)
	}
}

func TestProvisionUnknownOS(t *testing.T) {
	v := newVM(true)
	v.osRelease = "PRETTY_NAME=\"Arch Linux\"\nID=arch\n"
	_, err := provision(t, testConfig(t), v)
	if err == nil || !strings.Contains(err.Error(), `os: the build VM runs "Arch Linux"`) {
		t.Fatalf("error = %v, want one naming os", err)
	}
	if len(v.comm.uploads) > 0 {
		t.Error("files were uploaded for an unknown OS")
	}
}

// TestProvisionReuse: a second build reuses the machine and its keys; a
// build with other settings fails before touching the VM.
func TestProvisionReuse(t *testing.T) {
	cfg := testConfig(t)
	first := newVM(true)
	if _, err := provision(t, cfg, first); err != nil {
		t.Fatal(err)
	}
	again := newVM(true)
	ui, err := provision(t, cfg, again)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ui.String(), "Reusing machine web") {
		t.Errorf("the UI does not say the machine was reused:\n%s", ui)
	}
	a, _ := findUpload(first.comm, generator.HostServerKey)
	b, _ := findUpload(again.comm, generator.HostServerKey)
	if !bytes.Equal(a.content, b.content) {
		t.Error("the second build uploaded a different server key")
	}

	cfg["ip_addresses"] = []string{"203.0.113.99"}
	cfg["port"] = 2377
	other := newVM(true)
	_, err = provision(t, cfg, other)
	if err == nil || !strings.Contains(err.Error(), "other settings (ip_addresses, port)") || !strings.Contains(err.Error(), "dockbake rm --force web") {
		t.Fatalf("error = %v, want one naming ip_addresses and port", err)
	}
	if len(other.comm.uploads) > 0 {
		t.Error("files were uploaded for a mismatching machine")
	}
}

func TestProvisionDockerCE(t *testing.T) {
	cfg := testConfig(t)
	cfg["install"] = "docker-ce"
	v := newVM(true)
	if _, err := provision(t, cfg, v); err != nil {
		t.Fatal(err)
	}
	files := script(t, v.comm, 1)
	for _, want := range []string{"/etc/apt/keyrings/docker.asc", "/etc/apt/sources.list.d/docker.list"} {
		if !strings.Contains(files, want) {
			t.Errorf("files step lacks %s:\n%s", want, files)
		}
	}
	if pk := script(t, v.comm, 2); !strings.Contains(pk, "install docker-ce docker-ce-cli containerd.io") {
		t.Errorf("packages step:\n%s", pk)
	}
}

func TestProvisionDNF(t *testing.T) {
	cfg := testConfig(t)
	v := newVM(false)
	v.osRelease = "ID=\"rocky\"\nVERSION_ID=\"9.4\"\nPRETTY_NAME=\"Rocky Linux 9.4 (Blue Onyx)\"\n"
	if _, err := provision(t, cfg, v); err != nil {
		t.Fatal(err)
	}
	if os := stored(t, cfg).Spec.OS; os != "rocky-9" {
		t.Errorf("OS = %q, want rocky-9", os)
	}
	if f := script(t, v.comm, 1); !strings.Contains(f, "/etc/yum.repos.d/docker-ce-stable.repo") {
		t.Errorf("files step lacks the repository:\n%s", f)
	}
	pk := script(t, v.comm, 2)
	if !strings.Contains(pk, "dnf -q makecache\n") || !strings.Contains(pk, "dnf install -y docker-ce") {
		t.Errorf("packages step:\n%s", pk)
	}
	if cmds := script(t, v.comm, 3); !strings.Contains(cmds, "\nsystemctl enable docker.service\n") {
		t.Errorf("commands step without systemd should enable without --now:\n%s", cmds)
	}
}

// TestOffline: without systemd, each plan step runs as the plan's typed
// property says (NeedsSystemd, Offline), whatever its argv: a systemctl
// call that works offline stays, and a command that needs systemd goes
// even when it does not name systemctl.
func TestOffline(t *testing.T) {
	plan := &generator.Plan{Steps: []generator.Step{
		{Argv: generator.Command{"systemctl", "enable", "docker.service"}},
		{Argv: generator.Command{"systemctl", "enable", "--now", "docker.service"}, NeedsSystemd: true, Offline: generator.Command{"systemctl", "enable", "docker.service"}},
		{Argv: generator.Command{"systemctl", "restart", "docker.service"}, NeedsSystemd: true},
		{Argv: generator.Command{"systemctl", "daemon-reload"}, NeedsSystemd: true},
		{Argv: generator.Command{"sh", "-c", "systemctl reset-failed docker.service || true"}, NeedsSystemd: true},
		{Argv: generator.Command{"usermod", "-aG", "docker", "deploy"}},
		{Argv: generator.Command{"systemctl", "preset", "docker.socket"}},
		{Argv: generator.Command{"true"}, NeedsSystemd: true},
	}}
	for _, tc := range []struct {
		live bool
		want []string
	}{
		{false, []string{"systemctl enable docker.service", "systemctl enable docker.service", "usermod -aG docker deploy", "systemctl preset docker.socket"}},
		{true, []string{"systemctl enable docker.service", "systemctl enable --now docker.service", "systemctl restart docker.service", "systemctl daemon-reload",
			"sh -c 'systemctl reset-failed docker.service || true'", "usermod -aG docker deploy", "systemctl preset docker.socket", "true"}},
	} {
		todo := steps(plan, nil, tc.live, 2376)
		if got := commandLines(todo[1].script); !slices.Equal(got, tc.want) {
			t.Errorf("systemd running %v: commands\n%s\nwant\n%s", tc.live, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
		}
	}
}

// commandLines are the commands of a commands step, without the echo
// before each.
func commandLines(script string) []string {
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(script), "\n")[1:] {
		if !strings.HasPrefix(l, "echo ") {
			lines = append(lines, l)
		}
	}
	return lines
}

func TestOSFromRelease(t *testing.T) {
	for _, tc := range []struct{ release, want string }{
		{"ID=debian\nVERSION_ID=\"12\"\n", "debian-12"},
		{"ID=debian\nVERSION_ID=\"13\"\n", "debian-13"},
		{"ID=ubuntu\nVERSION_ID=\"22.04\"\n", "ubuntu-22.04"},
		{"ID=ubuntu\nVERSION_ID=\"24.04\"\n", "ubuntu-24.04"},
		{"ID=\"rhel\"\nVERSION_ID=\"9.4\"\n", "rhel-9"},
		{"ID=\"almalinux\"\nVERSION_ID=\"9.5\"\n", "almalinux-9"},
		{"ID=\"centos\"\nVERSION_ID=\"9\"\n", "centos-stream-9"},
		{"ID=\"amzn\"\nVERSION_ID=\"2023\"\n", "amazonlinux-2023"},
		{"ID=flatcar\nVERSION_ID=4152.2.0\n", "flatcar"},
		{"ID=fedora\nVERSION_ID=44\nVARIANT_ID=coreos\n", "fedora-coreos"},
		{"# comment\nID='debian'\nVERSION_ID='12'\n", "debian-12"},
	} {
		got, err := osFromRelease(tc.release)
		if _, known := generator.LookupOS(tc.want); !known {
			t.Logf("skipping %s: not an OS of this generator", tc.want)
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("osFromRelease(%q) = %q, %v; want %q", tc.release, got, err, tc.want)
		}
	}
	if _, err := osFromRelease("ID=debian\nVERSION_ID=\"11\"\n"); err == nil || !strings.HasPrefix(err.Error(), "os: ") {
		t.Errorf("Debian 11: err = %v, want one naming os", err)
	}
}

func TestFileInfoMode(t *testing.T) {
	var fi fs.FileInfo = fileInfo{name: "k", size: 3, mode: 0o600}
	if !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v: the SSH communicator uses a regular file's mode", fi.Mode())
	}
}
