package boottest

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// evidenceCommands run inside the guest for [Guest.Evidence]: what a
// developer needs to see why a boot did not end in a working Docker host.
var evidenceCommands = [][]string{
	{"cloud-init", "status", "--long"},
	{"systemctl", "is-system-running"},
	{"systemctl", "--no-pager", "list-units", "--failed"},
	{"systemctl", "show", "-p", "ExecStart", "-p", "DropInPaths", "docker.service"},
	{"ls", "-l", "/etc/docker", "/etc/systemd/system/docker.service.d"},
	{"journalctl", "-b", "--no-pager", "-u", "docker.service", "-n", "60"},
	{"sh", "-c", "cloud-init analyze blame | head -n 15"},
	{"tail", "-n", "80", "/var/log/cloud-init-output.log"},
	{"sh", "-c", "grep -E 'WARNING|ERROR|Traceback' /var/log/cloud-init.log | tail -n 40"},
}

// Evidence collects cloud-init's status and logs, failed units and Docker's
// journal from the guest, plus the tail of the console log, for a test
// failure message. It never fails: missing pieces are noted inline.
func (g *Guest) Evidence(ctx context.Context) string {
	var b strings.Builder
	fmt.Fprintf(&b, "evidence of guest %s (run directory %s)\n", g.Name, g.RunDir)
	select {
	case <-g.exited:
		fmt.Fprintf(&b, "systemd-nspawn has exited: %v\n", g.waitErr)
		log := filepath.Join(g.Root, "var/log/cloud-init-output.log")
		fmt.Fprintf(&b, "== tail of /var/log/cloud-init-output.log\n%s\n", tailFile(log, 80))
	default:
		for _, argv := range evidenceCommands {
			cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			out, err := g.Command(cctx, argv[0], argv[1:]...).CombinedOutput()
			cancel()
			fmt.Fprintf(&b, "== %s", quoteArgv(argv))
			if err != nil {
				fmt.Fprintf(&b, " (%v)", err)
			}
			fmt.Fprintf(&b, "\n%s\n", strings.TrimRight(string(out), "\n"))
		}
	}
	b.WriteString(g.consoleTail())
	return b.String()
}

// WaitCloudInit waits until cloud-init has finished in the guest and returns
// `cloud-init status --long`; the error says when it did not end "done".
func (g *Guest) WaitCloudInit(ctx context.Context) (string, error) {
	out, err := g.Command(ctx, "cloud-init", "status", "--wait", "--long").CombinedOutput()
	// --wait prints a dot per second before the status.
	status := strings.TrimLeft(string(out), ".\n")
	if err != nil || !strings.HasPrefix(status, "status: done") {
		return status, fmt.Errorf("guest %s: cloud-init did not finish cleanly (%v):\n%s", g.Name, err, status)
	}
	return status, nil
}
