package pki

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"time"
)

// Role is what a certificate is for. Each role's key usages are fixed here
// and nowhere else.
type Role int

// The three certificate roles of a machine.
const (
	RoleCA Role = iota
	RoleServer
	RoleClient
)

// String names the role for messages.
func (r Role) String() string {
	switch r {
	case RoleCA:
		return "CA"
	case RoleServer:
		return "server"
	case RoleClient:
		return "client"
	}
	return "unknown"
}

// Default lifetimes. 825 days is the longest leaf lifetime that Apple's and
// the CA/Browser Forum's rules ever allowed; the CA outlives many rotations of
// its leaves so that rotating a server certificate never forces new client
// certificates.
const (
	DefaultCertValidity = 825 * 24 * time.Hour
	DefaultCAValidity   = 10 * 365 * 24 * time.Hour
)

// clockSkew backdates NotBefore: a VM booted from an image often runs a few
// minutes behind until NTP catches up, and a certificate that is "not yet
// valid" fails the TLS handshake (docker/machine#1954).
const clockSkew = 5 * time.Minute

// organization marks every dockbake certificate.
const organization = "dockbake"

// template fills in the fields that depend only on the role. The server
// certificate deliberately gets serverAuth alone: Docker Machine once gave
// server certificates clientAuth too, which let one host's key open another
// host that trusted the same CA.
func template(role Role, cn string, pub crypto.PublicKey, now time.Time, validity time.Duration) *x509.Certificate {
	notBefore := now.Add(-clockSkew).Truncate(time.Second)
	t := &x509.Certificate{
		Subject:               pkix.Name{Organization: []string{organization}, CommonName: cn},
		NotBefore:             notBefore,
		NotAfter:              notBefore.Add(validity),
		BasicConstraintsValid: true,
	}
	switch role {
	case RoleCA:
		t.IsCA = true
		t.MaxPathLen = 0
		t.MaxPathLenZero = true
		t.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	case RoleServer:
		t.KeyUsage = leafKeyUsage(pub)
		t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	case RoleClient:
		t.KeyUsage = leafKeyUsage(pub)
		t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	return t
}

// leafKeyUsage adds KeyEncipherment only for RSA keys, the one algorithm
// where TLS key transport uses it (RFC 5280 §4.2.1.3; Docker Machine set it
// and KeyAgreement on every key).
func leafKeyUsage(pub crypto.PublicKey) x509.KeyUsage {
	if _, ok := pub.(*rsa.PublicKey); ok {
		return x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
	}
	return x509.KeyUsageDigitalSignature
}
