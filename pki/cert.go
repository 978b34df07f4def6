package pki

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strings"
	"time"
)

// Options set how a key pair is made. The zero value means ECDSA P-256, the
// default lifetime of the role and the wall clock.
type Options struct {
	KeyType  KeyType
	Validity time.Duration
	Now      func() time.Time
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o Options) keyType() KeyType {
	if o.KeyType == "" {
		return DefaultKeyType
	}
	return o.KeyType
}

func (o Options) validity(role Role) time.Duration {
	switch {
	case o.Validity > 0:
		return o.Validity
	case role == RoleCA:
		return DefaultCAValidity
	}
	return DefaultCertValidity
}

// SANs are the names a server certificate is valid for.
type SANs struct {
	IPs      []net.IP
	DNSNames []string
}

// ErrOutlivesCA is returned for a certificate whose lifetime would end
// after its CA's.
var ErrOutlivesCA = errors.New("outlive its CA")

// Pair is a certificate with its private key.
type Pair struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// CertPEM returns the certificate as a PEM block.
func (p *Pair) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.Cert.Raw})
}

// KeyPEM returns the private key as a PKCS #8 PEM block.
func (p *Pair) KeyPEM() ([]byte, error) { return EncodeKey(p.Key) }

// NewCA makes a self-signed certificate authority named cn.
func NewCA(cn string, o Options) (*Pair, error) {
	key, err := GenerateKey(o.keyType())
	if err != nil {
		return nil, err
	}
	t := template(RoleCA, cn, key.Public(), o.now(), o.validity(RoleCA))
	return sign(t, key, nil)
}

// IssueServer makes a certificate for a Docker host, valid for sans only.
func (ca *Pair) IssueServer(cn string, sans SANs, o Options) (*Pair, error) {
	if len(sans.IPs)+len(sans.DNSNames) == 0 {
		return nil, errors.New("a server certificate needs at least one IP address or DNS name")
	}
	return ca.issue(RoleServer, cn, o, func(t *x509.Certificate) {
		t.IPAddresses = sans.IPs
		t.DNSNames = sans.DNSNames
	})
}

// IssueClient makes a certificate that the docker CLI presents to a host.
func (ca *Pair) IssueClient(cn string, o Options) (*Pair, error) {
	return ca.issue(RoleClient, cn, o, nil)
}

func (ca *Pair) issue(role Role, cn string, o Options, edit func(*x509.Certificate)) (*Pair, error) {
	if !ca.Cert.IsCA {
		return nil, fmt.Errorf("certificate %q is not a CA", ca.Cert.Subject.CommonName)
	}
	key, err := GenerateKey(o.keyType())
	if err != nil {
		return nil, err
	}
	t := template(role, cn, key.Public(), o.now(), o.validity(role))
	if t.NotAfter.After(ca.Cert.NotAfter) {
		return nil, fmt.Errorf("a %s certificate valid until %s would %w, which expires %s: choose a shorter validity or a new CA",
			role, t.NotAfter.Format(time.DateOnly), ErrOutlivesCA, ca.Cert.NotAfter.Format(time.DateOnly))
	}
	if edit != nil {
		edit(t)
	}
	return sign(t, key, ca)
}

// sign fills in the serial number and signs t with the issuer's key, or
// with key itself when issuer is nil.
func sign(t *x509.Certificate, key crypto.Signer, issuer *Pair) (*Pair, error) {
	// RFC 5280 §4.1.2.2 allows 20 octets; 128 random bits make collisions
	// and prediction impractical.
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("generating serial number: %w", err)
	}
	t.SerialNumber = serial
	parent, signer := t, key
	if issuer != nil {
		parent, signer = issuer.Cert, issuer.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, t, parent, key.Public(), signer)
	if err != nil {
		return nil, fmt.Errorf("signing %q: %w", t.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &Pair{Cert: cert, Key: key}, nil
}

// ParseCertificate reads the first PEM certificate in data.
func ParseCertificate(data []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM certificate found")
	}
	return x509.ParseCertificate(block.Bytes)
}

// LoadPair reads a certificate and its key and checks that they belong
// together.
func LoadPair(certPEM, keyPEM []byte) (*Pair, error) {
	cert, err := ParseCertificate(certPEM)
	if err != nil {
		return nil, err
	}
	key, err := ParseKey(keyPEM)
	if err != nil {
		return nil, err
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("private key does not match certificate %q", cert.Subject.CommonName)
	}
	return &Pair{Cert: cert, Key: key}, nil
}

// Fingerprint is the SHA-256 of the certificate's DER, as colon-separated
// upper-case hex, the form `openssl x509 -fingerprint -sha256` prints.
func Fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	var b strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}

// IsFingerprint reports whether s has the form Fingerprint gives: 32
// pairs of upper-case hex digits, joined by colons.
func IsFingerprint(s string) bool {
	if len(s) != 32*3-1 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if i%3 == 2 {
			if c != ':' {
				return false
			}
		} else if !('0' <= c && c <= '9' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
