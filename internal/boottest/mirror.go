package boottest

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
)

// fallbackMirror is used on hosts that are not Debian or name no mirror.
const fallbackMirror = "http://deb.debian.org/debian"

// HostMirror returns $DOCKBAKE_BOOT_MIRROR, or else, on a Debian host, the
// first mirror its apt uses (deb822 .sources files first, then sources.list),
// so images come from a mirror this machine can already reach. Other hosts
// (an Ubuntu CI runner) get deb.debian.org.
func HostMirror() string {
	if m := os.Getenv("DOCKBAKE_BOOT_MIRROR"); m != "" {
		return m
	}
	if !isDebian() {
		return fallbackMirror
	}
	deb822, _ := filepath.Glob("/etc/apt/sources.list.d/*.sources")
	for _, f := range deb822 {
		if m := firstField(f, "URIs:"); m != "" {
			return m
		}
	}
	lists, _ := filepath.Glob("/etc/apt/sources.list.d/*.list")
	for _, f := range append([]string{"/etc/apt/sources.list"}, lists...) {
		if m := firstField(f, "deb"); m != "" {
			return m
		}
	}
	return fallbackMirror
}

// isDebian reports whether /etc/os-release says ID=debian.
func isDebian() bool {
	data, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(line) == "ID=debian" {
			return true
		}
	}
	return false
}

// firstField returns the first mirror URL following keyword at the start of
// a line of file, skipping option blocks like "[signed-by=...]".
func firstField(file, keyword string) string {
	f, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || fields[0] != keyword {
			continue
		}
		for _, field := range fields[1:] {
			// The security archive has no installer suites.
			if strings.Contains(field, "://") && !strings.Contains(field, "security") {
				return field
			}
		}
	}
	return ""
}
