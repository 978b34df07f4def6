package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dockbake/dockbake/pki"
	"github.com/dockbake/dockbake/store"
)

func verifyCommand(p *proc) *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "check from here that a machine's host answers with the right certificates and a working Docker API",
		ArgsUsage: "NAME",
		Description: `Checks in order: the TCP connection, the TLS handshake with the client certificate,
the server certificate's chain to the machine's CA, its names against the address
dialed, expiry, the Docker API's /version, and that the host refuses a client
without a certificate. The first failure stops it and says what fixes it. Last, it
reads through the Docker API what became of the newest delivery of attach or
regenerate-certs --apply (a host that rolled one back says why); that step only
warns, since the host then still runs its previous, working certificates.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "url", Usage: "dial `tcp://HOST:PORT` instead of the machine's URL, e.g. the address clients use now"},
			&cli.StringFlag{Name: "cert-path", Usage: "present the client certificate in `DIR` (e.g. one from client add) instead of the machine's"},
			&cli.StringFlag{Name: "timeout", Value: "10s", Usage: "limit for each network step (a Go `DURATION`)"},
			&cli.StringFlag{Name: "test-spool-dir", Hidden: true, Usage: "the spool's path on the host; for tests against a dockerd without the apply mechanism"},
		},
		Action: func(c *cli.Context) error {
			pb, err := newProbe(c, p)
			if err != nil {
				return err
			}
			return pb.run(c.Context)
		},
	}
}

// probe is one live check of a machine's host from this computer.
type probe struct {
	proc     *proc
	store    *store.Store
	m        *store.Machine
	name     string
	host     string // as dialed: an IP address or a DNS name
	port     int
	timeout  time.Duration
	now      time.Time
	ca       *x509.Certificate
	client   tls.Certificate
	leaf     *x509.Certificate // the client certificate
	certPath string
	custom   bool // the client certificate is not the machine's own
	spool    string
}

func newProbe(c *cli.Context, p *proc) (*probe, error) {
	name, err := machineNameArg(c)
	if err != nil {
		return nil, err
	}
	timeout, err := time.ParseDuration(c.String("timeout"))
	if err != nil || timeout <= 0 {
		return nil, withHint(fmt.Errorf("--timeout %q: not a positive duration", c.String("timeout")), "write it as 10s or 1m")
	}
	s, m, err := loadMachine(c, p, name)
	if err != nil {
		return nil, err
	}
	pb := &probe{proc: p, store: s, m: m, name: name, host: m.Spec.Address(), port: m.Spec.Port, timeout: timeout, now: s.Now(), certPath: m.ClientDir}
	if u := c.String("url"); u != "" {
		if pb.host, pb.port, err = parseDockerURL(u, pb.port); err != nil {
			return nil, withHint(err, "dockbake verify %s --url tcp://203.0.113.10:2376", name)
		}
	}
	if pb.host == "" {
		return nil, withHint(fmt.Errorf("machine %q is not attached: it has no address yet", name),
			"dockbake attach %s --ip ADDRESS gives it one; dockbake verify %s --url tcp://ADDRESS:%d checks a host before", name, name, pb.port)
	}
	if dir := c.String("cert-path"); dir != "" {
		pb.certPath, pb.custom = dir, true
	}
	pb.spool = c.String("test-spool-dir")
	if pb.ca, err = m.CACert(); err != nil {
		return nil, withHint(fmt.Errorf("machine %q: reading its CA certificate: %w", name, err), "dockbake rm --force %s and create it again", name)
	}
	return pb, pb.loadClient()
}

// parseDockerURL reads tcp://HOST:PORT, HOST:PORT or HOST.
func parseDockerURL(s string, defaultPort int) (string, int, error) {
	raw := s
	if !strings.Contains(s, "://") {
		raw = "tcp://" + s
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "tcp" || u.Hostname() == "" || (u.Path != "" && u.Path != "/") {
		return "", 0, fmt.Errorf("--url %q: not a tcp://HOST:PORT address", s)
	}
	port := defaultPort
	if ps := u.Port(); ps != "" {
		if port, err = strconv.Atoi(ps); err != nil || port < 1 || port > 65535 {
			return "", 0, fmt.Errorf("--url %q: not a TCP port", s)
		}
	}
	return u.Hostname(), port, nil
}

func (p *probe) loadClient() error {
	files := store.ClientFilesIn(p.certPath)
	certPEM, err := os.ReadFile(files.Cert)
	if err != nil {
		return withHint(fmt.Errorf("reading the client certificate: %w", err), "--cert-path must name a directory with cert.pem and key.pem, as made by dockbake client add")
	}
	keyPEM, err := os.ReadFile(files.Key)
	if err != nil {
		return withHint(fmt.Errorf("reading the client key: %w", err), "--cert-path must name a directory with cert.pem and key.pem, as made by dockbake client add")
	}
	pair, err := pki.LoadPair(certPEM, keyPEM)
	if err != nil {
		return fmt.Errorf("client certificate in %s: %w", p.certPath, err)
	}
	p.leaf = pair.Cert
	p.client = tls.Certificate{Certificate: [][]byte{pair.Cert.Raw}, PrivateKey: pair.Key, Leaf: pair.Cert}
	return nil
}

func (p *probe) addr() string { return net.JoinHostPort(p.host, strconv.Itoa(p.port)) }

// report prints one line of the check list on stdout.
func (p *probe) report(status, step, format string, args ...any) {
	fmt.Fprintf(p.proc.stdout, "%-4s %-7s %s\n", status, step, fmt.Sprintf(format, args...))
}

// fail reports a failed step and returns its diagnosis with the fix.
func (p *probe) fail(step, short string, err error, hint string, args ...any) error {
	p.report("FAIL", step, "%s", short)
	return withHint(fmt.Errorf("%s: %w", p.name, err), hint, args...)
}

func (p *probe) run(ctx context.Context) error {
	d := net.Dialer{Timeout: p.timeout}
	conn, err := d.DialContext(ctx, "tcp", p.addr())
	if err != nil {
		return p.dialFailed(err)
	}
	defer conn.Close()
	p.report("ok", "connect", "%s accepts TCP connections", p.addr())
	tc, err := p.handshake(ctx, conn)
	if err != nil {
		return err
	}
	state := tc.ConnectionState()
	server := state.PeerCertificates[0]
	for _, check := range []func(*x509.Certificate, []*x509.Certificate) error{p.checkChain, p.checkName, p.checkExpiry} {
		if err := check(server, state.PeerCertificates[1:]); err != nil {
			return err
		}
	}
	if err := p.checkDocker(tc); err != nil {
		return err
	}
	if err := p.checkAnonymous(ctx); err != nil {
		return err
	}
	p.checkLastDelivery(ctx, server)
	return nil
}

func (p *probe) dialFailed(err error) error {
	var dnsErr *net.DNSError
	var nerr net.Error
	switch {
	case errors.As(err, &dnsErr):
		return p.fail("connect", "cannot resolve "+p.host, fmt.Errorf("cannot resolve %q: %w", p.host, err),
			"check the name; if the host has a new address, run dockbake regenerate-certs %s --ip ADDRESS", p.name)
	case errors.Is(err, syscall.ECONNREFUSED):
		return p.fail("connect", "connection refused", fmt.Errorf("nothing listens at %s: the connection was refused", p.addr()),
			"dockerd is not running or not on port %d: if the host was just launched, wait for cloud-init to finish and run dockbake verify %s again; on the host, systemctl status docker says why dockerd is down", p.port, p.name)
	case errors.As(err, &nerr) && nerr.Timeout():
		return p.fail("connect", "no answer", fmt.Errorf("no answer from %s within %s: a firewall drops the connection, or the host is down", p.addr(), p.timeout),
			"open TCP port %d to this computer in the host's firewall or security group, and check that the host runs (dockbake url %s shows the address)", p.port, p.name)
	case errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH):
		return p.fail("connect", "no route", fmt.Errorf("no route to %s: %w", p.addr(), err),
			"check the address (dockbake url %s) and this computer's network", p.name)
	}
	return p.fail("connect", "failed", fmt.Errorf("connecting to %s: %w", p.addr(), err), "check the address: dockbake url %s", p.name)
}

// handshake runs the TLS handshake without verifying the server: the checks
// after it verify one property at a time, so each failure gets its own
// diagnosis. Nothing but the handshake is sent before they pass.
func (p *probe) handshake(ctx context.Context, conn net.Conn) (*tls.Conn, error) {
	cfg := &tls.Config{
		InsecureSkipVerify: true,
		ServerName:         p.host,
		MinVersion:         tls.VersionTLS12,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return &p.client, nil
		},
	}
	tc := tls.Client(conn, cfg)
	tc.SetDeadline(time.Now().Add(p.timeout))
	err := tc.HandshakeContext(ctx)
	var rh tls.RecordHeaderError
	var nerr net.Error
	switch {
	case err == nil:
		p.report("ok", "tls", "TLS handshake with %s", tls.VersionName(tc.ConnectionState().Version))
		return tc, nil
	case errors.As(err, &rh) && strings.HasPrefix(string(rh.RecordHeader[:]), "HTTP/"):
		return nil, p.fail("tls", "plain HTTP, no TLS", fmt.Errorf("%s answers plain HTTP, not TLS: dockerd listens there without TLS, and anyone who reaches the port controls the host", p.addr()),
			"firewall port %d now, then give the host the user-data of dockbake render %s, which turns on --tlsverify", p.port, p.name)
	case errors.As(err, &rh):
		return nil, p.fail("tls", "not TLS", fmt.Errorf("%s does not speak TLS: another service listens on port %d", p.addr(), p.port),
			"check that port %d is dockerd's TLS port (dockbake url %s)", p.port, p.name)
	case errors.As(err, &nerr) && nerr.Timeout():
		return nil, p.fail("tls", "no TLS answer", fmt.Errorf("%s accepted the connection but did not answer the TLS handshake within %s", p.addr(), p.timeout),
			"something other than dockerd may hold port %d: on the host, ss -ltnp shows which program", p.port)
	}
	return nil, p.fail("tls", "handshake failed", fmt.Errorf("TLS handshake with %s: %w", p.addr(), err),
		"on the host, journalctl -u docker shows dockerd's TLS errors")
}

// checkAnonymous fails a host that serves the Docker API, which is root on
// the host, to a client without a certificate, as dockerd does with
// --tlsverify=false.
func (p *probe) checkAnonymous(ctx context.Context) error {
	d := net.Dialer{Timeout: p.timeout}
	conn, err := d.DialContext(ctx, "tcp", p.addr())
	if err != nil {
		return p.fail("auth", "second connection failed", fmt.Errorf("connecting again to %s: %w", p.addr(), err), "run dockbake verify %s again", p.name)
	}
	defer conn.Close()
	tc := tls.Client(conn, &tls.Config{InsecureSkipVerify: true, ServerName: p.host, MinVersion: tls.VersionTLS12})
	tc.SetDeadline(time.Now().Add(p.timeout))
	req, _ := http.NewRequest(http.MethodGet, "https://"+p.addr()+"/version", nil)
	req.Close = true
	if err := tc.HandshakeContext(ctx); err == nil {
		if resp, err := p.roundTrip(tc, req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p.fail("auth", "no client certificate required", fmt.Errorf("the host answers clients without a certificate: anyone who reaches %s controls Docker there (dockerd runs without --tlsverify)", p.addr()),
					"firewall port %d now, then give the host the user-data of dockbake render %s, which sets --tlsverify", p.port, p.name)
			}
		}
	}
	p.report("ok", "auth", "the host refuses clients without a certificate")
	return nil
}

// dockerVersion is the part of GET /version that the report shows.
type dockerVersion struct {
	Version    string
	APIVersion string `json:"ApiVersion"`
	Os         string
	Arch       string
}

// checkDocker asks the Docker API for /version over the verified
// connection. With TLS 1.3 the host judges the client certificate only
// now, so a refusal shows up here.
func (p *probe) checkDocker(tc *tls.Conn) error {
	tc.SetDeadline(time.Now().Add(p.timeout))
	req, _ := http.NewRequest(http.MethodGet, "https://"+p.addr()+"/version", nil)
	req.Close = true
	resp, err := p.roundTrip(tc, req)
	if err != nil {
		return p.refused(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return p.fail("docker", resp.Status, fmt.Errorf("GET /version answered %s", resp.Status),
			"check that port %d is dockerd's (dockbake url %s)", p.port, p.name)
	}
	var v dockerVersion
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&v); err != nil || v.Version == "" {
		return p.fail("docker", "not a Docker API", errors.New("the answer to GET /version is not the Docker API's"),
			"check that port %d is dockerd's (dockbake url %s)", p.port, p.name)
	}
	p.report("ok", "docker", "Docker %s (API %s) on %s/%s", v.Version, v.APIVersion, v.Os, v.Arch)
	return nil
}

func (p *probe) roundTrip(tc *tls.Conn, req *http.Request) (*http.Response, error) {
	if err := req.Write(tc); err != nil {
		return nil, err
	}
	return http.ReadResponse(bufio.NewReader(tc), req)
}

// refused explains an error on the first request: the host dropped the
// connection or sent an alert because it does not accept the client
// certificate.
func (p *probe) refused(err error) error {
	var nerr net.Error
	var op *net.OpError
	remote := errors.As(err, &op) && op.Op == "remote error"
	if !remote && errors.As(err, &nerr) && nerr.Timeout() {
		return p.fail("docker", "no answer", fmt.Errorf("no answer to GET /version within %s", p.timeout),
			"on the host, journalctl -u docker shows whether dockerd hangs")
	}
	if !remote && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, syscall.ECONNRESET) {
		return p.fail("docker", "request failed", fmt.Errorf("GET /version: %w", err), "run dockbake verify %s again; if it persists, journalctl -u docker on the host", p.name)
	}
	why := "the connection was closed"
	if remote {
		why = op.Err.Error()
	}
	if p.leaf.CheckSignatureFrom(p.ca) != nil {
		return p.fail("auth", "client certificate refused", fmt.Errorf("the host refused the client certificate in %s (%s): it was issued by another CA than %s's current one", p.certPath, why, p.name),
			"%s", p.newClientHint())
	}
	return p.fail("auth", "client certificate refused", fmt.Errorf("the host refused %s's client certificate (%s): it trusts another CA than %s's, from before dockbake regenerate-certs %s --ca or another machine's", p.name, why, p.name, p.name),
		"give the host the user-data of dockbake render %s", p.name)
}
