package boottest

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dockbake/dockbake/generator"
)

// spoolImage is the image of the delivery containers, made from an empty
// archive: a fresh host has no image and no registry.
const spoolImage = "dockbake-boottest/spool:1"

// deliver writes d into the guest's spool the way a client does, through
// the Docker API over mutual TLS: a created, never started, container
// bind-mounting the spool, docker cp of d's archive into it, then the
// outcome read back through the same container (which outlives dockerd's
// restart) until it is final. The container is removed at the end.
func (a *afterBoot) deliver(t *testing.T, d generator.Delivery) generator.Status {
	t.Helper()
	archive, err := d.Archive()
	if err != nil {
		t.Fatal(err)
	}
	a.spoolImage(t)
	out, err := a.docker(a.ctx, nil, "create", "--mount", "type=bind,source="+generator.HostSpoolDir+",target=/spool", spoolImage, "/nonexistent")
	if err != nil {
		t.Fatal(err)
	}
	cid := strings.TrimSpace(string(out))
	t.Cleanup(func() { a.docker(context.Background(), nil, "rm", cid) })
	if _, err := a.docker(a.ctx, archive, "cp", "-", cid+":/spool"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	s, err := a.waitStatus(cid, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %s after %.1f s: %s", d.ID, s.Outcome, time.Since(start).Seconds(), s.Reason)
	if _, err := a.docker(a.ctx, nil, "rm", cid); err != nil {
		t.Errorf("removing the delivery container: %v", err)
	}
	return s
}

// checkMountRefusesMissing: a bind mount through Mounts (docker create
// --mount) of a missing source fails, so a client writes nothing to a
// host without the mechanism.
func (a *afterBoot) checkMountRefusesMissing(t *testing.T) {
	a.spoolImage(t)
	out, err := a.docker(a.ctx, nil, "create", "--mount", "type=bind,source="+generator.HostStateDir+"/missing,target=/spool", spoolImage, "/nonexistent")
	if err == nil || !strings.Contains(err.Error(), "bind source path does not exist") {
		t.Errorf("docker create --mount with a missing source: %v\n%s; want it refused", err, out)
	}
	if _, err := os.Stat(filepath.Join(a.guest.Root, generator.HostStateDir, "missing")); !os.IsNotExist(err) {
		t.Errorf("the missing source was created: %v", err)
	}
}

// spoolImage makes the image of the delivery containers unless it exists.
func (a *afterBoot) spoolImage(t *testing.T) {
	t.Helper()
	if _, err := a.docker(a.ctx, nil, "image", "inspect", spoolImage); err != nil {
		if _, err := a.docker(a.ctx, emptyTar(t), "import", "-", spoolImage); err != nil {
			t.Fatal(err)
		}
	}
}

// waitStatus polls status/ID until the host is done. Reads fail while
// dockerd restarts: the client retries.
func (a *afterBoot) waitStatus(cid, id string) (generator.Status, error) {
	ctx, cancel := context.WithTimeout(a.ctx, 5*time.Minute)
	defer cancel()
	var last error
	for {
		out, err := a.docker(ctx, nil, "cp", cid+":/spool/"+generator.StatusPath(id), "-")
		if err == nil {
			var data []byte
			if data, err = untarOne(out); err == nil {
				var s generator.Status
				if s, err = generator.ParseStatus(data); err == nil && s.Final() {
					return s, nil
				}
			}
		}
		last = err
		select {
		case <-ctx.Done():
			return generator.Status{}, fmt.Errorf("no final outcome for %s: %w (last: %v)", id, ctx.Err(), last)
		case <-time.After(time.Second):
		}
	}
}

// docker runs the host's docker CLI against the guest's dockerd over TLS,
// after eval "$(dockbake env NAME)", with stdin, and returns its stdout.
func (a *afterBoot) docker(ctx context.Context, stdin []byte, args ...string) ([]byte, error) {
	return a.dockerCLI(ctx, "", stdin, args...)
}

// dockerAt runs `docker version` against the guest's dockerd at host ip,
// verifying the server certificate for that address.
func (a *afterBoot) dockerAt(t *testing.T, ip string) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(a.ctx, 30*time.Second)
	defer cancel()
	return a.dockerCLI(ctx, fmt.Sprintf("tcp://%s:%d", ip, a.machine.port), nil, "version")
}

func (a *afterBoot) dockerCLI(ctx context.Context, host string, stdin []byte, args ...string) ([]byte, error) {
	script := fmt.Sprintf(`eval "$(dockbake env %s)" && [ "$DOCKER_HOST" = tcp://127.0.0.1:%d ] || exit 99
[ -z "$HOST" ] || DOCKER_HOST=$HOST
exec docker "$@"`, a.machine.name, a.machine.port)
	cmd := a.guest.NetCommand(ctx, "bash", append([]string{"-c", script, "bash"}, args...)...)
	cmd.Env = append(a.machine.env(), "HOST="+host)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("docker %s: %w\n%s", quoteArgv(args), err, stderr.Bytes())
	}
	return out, nil
}

func emptyTar(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := tar.NewWriter(&b).Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
