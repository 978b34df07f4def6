package engine_test

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/dockbake/dockbake/internal/dockerdtest"
	"github.com/dockbake/dockbake/internal/testenv"
	"github.com/dockbake/dockbake/pki"
)

// daemon is a real dockerd on loopback that demands client certificates,
// and the client configuration that it accepts.
type daemon struct {
	addr   string
	client *tls.Config
	ca     *pki.Pair
}

// startDaemon starts dockerd with mutual TLS on 127.0.0.1 and with
// live-restore on (Info reports it).
func startDaemon(t *testing.T) *daemon {
	t.Helper()
	testenv.Root(t, "dockerd runs as root")
	testenv.LookPath(t, "dockerd", "apt-get install docker.io")
	ca, err := pki.NewCA("engine test CA", pki.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	srv, _ := issue(t, ca, "server", true)
	key, err := srv.KeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "ca.pem"), ca.CertPEM())
	write(t, filepath.Join(dir, "server.pem"), srv.CertPEM())
	write(t, filepath.Join(dir, "server-key.pem"), key)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(testenv.FreePort(t, "127.0.0.1")))
	dockerdtest.Start(t, "-H", "tcp://"+addr, "--tlsverify", "--live-restore",
		"--tlscacert="+filepath.Join(dir, "ca.pem"), "--tlscert="+filepath.Join(dir, "server.pem"), "--tlskey="+filepath.Join(dir, "server-key.pem"))
	_, cli := issue(t, ca, "client", false)
	return &daemon{addr: addr, client: clientConfig(ca, cli), ca: ca}
}

// issue is a certificate of ca for 127.0.0.1 (server) or a client
// certificate, as a pair and as a TLS certificate.
func issue(t *testing.T, ca *pki.Pair, cn string, server bool) (*pki.Pair, tls.Certificate) {
	t.Helper()
	var p *pki.Pair
	var err error
	if server {
		p, err = ca.IssueServer(cn, pki.SANs{IPs: []net.IP{net.IPv4(127, 0, 0, 1)}}, pki.Options{})
	} else {
		p, err = ca.IssueClient(cn, pki.Options{})
	}
	if err != nil {
		t.Fatal(err)
	}
	key, err := p.KeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(p.CertPEM(), key)
	if err != nil {
		t.Fatal(err)
	}
	return p, cert
}

// clientConfig trusts ca and presents cert.
func clientConfig(ca *pki.Pair, cert tls.Certificate) *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	return &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
}

func write(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// recorder is an HTTPS proxy on loopback in front of the daemon that
// records each request's path and may rewrite the Api-Version the daemon
// reports.
type recorder struct {
	addr  string
	mu    sync.Mutex
	paths []string
}

func (r *recorder) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.paths...)
}

// proxy starts a recorder for d; apiVersion, if set, replaces the
// Api-Version header of every answer.
func (d *daemon) proxy(t *testing.T, apiVersion string) *recorder {
	t.Helper()
	rec := &recorder{}
	target := &url.URL{Scheme: "https", Host: d.addr}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = &http.Transport{TLSClientConfig: d.client}
	if apiVersion != "" {
		rp.ModifyResponse = func(resp *http.Response) error {
			resp.Header.Set("Api-Version", apiVersion)
			return nil
		}
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		rec.mu.Lock()
		rec.paths = append(rec.paths, req.URL.Path)
		rec.mu.Unlock()
		rp.ServeHTTP(w, req)
	}))
	srv.Listener = testenv.Listen(t, "127.0.0.1")
	_, cert := issue(t, d.ca, "proxy", true)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	rec.addr = srv.Listener.Addr().String()
	return rec
}
