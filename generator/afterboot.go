package generator

import (
	"path"
	"strconv"
	"strings"

	"github.com/dockbake/dockbake/templates"
)

// The apply mechanism: new TLS certificates reach a running host through
// its Docker API, without SSH. A client writes a delivery into the spool
// (through a created, never started, container that bind-mounts it:
// PUT /containers/{id}/archive); dockbake-apply.path sees it and starts
// dockbake-apply.service, whose script checks it, swaps the files in,
// restarts dockerd and keeps the new set only if dockerd serves it. The
// outcome lands in the spool too, where the client reads it back the same
// way. docs/after-boot.md describes the contract.
//
// Everything the Plan writes lies in /etc, which is writable on every
// supported OS (Flatcar's and Fedora CoreOS's /usr is read-only); the
// state lies in /var/lib, created at run time.
const (
	// HostStateDir is the mechanism's directory, root's alone (0700).
	HostStateDir = "/var/lib/dockbake"
	// HostSpoolDir is the bind-mount source a client writes deliveries into.
	HostSpoolDir = HostStateDir + "/spool"
	// HostIncomingDir holds one directory per delivery, named by its ID.
	HostIncomingDir = HostSpoolDir + "/" + SpoolIncoming
	// HostStatusDir holds one outcome file per delivery, named by its ID.
	HostStatusDir = HostSpoolDir + "/" + SpoolStatus
	// HostPreviousDir holds the set the last applied delivery replaced.
	HostPreviousDir = HostStateDir + "/previous"
	// hostAttemptDir holds the live set while an attempt is under way.
	hostAttemptDir = HostStateDir + "/attempt"

	// HostApplyScript is the script dockbake-apply.service runs.
	HostApplyScript = "/etc/dockbake/apply"
	// HostApplyPath is the path unit that watches HostIncomingDir.
	HostApplyPath = "/etc/systemd/system/" + ApplyPathUnit
	// HostApplyService is the oneshot service the path unit starts.
	HostApplyService = "/etc/systemd/system/dockbake-apply.service"
	// ApplyPathUnit is the unit enabled at first boot.
	ApplyPathUnit = "dockbake-apply.path"

	// SpoolIncoming is the spool's directory of deliveries, as a client
	// addresses it below its mount point.
	SpoolIncoming = "incoming"
	// SpoolStatus is the spool's directory of outcomes.
	SpoolStatus = "status"

	// ApplyWaitServe is how long, in seconds, the script waits for dockerd
	// to serve a certificate after a restart.
	ApplyWaitServe = 60
	// ApplyWaitWhole is how long, in seconds, the script waits for a
	// delivery's manifest to arrive whole.
	ApplyWaitWhole = 60
)

// applyLayout is where the apply script finds its files and how long it
// waits: the host's, or a test's scratch directory and short waits.
type applyLayout struct {
	state, incoming, status, previous, attempt string
	caCert, serverCert, serverKey              string
	waitWhole, waitServe                       int
}

// hostLayout is the layout on a real host.
var hostLayout = applyLayout{
	state: HostStateDir, incoming: HostIncomingDir, status: HostStatusDir,
	previous: HostPreviousDir, attempt: hostAttemptDir,
	caCert: HostCACert, serverCert: HostServerCert, serverKey: HostServerKey,
	waitWhole: ApplyWaitWhole, waitServe: ApplyWaitServe,
}

// applyFiles are the mechanism's script and units for spec on o.
func applyFiles(spec Spec, o OS) ([]File, error) {
	script, err := renderApplyScript(hostLayout, spec.Name, spec.Port, applySockets(o))
	if err != nil {
		return nil, err
	}
	u := templates.ApplyUnits{Machine: spec.Name, IncomingDir: HostIncomingDir, Script: HostApplyScript}
	pathUnit, err := templates.RenderApplyPath(u)
	if err != nil {
		return nil, err
	}
	service, err := templates.RenderApplyService(u)
	if err != nil {
		return nil, err
	}
	return []File{
		{Path: HostApplyScript, Mode: 0o700, Owner: "root:root", Content: script},
		{Path: HostApplyPath, Mode: 0o644, Owner: "root:root", Content: pathUnit},
		{Path: HostApplyService, Mode: 0o644, Owner: "root:root", Content: service},
	}, nil
}

// renderApplyScript renders the script for layout l.
func renderApplyScript(l applyLayout, machine string, port int, sockets []string) ([]byte, error) {
	return templates.RenderApplyScript(templates.ApplyScript{
		Machine:  machine,
		StateDir: ShellQuote(l.state), IncomingDir: ShellQuote(l.incoming), StatusDir: ShellQuote(l.status),
		PreviousDir: ShellQuote(l.previous), AttemptDir: ShellQuote(l.attempt),
		CACert: ShellQuote(l.caCert), ServerCert: ShellQuote(l.serverCert), ServerKey: ShellQuote(l.serverKey),
		Port:      strconv.Itoa(port),
		Sockets:   ShellQuote(strings.Join(sockets, " ")),
		WaitWhole: strconv.Itoa(l.waitWhole), WaitServe: strconv.Itoa(l.waitServe),
	})
}

// applySockets are the socket units that carry dockerd's TLS port, where
// one does (Flatcar). The script starts them before it restarts dockerd: a
// socket that failed along with docker.service (its start limit) would
// otherwise stay closed, and one started after dockerd is never handed to
// it. docker.socket needs nothing: docker.service requires it.
func applySockets(o OS) []string {
	if o.Butane.Variant == "flatcar" {
		return []string{path.Base(HostTLSSocket)}
	}
	return nil
}

// applySteps enable the mechanism where the first-boot agent runs
// commands; after the drop-in's daemon-reload, so systemd knows the units.
// Without a running systemd (an image build) the unit is only enabled, and
// starts at the image's first boot.
func applySteps() []Step {
	return []Step{withSystemd(Command{"systemctl", "enable", ApplyPathUnit}, "systemctl", "enable", "--now", ApplyPathUnit)}
}

// liveRestoreArgs keep containers running while the apply script restarts
// dockerd. A user who set live-restore through an engine option (off, on a
// swarm node: swarm refuses live-restore) keeps that instead.
func liveRestoreArgs(e Engine) []string {
	for _, o := range e.Opts {
		if name, _, _ := strings.Cut(trimDashes(o), "="); name == "live-restore" {
			return nil
		}
	}
	return []string{"--live-restore"}
}
