package boottest

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dockbake/dockbake/generator"
)

// serverAlert is how a Go TLS client reports that the server rejected the
// handshake: proof that dockerd, not the client, refused.
const serverAlert = "remote error: tls:"

// wrongClient is a client identity dockerd must refuse.
type wrongClient struct {
	name      string
	cert, key string // empty: no client certificate
}

func (p *proof) wrongClients() []wrongClient {
	return []wrongClient{
		{name: "no client certificate"},
		{name: "another machine's client certificate", cert: p.other.clientFile("cert.pem"), key: p.other.clientFile("key.pem")},
		{name: "the server certificate as a client certificate", cert: p.machine.hostFile("server.pem"), key: p.machine.hostFile("server-key.pem")},
	}
}

// checkRefusals presents each wrong client identity twice: with the real
// docker CLI (through DOCKER_CERT_PATH), and with a Go TLS probe that sends
// the certificate even when the server's list of acceptable CAs does not
// name its issuer (the docker CLI would then quietly send none).
func (p *proof) checkRefusals(t *testing.T) {
	ca := p.machine.clientFile("ca.pem")
	for _, c := range p.wrongClients() {
		t.Run(c.name, func(t *testing.T) {
			files := map[string]string{"ca.pem": ca}
			if c.cert != "" {
				files["cert.pem"], files["key.pem"] = c.cert, c.key
			}
			dir := certDir(t, files)
			out, err := p.machine.shell(p.ctx, p.guest, "export DOCKER_CERT_PATH="+generator.ShellQuote(dir)+"; docker version")
			// When the CLI's request races dockerd's close, the alert
			// becomes a reset; the probe below reads the alert reliably.
			if err == nil || !strings.Contains(out, serverAlert) && !strings.Contains(out, "connection reset by peer") {
				t.Errorf("docker CLI with %s: want a TLS alert from dockerd (%q), got err=%v:\n%s", c.name, serverAlert, err, out)
			}
			t.Logf("docker CLI: %s", lastLine(out))
			if c.cert == "" {
				return
			}
			got := p.probe(t, ca, c.cert, c.key)
			if !strings.HasPrefix(got, "refused: ") || !strings.Contains(got, serverAlert) {
				t.Errorf("TLS probe with %s: %s", c.name, got)
			}
			t.Logf("TLS probe: %s", got)
		})
	}
	t.Run("the probe itself is accepted with the machine's client certificate", func(t *testing.T) {
		if got := p.probe(t, ca, p.machine.clientFile("cert.pem"), p.machine.clientFile("key.pem")); !strings.HasPrefix(got, "accepted: ") {
			t.Errorf("TLS probe with the right certificate: %s", got)
		}
	})
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndexByte(s, '\n')+1:]
}

// Environment of the TLS probe: TestMain runs runTLSProbe instead of the
// tests when probeEnv is set.
const (
	probeEnv     = "DOCKBAKE_BOOTTEST_TLS_PROBE"
	probeEnvCA   = probeEnv + "_CA"
	probeEnvCert = probeEnv + "_CERT"
	probeEnvKey  = probeEnv + "_KEY"
)

// probe re-executes the test binary inside the guest's network namespace as
// a TLS client of dockerd and returns its one-line verdict.
func (p *proof) probe(t *testing.T, ca, cert, key string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(p.ctx, time.Minute)
	defer cancel()
	cmd := p.guest.NetCommand(ctx, exe)
	cmd.Env = []string{
		fmt.Sprintf("%s=127.0.0.1:%d", probeEnv, p.machine.port),
		probeEnvCA + "=" + ca, probeEnvCert + "=" + cert, probeEnvKey + "=" + key,
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("TLS probe: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

// runTLSProbe connects to $DOCKBAKE_BOOTTEST_TLS_PROBE, verifies the server
// against the CA file, always presents the given client certificate, and
// asks dockerd for /_ping. It prints "accepted: <status line>" or
// "refused: <error>"; the exit code is 2 only when the probe cannot run.
func runTLSProbe(w io.Writer) int {
	conf, err := probeConfig()
	if err != nil {
		fmt.Fprintln(w, "probe setup:", err)
		return 2
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	conn, err := tls.DialWithDialer(dialer, "tcp", os.Getenv(probeEnv), conf)
	if err != nil {
		fmt.Fprintln(w, "refused:", err)
		return 0
	}
	defer conn.Close()
	// With TLS 1.3 the server checks the client certificate after the
	// client's side of the handshake is done, so its verdict is an alert
	// that arrives with the first read. Read before writing anything: a
	// write racing the server's close would turn the alert into a reset.
	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		fmt.Fprintln(w, "refused:", err)
		return 0
	}
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprint(conn, "GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n")
	status, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		fmt.Fprintln(w, "refused:", err)
		return 0
	}
	fmt.Fprintln(w, "accepted:", strings.TrimSpace(status))
	return 0
}

func probeConfig() (*tls.Config, error) {
	caPEM, err := os.ReadFile(os.Getenv(probeEnvCA))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("%s: no certificate", os.Getenv(probeEnvCA))
	}
	cert, err := tls.LoadX509KeyPair(os.Getenv(probeEnvCert), os.Getenv(probeEnvKey))
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		RootCAs: pool,
		// Unlike tls.Config.Certificates, this sends the certificate even
		// when the server's CertificateRequest names other CAs.
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil },
	}, nil
}
