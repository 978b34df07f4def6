package boottest

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dockbake/dockbake/internal/testenv"
)

// TestAttachFrom proves golden images: two guests booted from the one
// user-data of machine golden (so serving one certificate) are attached
// with --from as web1 and web2. Each then answers its own machine's
// client certificate through dockbake env, and refuses the other's and
// golden's.
func TestAttachFrom(t *testing.T) {
	t.Parallel()
	openssl := testenv.LookPath(t, "openssl", "apt-get install openssl")
	requireBoot(t)
	p := &proof{ctx: testContext(t)}
	p.image = buildImage(t, p.ctx, baked)
	p.machine = createBare(t, t.TempDir(), "golden", baked.port(t), "--os", "debian-12", "--install", baked.install)
	initial := fingerprintFile(t, p.machine.hostFile("server.pem"))
	hosts := map[string]*afterBoot{}
	for _, name := range []string{"web1", "web2"} {
		g := bootGuest(t, p.ctx, p.image, baked, p.machine.userData)
		hp := &proof{ctx: p.ctx, image: p.image, guest: g, machine: p.machine}
		hosts[name] = &afterBoot{proof: hp, openssl: openssl, initialFP: initial}
	}
	for _, name := range []string{"web1", "web2"} {
		h := hosts[name]
		h.waitServed(t)
		out, err := h.dockbake(t, "attach", name, "--from", "golden", "--ip", "127.0.0.2", "--port", strconv.Itoa(p.machine.port))
		t.Logf("attach %s --from golden:\n%s", name, out)
		if err != nil {
			t.Fatalf("attach %s --from golden: %v", name, err)
		}
	}
	for _, tc := range []struct {
		host, client string
		ok           bool
	}{
		{"web1", "web1", true}, {"web2", "web2", true},
		{"web1", "web2", false}, {"web2", "web1", false},
		{"web1", "golden", false}, {"web2", "golden", false},
	} {
		err := hosts[tc.host].clientOpens(t, tc.client)
		if tc.ok && err != nil {
			t.Errorf("%s's client certificate does not open host %s: %v", tc.client, tc.host, err)
		}
		if !tc.ok && err == nil {
			t.Errorf("%s's client certificate opens host %s", tc.client, tc.host)
		}
	}
}

// clientOpens runs docker version against the guest at 127.0.0.2 with
// machine name's client certificate and without checking the server's,
// so only dockerd's check of the client decides.
func (a *afterBoot) clientOpens(t *testing.T, name string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(a.ctx, 30*time.Second)
	defer cancel()
	dir := filepath.Join(a.machine.store, "machines", name)
	cmd := a.guest.NetCommand(ctx, "docker", "--tls", "--tlscacert", filepath.Join(dir, "ca.pem"), "--tlscert", filepath.Join(dir, "cert.pem"), "--tlskey", filepath.Join(dir, "key.pem"),
		"-H", "tcp://127.0.0.2:"+strconv.Itoa(a.machine.port), "version", "--format", "{{.Server.Version}}")
	cmd.Env = a.machine.env()
	out, err := cmd.CombinedOutput()
	if err == nil && strings.TrimSpace(string(out)) == "" {
		t.Errorf("docker version with %s's certificate printed no server version", name)
	}
	if err != nil {
		return &cliError{out: string(out), err: err}
	}
	return nil
}

type cliError struct {
	out string
	err error
}

func (e *cliError) Error() string { return e.err.Error() + ": " + e.out }
