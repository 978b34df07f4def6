package boottest

import (
	"fmt"
	"os"
	"path/filepath"
)

// imageFile is one test-only setting baked into every image. These settings
// make a container behave like a fresh cloud VM; they are never part of the
// user-data under test.
type imageFile struct {
	path    string
	mode    os.FileMode
	content string
	symlink string // when set, path becomes a symlink to it
}

// daemonJSONPath is the Docker daemon config baked for guests sharing the
// host's network namespace; [Boot] removes it for guests with their own.
const daemonJSONPath = "/etc/docker/daemon.json"

var imageSettings = []imageFile{
	// Only the NoCloud seed the harness writes; never probe cloud metadata
	// services, and never render a network config for interfaces the guest
	// may share with the host. Debian's minbase has no locales package:
	// update-locale rejects cloud-init's default en_US.UTF-8, and
	// cloud-init would end in "status: error".
	{path: "/etc/cloud/cloud.cfg.d/90-dockbake-boottest.cfg", mode: 0o644, content: "" +
		"datasource_list: [NoCloud, None]\n" +
		"network: {config: disabled}\n" +
		"locale: C.UTF-8\n"},
	// In the host's network namespace nspawn withholds CAP_NET_ADMIN and
	// /proc/sys is read-only: dockerd fails to start unless it leaves
	// iptables and bridges alone. It must not set hosts or tls*: the drop-in
	// under test passes those as flags, and dockerd refuses a setting given
	// twice.
	{path: daemonJSONPath, mode: 0o644, content: `{"iptables": false, "ip-forward": false, "ip-masq": false, "bridge": "none"}` + "\n"},
	// apt timers would race cloud-init's apt in install-at-boot mode.
	{path: "/etc/systemd/system/apt-daily.timer", symlink: "/dev/null"},
	{path: "/etc/systemd/system/apt-daily-upgrade.timer", symlink: "/dev/null"},
	{path: "/etc/hostname", mode: 0o644, content: "dockbake-boottest\n"},
}

// imageJunk is removed from a fresh root filesystem: downloaded packages, and
// the SSH host keys openssh-server's postinst generated, which every guest
// would otherwise share (cloud-init generates fresh ones on first boot).
var imageJunk = []string{"/var/cache/apt/archives/*.deb", "/etc/ssh/ssh_host_*"}

// applySettings writes imageSettings into rootfs and removes imageJunk.
func applySettings(rootfs string) error {
	for _, f := range imageSettings {
		if err := f.write(rootfs); err != nil {
			return fmt.Errorf("image setting %s: %w", f.path, err)
		}
	}
	for _, pattern := range imageJunk {
		matches, err := filepath.Glob(filepath.Join(rootfs, pattern))
		if err != nil {
			return err
		}
		for _, m := range matches {
			if err := os.Remove(m); err != nil {
				return err
			}
		}
	}
	return nil
}

func (f imageFile) write(rootfs string) error {
	dst := filepath.Join(rootfs, f.path)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if err := os.Remove(dst); err != nil && !os.IsNotExist(err) {
		return err
	}
	if f.symlink != "" {
		return os.Symlink(f.symlink, dst)
	}
	return os.WriteFile(dst, []byte(f.content), f.mode)
}
