// Package dmtest lays out a Docker Machine store exactly as Docker Machine
// v0.16.2 writes it, for tests of the import: the directory tree and file
// modes, config.json in its ConfigVersion 3 shape with absolute paths, and
// certificates with Docker Machine's profile (RSA-2048 keys in PKCS #1, a
// subject of O only, 1080 days from a NotBefore truncated to the minute and
// backdated five minutes).
package dmtest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Host is one machine to lay out, as docker-machine create --driver
// generic makes it. (Docker Machine calls a machine a host:
// libmachine/host.Host.)
type Host struct {
	Name string
	// IP is --generic-ip-address: an IP address or a host name.
	IP string
	// EnginePort is --generic-engine-port; 0 means 2376.
	EnginePort int
	// TLSSANs are create --tls-san values.
	TLSSANs []string
	// Labels are --engine-label values. (Docker Machine adds
	// provider=generic only to the dockerd flags, not to config.json.)
	Labels []string
	// ForeignCA signs the server certificate with another CA, as after
	// Docker Machine replaced an expired CA.
	ForeignCA bool
	// CAStore is the root of another store laid out by Write whose CA and
	// client certificate the machine uses, as docker-machine create
	// --tls-ca-cert, --tls-ca-key, --tls-client-cert and --tls-client-key
	// pointing into that store's certs/ do: config.json names those files
	// there, and the per-machine copies are theirs.
	CAStore string
}

// Store is a laid-out Docker Machine store.
type Store struct {
	Root string
	// CA signs the certificates in certs/ and the server certificates.
	CA *x509.Certificate
}

type pair struct {
	cert *x509.Certificate
	key  *rsa.PrivateKey
}

// Write lays out a store at root for user ($USER) at time now.
func Write(root, user string, now time.Time, machines ...Host) (*Store, error) {
	certs := filepath.Join(root, "certs")
	for _, d := range []string{certs, filepath.Join(root, "machines")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	ca, err := issue(caTemplate(user, now), nil)
	if err != nil {
		return nil, err
	}
	client, err := issue(clientTemplate(user, now), &ca)
	if err != nil {
		return nil, err
	}
	if err := writePair(certs, "ca.pem", "ca-key.pem", ca); err != nil {
		return nil, err
	}
	if err := writePair(certs, "cert.pem", "key.pem", client); err != nil {
		return nil, err
	}
	for _, m := range machines {
		if err := writeMachine(root, user, now, m, ca, client); err != nil {
			return nil, fmt.Errorf("machine %s: %w", m.Name, err)
		}
	}
	return &Store{Root: root, CA: ca.cert}, nil
}

func writeMachine(root, user string, now time.Time, m Host, ca, client pair) error {
	dir := filepath.Join(root, "machines", m.Name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if m.CAStore != "" {
		var err error
		certs := filepath.Join(m.CAStore, "certs")
		if ca, err = readPair(certs, "ca.pem", "ca-key.pem"); err != nil {
			return err
		}
		if client, err = readPair(certs, "cert.pem", "key.pem"); err != nil {
			return err
		}
	}
	signer := ca
	if m.ForeignCA {
		var err error
		if signer, err = issue(caTemplate(user, now), nil); err != nil {
			return err
		}
	}
	// ConfigureAuth: hosts = --tls-san values, the IP, "localhost".
	srv, err := issue(serverTemplate(user, m.Name, now, append(append([]string{}, m.TLSSANs...), m.IP, "localhost")), &signer)
	if err != nil {
		return err
	}
	if err := writePair(dir, "server.pem", "server-key.pem", srv); err != nil {
		return err
	}
	// The per-machine copies that DOCKER_CERT_PATH points at.
	if err := writePair(dir, "ca.pem", "", ca); err != nil {
		return err
	}
	if err := writePair(dir, "cert.pem", "key.pem", client); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		mode os.FileMode
	}{{"id_rsa", 0o600}, {"id_rsa.pub", 0o644}} {
		if err := os.WriteFile(filepath.Join(dir, f.name), []byte("not a real SSH key\n"), f.mode); err != nil {
			return err
		}
	}
	data, err := json.MarshalIndent(hostConfig(root, m), "", "    ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "config.json"), data, 0o600)
}

// base is libmachine/cert's newCertificate.
func base(org string, now time.Time) *x509.Certificate {
	notBefore := time.Date(now.Year(), now.Month(), now.Day(), now.Hour(), now.Minute()-5, 0, 0, time.Local)
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	return &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{org}},
		NotBefore:             notBefore,
		NotAfter:              notBefore.Add(24 * time.Hour * 1080),
		KeyUsage:              x509.KeyUsageKeyEncipherment | x509.KeyUsageDigitalSignature | x509.KeyUsageKeyAgreement,
		BasicConstraintsValid: true,
	}
}

func caTemplate(user string, now time.Time) *x509.Certificate {
	t := base(user, now)
	t.IsCA = true
	t.KeyUsage |= x509.KeyUsageCertSign
	return t
}

func clientTemplate(user string, now time.Time) *x509.Certificate {
	t := base(user+".<bootstrap>", now)
	t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	t.KeyUsage = x509.KeyUsageDigitalSignature
	return t
}

func serverTemplate(user, name string, now time.Time, hosts []string) *x509.Certificate {
	t := base(user+"."+name, now)
	t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			t.IPAddresses = append(t.IPAddresses, ip)
		} else {
			t.DNSNames = append(t.DNSNames, h)
		}
	}
	return t
}

// issue signs t with a new RSA-2048 key, by issuer or self-signed.
func issue(t *x509.Certificate, issuer *pair) (pair, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return pair{}, err
	}
	parent, signer := t, crypto.Signer(key)
	if issuer != nil {
		parent, signer = issuer.cert, issuer.key
	}
	der, err := x509.CreateCertificate(rand.Reader, t, parent, key.Public(), signer)
	if err != nil {
		return pair{}, err
	}
	c, err := x509.ParseCertificate(der)
	return pair{cert: c, key: key}, err
}

// readPair reads a pair that writePair wrote.
func readPair(dir, certName, keyName string) (pair, error) {
	certPEM, err := os.ReadFile(filepath.Join(dir, certName))
	if err != nil {
		return pair{}, err
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, keyName))
	if err != nil {
		return pair{}, err
	}
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return pair{}, fmt.Errorf("%s or %s is not PEM", certName, keyName)
	}
	c, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return pair{}, err
	}
	key, err := x509.ParsePKCS1PrivateKey(kb.Bytes)
	return pair{cert: c, key: key}, err
}

func writePair(dir, certName, keyName string, p pair) error {
	if err := os.WriteFile(filepath.Join(dir, certName), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.cert.Raw}), 0o644); err != nil {
		return err
	}
	if keyName == "" {
		return nil
	}
	key := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(p.key)})
	return os.WriteFile(filepath.Join(dir, keyName), key, 0o600)
}
