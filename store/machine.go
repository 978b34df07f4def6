package store

import (
	"crypto/x509"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/pki"
)

// RecordVersion is the format version of machine.json.
const RecordVersion = 1

// The files of a DOCKER_CERT_PATH directory, named as the docker CLI reads
// them: a machine's client directory, one made by AddClient, and a docker
// context's TLS directory hold exactly these.
const (
	ClientCAFile   = "ca.pem"
	ClientCertFile = "cert.pem"
	ClientKeyFile  = "key.pem"
)

// File names inside a machine's host directory and a CA directory.
const (
	recordFile     = "machine.json"
	caCertFile     = "ca.pem"
	caKeyFile      = "ca-key.pem"
	serverCertFile = "server.pem"
	serverKeyFile  = "server-key.pem"
	// The CA that takes over in a two-step CA rotation, in the host
	// directory until FinishCA makes it the machine's CA.
	nextCACertFile = "ca-next.pem"
	nextCAKeyFile  = "ca-next-key.pem"
)

// Record is a machine's machine.json: everything about the machine that is
// not a certificate or a key.
type Record struct {
	Version     int       `json:"version"`
	Name        string    `json:"name"`
	CreatedAt   time.Time `json:"created_at"`
	ToolVersion string    `json:"tool_version"`
	// CA names the shared CA the machine is on; empty: a CA of its own.
	CA string `json:"ca,omitempty"`
	// CAFingerprint is the SHA-256 fingerprint of the machine's CA
	// certificate. Every copy of the CA certificate that is read is checked
	// against it.
	CAFingerprint string `json:"ca_fingerprint"`
	// NextCAFingerprint is set while the machine's CA is being replaced in
	// two steps (StartCA, then FinishCA): the fingerprint of the CA that
	// takes over. Meanwhile the host and the clients trust both CAs.
	NextCAFingerprint string      `json:"next_ca_fingerprint,omitempty"`
	KeyType           pki.KeyType `json:"key_type"`
	// ThrowawayServerKey is set from an attach-only create until attach:
	// the store never kept the server key, which only the user-data holds.
	ThrowawayServerKey bool `json:"throwaway_server_key,omitempty"`
	// Spec is the machine's spec, strictly decoded and validated whenever
	// the record is loaded.
	Spec generator.Spec `json:"spec"`
	// ManagedBy names the tool whose record is the truth about the machine,
	// e.g. "terraform": the store holds a mirror of it, and the CLI refuses
	// to change it without --force. Empty: the store is the truth.
	ManagedBy string `json:"managed_by,omitempty"`
	// Fleet names the fleet inventory the machine belongs to (its
	// `fleet:` key, else the inventory file's name without extension);
	// empty: made outside any fleet, and never touched by one.
	Fleet string `json:"fleet,omitempty"`
}

// Machine is one machine of the store, the model every front end converts
// to and from: its record with the validated spec, where its files are, and
// its certificates as they were read together with the record.
type Machine struct {
	Record
	// StoreDir is the root of the store the machine is in.
	StoreDir string
	// ClientDir is the DOCKER_CERT_PATH directory: ca.pem, cert.pem and
	// key.pem, nothing else.
	ClientDir string
	// HostDir holds the record, the server key pair, a CA of the machine's
	// own and clients/, the certificates of AddClient.
	HostDir string
	// CADir holds the CA that signs the machine's certificates: HostDir, or
	// the directory of the shared CA.
	CADir string
	// Warnings are problems that do not stop use, such as a key file that
	// others can read.
	Warnings []string
	// files are the certificates and the server key, read with the record
	// under the store's lock. A pointer, so that printing a Machine never
	// prints a key.
	files *snapshot
}

// ClientFiles are the paths of the files in a DOCKER_CERT_PATH directory.
type ClientFiles struct {
	CA, Cert, Key string
}

// ClientFilesIn returns the paths of the client files in dir.
func ClientFilesIn(dir string) ClientFiles {
	return ClientFiles{
		CA:   filepath.Join(dir, ClientCAFile),
		Cert: filepath.Join(dir, ClientCertFile),
		Key:  filepath.Join(dir, ClientKeyFile),
	}
}

// ClientFiles returns the paths of the machine's own client files.
func (m *Machine) ClientFiles() ClientFiles { return ClientFilesIn(m.ClientDir) }

// ErrThrowaway is asking for the host files of an attach-only machine
// before its attach: its server key went into the user-data only.
var ErrThrowaway = errors.New("its server key was a throwaway that only its user-data holds: attach it, or issue new user-data with regenerate-certs")

// errNotLoaded is returned by the certificate accessors of a Machine that
// was not read from a store.
var errNotLoaded = errors.New("not loaded from a store")

// HostCerts returns the files that go onto the machine's host: its CA
// certificate, checked against the record, and its server key pair. The CA
// key is never among them.
func (m *Machine) HostCerts() (*generator.HostCerts, error) {
	if m.files == nil {
		return nil, fmt.Errorf("machine %q: %w", m.Name, errNotLoaded)
	}
	f := m.files
	if m.ThrowawayServerKey && f.serverKey.err != nil {
		return nil, fmt.Errorf("machine %q: %w", m.Name, ErrThrowaway)
	}
	for _, r := range []fileRead{f.caCert, f.serverCert, f.serverKey} {
		if r.err != nil {
			return nil, fmt.Errorf("machine %q: %w", m.Name, r.err)
		}
	}
	if _, err := pki.LoadPair(f.serverCert.data, f.serverKey.data); err != nil {
		return nil, &CorruptError{Path: m.HostDir, Err: err}
	}
	if _, err := checkTrust(&m.Record, f.caCert.path, f.caCert.data); err != nil {
		return nil, err
	}
	return &generator.HostCerts{CACert: f.caCert.data, ServerCert: f.serverCert.data, ServerKey: f.serverKey.data}, nil
}

// Plan builds what goes onto the machine's host from its spec and host
// certificates.
func (m *Machine) Plan() (*generator.Plan, error) {
	hc, err := m.HostCerts()
	if err != nil {
		return nil, err
	}
	return generator.BuildPlan(m.Spec, *hc)
}

// CACert returns the certificate of the machine's CA, as its clients trust
// it, checked against the fingerprint in the record. During a two-step CA
// rotation it is the CA being replaced, which still signs the server
// certificate; TrustedCAs has both.
func (m *Machine) CACert() (*x509.Certificate, error) {
	cas, err := m.TrustedCAs()
	if err != nil {
		return nil, err
	}
	return cas[0], nil
}

// TrustedCAs returns the CAs the machine's host and clients trust: its CA
// and, during a two-step CA rotation, the one that takes over, each
// checked against the record.
func (m *Machine) TrustedCAs() ([]*x509.Certificate, error) {
	r, err := m.file(func(f *snapshot) fileRead { return f.caCert })
	if err != nil {
		return nil, err
	}
	return checkTrust(&m.Record, r.path, r.data)
}

// Rotating reports whether a two-step CA rotation is under way.
func (m *Machine) Rotating() bool { return m.NextCAFingerprint != "" }

// ServerCert returns the machine's server certificate.
func (m *Machine) ServerCert() (*x509.Certificate, error) {
	return m.cert(func(f *snapshot) fileRead { return f.serverCert })
}

// ClientCert returns the machine's own client certificate.
func (m *Machine) ClientCert() (*x509.Certificate, error) {
	return m.cert(func(f *snapshot) fileRead { return f.clientCert })
}

// cert parses the certificate that pick chooses from the snapshot.
func (m *Machine) cert(pick func(*snapshot) fileRead) (*x509.Certificate, error) {
	r, err := m.file(pick)
	if err != nil {
		return nil, err
	}
	return pki.ParseCertificate(r.data)
}

// file returns the file that pick chooses from the snapshot, or the error
// reading it gave.
func (m *Machine) file(pick func(*snapshot) fileRead) (fileRead, error) {
	if m.files == nil {
		return fileRead{}, fmt.Errorf("machine %q: %w", m.Name, errNotLoaded)
	}
	r := pick(m.files)
	return r, r.err
}
