package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/internal/dockerdtest"
	"github.com/dockbake/dockbake/internal/testenv"
	"github.com/dockbake/dockbake/store"
)

// inproc runs the dockbake app in-process with its own environment.
type inproc struct {
	t   *testing.T
	env map[string]string
}

func newCLI(t *testing.T) *inproc {
	t.Helper()
	dir := t.TempDir()
	return &inproc{t: t, env: map[string]string{
		"DOCKBAKE_STORAGE_PATH": filepath.Join(dir, "store"),
		"DOCKER_CONFIG":         filepath.Join(dir, "docker-config"),
		"HOME":                  dir,
		"PATH":                  os.Getenv("PATH"),
		"SHELL":                 "/bin/bash",
	}}
}

// run returns stdout, stderr and the exit code.
func (c *inproc) run(args ...string) (string, string, int) {
	c.t.Helper()
	var out, errb bytes.Buffer
	code := run(append([]string{"dockbake"}, args...), &proc{
		stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
		getenv: func(k string) string { return c.env[k] },
	})
	return out.String(), errb.String(), code
}

// ok runs a command that must succeed and returns its stdout.
func (c *inproc) ok(args ...string) string {
	c.t.Helper()
	out, errOut, code := c.run(args...)
	if code != 0 {
		c.t.Fatalf("dockbake %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// fails runs a command that must fail, and checks that stdout and stderr
// contain each of want.
func (c *inproc) fails(args []string, want ...string) {
	c.t.Helper()
	out, errOut, code := c.run(args...)
	if code == 0 {
		c.t.Fatalf("dockbake %s succeeded:\n%s%s", strings.Join(args, " "), out, errOut)
	}
	for _, w := range want {
		if !strings.Contains(out+errOut, w) {
			c.t.Errorf("dockbake %s: output lacks %q:\n%s%s", strings.Join(args, " "), w, out, errOut)
		}
	}
}

// in returns the runner for a subtest, so that its failures are the
// subtest's.
func (c *inproc) in(t *testing.T) *inproc { return &inproc{t: t, env: c.env} }

func (c *inproc) storeRoot() string { return c.env["DOCKBAKE_STORAGE_PATH"] }

// hostTLS are dockerd's TLS flags for machine name, with copies of its
// current files: dockerd reads them once, at start.
func (c *inproc) hostTLS(name string, verify bool) []string {
	c.t.Helper()
	dir := c.t.TempDir()
	for dst, src := range map[string]string{
		"ca.pem":         filepath.Join(c.storeRoot(), "machines", name, "ca.pem"),
		"server.pem":     filepath.Join(c.storeRoot(), "hosts", name, "server.pem"),
		"server-key.pem": filepath.Join(c.storeRoot(), "hosts", name, "server-key.pem"),
	} {
		copyFile(c.t, src, filepath.Join(dir, dst))
	}
	return tlsFlags(dir, "ca.pem", "server.pem", "server-key.pem", verify)
}

// tlsFlags are dockerd's flags for the files in dir. Without verify,
// dockerd serves TLS to anyone: --tls alone would imply --tlsverify.
func tlsFlags(dir, ca, cert, key string, verify bool) []string {
	if !verify {
		return []string{"--tls", "--tlsverify=false", "--tlscert=" + filepath.Join(dir, cert), "--tlskey=" + filepath.Join(dir, key)}
	}
	return []string{"--tlsverify", "--tlscacert=" + filepath.Join(dir, ca), "--tlscert=" + filepath.Join(dir, cert), "--tlskey=" + filepath.Join(dir, key)}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyRealDockerd(t *testing.T) {
	c := newCLI(t)
	port := strconv.Itoa(freePort(t))
	addr1, addr2 := "127.0.0.1:"+port, "127.0.0.2:"+port
	c.ok("create", "web1", "--ip", "127.0.0.1", "--port", port, "-o", filepath.Join(t.TempDir(), "ud.yaml"))
	c.ok("create", "other", "--ip", "127.0.0.1", "--port", port, "-o", filepath.Join(t.TempDir(), "ud.yaml"))
	alice := filepath.Join(t.TempDir(), "alice")
	c.ok("client", "add", "web1", "--user", "alice", "--output", alice)

	d := dockerdtest.Start(t, append([]string{"-H", "tcp://" + addr1, "-H", "tcp://" + addr2}, c.hostTLS("web1", true)...)...)
	t.Run("ok", func(t *testing.T) {
		c := c.in(t)
		out := c.ok("verify", "web1")
		for _, step := range []string{"connect", "tls", "chain", "name", "expiry", "docker", "auth"} {
			if !strings.Contains(out, "ok   "+step) {
				t.Errorf("no ok line for %s:\n%s", step, out)
			}
		}
		if !strings.Contains(out, "Docker 20.") && !strings.Contains(out, "Docker 2") {
			t.Errorf("no Docker version:\n%s", out)
		}
		c.ok("verify", "web1", "--cert-path", alice)
	})
	t.Run("address not in the certificate", func(t *testing.T) {
		c := c.in(t)
		c.fails([]string{"verify", "web1", "--url", "tcp://" + addr2},
			"FAIL name", "valid for 127.0.0.1, localhost, not for 127.0.0.2", "dockbake: hint: dockbake regenerate-certs web1 --ip 127.0.0.2")
	})
	t.Run("another machine's certificates", func(t *testing.T) {
		c := c.in(t)
		c.fails([]string{"verify", "other"}, "FAIL chain", `runs machine "web1"'s certificates, not "other"'s`, "dockbake render other")
	})
	// The fix for the wrong address, made in the store only: the host
	// still runs the old certificate, and verify says so.
	c.ok("regenerate-certs", "web1", "--ip", "127.0.0.2", "-o", filepath.Join(t.TempDir(), "ud2.yaml"))
	t.Run("host runs the old certificate", func(t *testing.T) {
		c := c.in(t)
		c.fails([]string{"verify", "web1"}, "FAIL name", "still runs an older server certificate", "dockbake render web1")
		out := c.ok("verify", "web1", "--url", addr1)
		if !strings.Contains(out, "warn chain") {
			t.Errorf("no warning about the older certificate on the host:\n%s", out)
		}
	})
	c.ok("regenerate-certs", "web1", "--ca", "--force", "-o", filepath.Join(t.TempDir(), "ud3.yaml"))
	t.Run("host runs certificates from before a new CA", func(t *testing.T) {
		c := c.in(t)
		c.fails([]string{"verify", "web1", "--url", addr1}, "FAIL chain", "is not issued by web1's CA", "--ca", "dockbake render web1")
	})
	d.Stop()
	t.Run("refused", func(t *testing.T) {
		c := c.in(t)
		c.fails([]string{"verify", "web1"}, "FAIL connect", "nothing listens at "+addr2, "systemctl status docker")
	})

	// The host now runs web1's new user-data: web1 works, alice's
	// certificate from the old CA does not.
	dockerdtest.Start(t, append([]string{"-H", "tcp://" + addr2}, c.hostTLS("web1", true)...)...)
	t.Run("new CA on the host", func(t *testing.T) {
		c := c.in(t)
		c.ok("verify", "web1")
		c.fails([]string{"verify", "web1", "--cert-path", alice}, "FAIL auth", "refused the client certificate in "+alice,
			"issued by another CA than web1's current one", "dockbake client add web1 --user alice --force")
	})
}

// TestVerifyInsecureHosts covers hosts that must not be trusted even though
// something answers: dockerd without TLS, and dockerd with TLS but without
// client certificates.
func TestVerifyInsecureHosts(t *testing.T) {
	c := newCLI(t)
	port := strconv.Itoa(freePort(t))
	addr := "127.0.0.1:" + port
	c.ok("create", "web1", "--ip", "127.0.0.1", "--port", port, "-o", filepath.Join(t.TempDir(), "ud.yaml"))
	t.Run("plain HTTP", func(t *testing.T) {
		c := c.in(t)
		d := dockerdtest.Start(t, "-H", "tcp://"+addr)
		defer d.Stop()
		c.fails([]string{"verify", "web1"}, "FAIL tls", "answers plain HTTP, not TLS", "anyone who reaches the port controls the host", "--tlsverify")
	})
	t.Run("TLS without client certificates", func(t *testing.T) {
		c := c.in(t)
		d := dockerdtest.Start(t, append([]string{"-H", "tcp://" + addr}, c.hostTLS("web1", false)...)...)
		defer d.Stop()
		c.fails([]string{"verify", "web1"}, "ok   docker", "FAIL auth", "answers clients without a certificate", "without --tlsverify")
	})
}

// TestVerifyExpiry runs dockerd with certificates made at another time:
// expired, not yet valid, and an expired client certificate.
func TestVerifyExpiry(t *testing.T) {
	c := newCLI(t)
	port := freePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	s, err := store.Open(c.storeRoot())
	if err != nil {
		t.Fatal(err)
	}
	at := func(name string, when time.Time, validity time.Duration) {
		t.Helper()
		spec := generator.Spec{Name: name, IPs: []string{"127.0.0.1"}, Port: port, OS: generator.DefaultOS, Install: generator.InstallNone}
		s.Now = func() time.Time { return when }
		if _, err := s.Create(store.CreateRequest{Spec: spec, CertValidity: validity}); err != nil {
			t.Fatal(err)
		}
	}
	at("old", time.Now().Add(-1000*24*time.Hour), 48*time.Hour)
	at("future", time.Now().Add(72*time.Hour), 48*time.Hour)
	t.Run("server certificate expired", func(t *testing.T) {
		c := c.in(t)
		d := dockerdtest.Start(t, append([]string{"-H", "tcp://" + addr}, c.hostTLS("old", true)...)...)
		defer d.Stop()
		c.fails([]string{"verify", "old"}, "FAIL expiry", "the host's server certificate expired on", "dockbake regenerate-certs old, then give the host the new user-data")
	})
	t.Run("not yet valid", func(t *testing.T) {
		c := c.in(t)
		d := dockerdtest.Start(t, append([]string{"-H", "tcp://" + addr}, c.hostTLS("future", true)...)...)
		defer d.Stop()
		c.fails([]string{"verify", "future"}, "FAIL expiry", "but this computer's clock says", "date -u")
	})
	// A new server certificate, but the old client certificate is kept.
	c.ok("regenerate-certs", "old", "-o", filepath.Join(t.TempDir(), "ud.yaml"))
	t.Run("client certificate expired", func(t *testing.T) {
		c := c.in(t)
		d := dockerdtest.Start(t, append([]string{"-H", "tcp://" + addr}, c.hostTLS("old", true)...)...)
		defer d.Stop()
		c.fails([]string{"verify", "old"}, "FAIL expiry", "client certificate in", "dockbake regenerate-certs old --client")
		c.ok("regenerate-certs", "old", "--client", "-o", filepath.Join(t.TempDir(), "ud2.yaml"))
		c.ok("verify", "old")
	})
}

// TestVerifyNotDocker covers listeners that are not dockerd: another
// protocol, a silent one, and a TLS server with the right certificates that
// does not serve the Docker API.
func TestVerifyNotDocker(t *testing.T) {
	c := newCLI(t)
	serve := func(handle func(net.Conn)) string {
		l := testenv.Listen(t, "127.0.0.1")
		go func() {
			for {
				conn, err := l.Accept()
				if err != nil {
					return
				}
				go func() { defer conn.Close(); handle(conn) }()
			}
		}()
		return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	}
	ssh := serve(func(conn net.Conn) { fmt.Fprint(conn, "SSH-2.0-OpenSSH_9.2\r\n"); time.Sleep(time.Second) })
	silent := serve(func(conn net.Conn) { time.Sleep(3 * time.Second) })
	c.ok("create", "ssh", "--ip", "127.0.0.1", "--port", ssh, "-o", filepath.Join(t.TempDir(), "a"))
	c.ok("create", "silent", "--ip", "127.0.0.1", "--port", silent, "-o", filepath.Join(t.TempDir(), "b"))
	c.fails([]string{"verify", "ssh"}, "FAIL tls", "does not speak TLS: another service listens on port "+ssh)
	c.fails([]string{"verify", "silent", "--timeout", "500ms"}, "FAIL tls", "did not answer the TLS handshake within 500ms")

	// A TLS server with web's own certificates that answers 404.
	c.ok("create", "web", "--ip", "127.0.0.1", "--port", "1", "-o", filepath.Join(t.TempDir(), "c"))
	cert, err := tls.LoadX509KeyPair(filepath.Join(c.storeRoot(), "hosts", "web", "server.pem"), filepath.Join(c.storeRoot(), "hosts", "web", "server-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	caPEM, _ := os.ReadFile(filepath.Join(c.storeRoot(), "machines", "web", "ca.pem"))
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	l := tls.NewListener(testenv.Listen(t, "127.0.0.1"), &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool})
	srv := &http.Server{Handler: http.NotFoundHandler()}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	c.fails([]string{"verify", "web", "--url", l.Addr().String()}, "ok   expiry", "FAIL docker", "GET /version answered 404 Not Found")
}
