package deliver

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/dockbake/dockbake/pki"
)

// Pin is what a connection to a host trusts: exactly the listed server
// certificates, whatever names they carry (an unattached host's
// certificate names only localhost), and the client certificate it
// presents.
type Pin struct {
	// Servers are the server certificates accepted; any other is refused.
	Servers []*x509.Certificate
	// Client is the client certificate and key presented to dockerd.
	Client tls.Certificate
	// Next, if set, is a client certificate of another CA, presented when
	// the host asks for that CA's: after a delivery of a new CA (attach
	// --from), the host trusts only the new machine's client certificate.
	Next *tls.Certificate
	// Owner names the machine a presented certificate belongs to, by its
	// SHA-256 fingerprint, or "" if it is nobody's known.
	Owner func(fingerprint string) string
}

// PinError is a host that presented another certificate than the pinned
// ones.
type PinError struct {
	Addr        string
	Fingerprint string // of the presented certificate
	Owner       string // the machine of the store it belongs to, or ""
}

// Error says what the host presented and, if known, whose it is.
func (e *PinError) Error() string {
	if e.Owner != "" {
		return fmt.Sprintf("%s presents the server certificate of machine %q, not the one issued for this machine", e.Addr, e.Owner)
	}
	return fmt.Sprintf("%s presents a server certificate this store did not issue for this machine (SHA-256 %s)", e.Addr, e.Fingerprint)
}

// TLSConfig is the client configuration for p. The server is checked by
// VerifyConnection against the pinned certificates rather than by name:
// the store issued the certificate, so the certificate itself is the
// identity, and the address dialled need not be in it yet.
func (p Pin) TLSConfig(addr string) *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // replaced by VerifyConnection's exact match
		Certificates:       p.clients(),
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return fmt.Errorf("%s presents no certificate", addr)
			}
			leaf := cs.PeerCertificates[0]
			for _, s := range p.Servers {
				if bytes.Equal(s.Raw, leaf.Raw) {
					return nil
				}
			}
			e := &PinError{Addr: addr, Fingerprint: pki.Fingerprint(leaf)}
			if p.Owner != nil {
				e.Owner = p.Owner(e.Fingerprint)
			}
			return e
		},
	}
}

// clients are the client certificates, in order of preference. Go's TLS
// client presents the first one whose issuer is among the CAs the server
// names in its certificate request (dockerd names its client CAs).
func (p Pin) clients() []tls.Certificate {
	if p.Next == nil {
		return []tls.Certificate{p.Client}
	}
	return []tls.Certificate{p.Client, *p.Next}
}

// Handshake dials addr and completes a TLS handshake under p; it sends no
// request. A nil error means the host serves one of p's certificates and
// accepted the client certificate.
func (p Pin) Handshake(ctx context.Context, addr string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	d := tls.Dialer{NetDialer: &net.Dialer{}, Config: p.TLSConfig(addr)}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	// TLS 1.3 reports a refused client certificate only on the first read.
	tc := c.(*tls.Conn)
	tc.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	var one [1]byte
	_, err = tc.Read(one[:])
	c.Close()
	var ne net.Error
	if err == nil || errors.As(err, &ne) && ne.Timeout() {
		return nil
	}
	return err
}
