package attach

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/internal/deliver"
	"github.com/dockbake/dockbake/internal/testenv"
	"github.com/dockbake/dockbake/pki"
)

// A host that is not up yet is tried again until the context ends.
func TestDeliverRetriesUnreachable(t *testing.T) {
	defer func(d time.Duration) { RetryEvery = d }(RetryEvery)
	RetryEvery = 50 * time.Millisecond
	addr := closedPort(t)
	tries := 0
	r := request1(t, addr, nil)
	r.Progress = func(string, ...any) { tries++ }
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	err := Deliver(ctx, r, true)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the deadline", err)
	}
	if tries < 2 {
		t.Errorf("tried %d times, want several", tries+1)
	}
	if err := Deliver(context.Background(), r, false); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("without retry: got %v, want the dial error at once", err)
	}
}

// A delivery that cannot be made is refused before any dial.
func TestDeliverRefusesBadDelivery(t *testing.T) {
	r := request1(t, closedPort(t), nil)
	r.Delivery.ServerKey = nil
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := Deliver(ctx, r, true); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want the delivery's own error at once", err)
	}
}

// A host presenting another certificate is an answer: no retry.
func TestDeliverDoesNotRetryWrongHost(t *testing.T) {
	ca, err := pki.NewCA("test CA", pki.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ca.IssueServer("other", pki.SANs{DNSNames: []string{"localhost"}}, pki.Options{})
	if err != nil {
		t.Fatal(err)
	}
	key, _ := srv.KeyPEM()
	cert, err := tls.X509KeyPair(srv.CertPEM(), key)
	if err != nil {
		t.Fatal(err)
	}
	l := tls.NewListener(testenv.Listen(t, "127.0.0.1"), &tls.Config{Certificates: []tls.Certificate{cert}})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	pinned, err := ca.IssueServer("pinned", pki.SANs{DNSNames: []string{"localhost"}}, pki.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := request1(t, l.Addr().String(), pinned.Cert)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	err = Deliver(ctx, r, true)
	var pe *deliver.PinError
	if !errors.As(err, &pe) {
		t.Fatalf("got %v, want a pin error", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %s: a wrong host was retried", time.Since(start))
	}
}

// request1 is a delivery to addr pinned to srv (a fresh one if nil).
func request1(t *testing.T, addr string, srv *x509.Certificate) deliver.Request {
	t.Helper()
	if srv == nil {
		srv = &x509.Certificate{Raw: []byte("none")}
	}
	ca, err := pki.NewCA("delivered CA", pki.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pair, err := ca.IssueServer("delivered", pki.SANs{DNSNames: []string{"localhost"}}, pki.Options{})
	if err != nil {
		t.Fatal(err)
	}
	key, _ := pair.KeyPEM()
	return deliver.Request{Addr: addr, Pin: deliver.Pin{Servers: []*x509.Certificate{srv}},
		Delivery: generator.Delivery{ID: NewID(), CACert: ca.CertPEM(), ServerCert: pair.CertPEM(), ServerKey: key}, New: pair.Cert}
}

// closedPort is a loopback address below 32768 where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	for port := 23760; port < 23800; port++ {
		addr := net.JoinHostPort("127.0.0.1", itoa(port))
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			continue
		}
		return addr
	}
	t.Fatal("no free loopback port")
	return ""
}

func itoa(i int) string { return strconv.Itoa(i) }
