// Package dmimport reads a Docker Machine store (~/.docker/machine, or
// $MACHINE_STORAGE_PATH) so that its machines can move into dockbake with
// the certificates their hosts already run: nothing changes on the hosts.
//
// Docker Machine keeps one CA and one client certificate for all machines in
// certs/, a copy of both in each machines/NAME/ (what DOCKER_CERT_PATH
// pointed at), the server key pair next to them, and machines/NAME/config.json
// with absolute paths to all of it. See libmachine/host and libmachine/auth
// of docker/machine v0.16.2.
package dmimport

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/pki"
	"github.com/dockbake/dockbake/store"
)

// DefaultRoot returns $MACHINE_STORAGE_PATH, else ~/.docker/machine, as
// Docker Machine's commands/mcndirs does.
func DefaultRoot(getenv func(string) string) (string, error) {
	return store.DockerPath(getenv, "MACHINE_STORAGE_PATH", "machine")
}

// Store is a Docker Machine storage directory.
type Store struct {
	Root string
	// Now is the clock that expiry warnings use.
	Now func() time.Time
}

// Open checks that root looks like a Docker Machine store.
func Open(root string) (*Store, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(filepath.Join(abs, "machines"))
	if err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a Docker Machine store: it has no machines directory", abs)
	}
	return &Store{Root: abs, Now: time.Now}, nil
}

// Names lists the machines of the store, sorted.
func (s *Store) Names() ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(s.Root, "machines"))
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && store.PathExists(filepath.Join(s.Root, "machines", e.Name(), "config.json")) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// Host is one machine of a Docker Machine store as Docker Machine keeps it
// (libmachine/host.Host), with the key pairs its host runs. Spec converts
// it to dockbake's machine.
type Host struct {
	Name   string
	Driver string
	// Address is the IP address or host name of DOCKER_HOST.
	Address string
	Port    int
	// ExtraSANs are the server certificate's names from create --tls-san.
	ExtraSANs []string
	// Engine holds the --engine-* options, which dockbake's spec takes
	// as they are.
	Engine generator.Engine
	CA     *pki.Pair
	Server *pki.Pair
	Client *pki.Pair
	// Warnings are problems that do not stop the import.
	Warnings []string
}

// Load reads machine name: its config.json, its server key pair, the CA
// that signed it and a client certificate from that CA.
func (s *Store) Load(name string) (*Host, error) {
	dir := filepath.Join(s.Root, "machines", name)
	cfgPath := filepath.Join(dir, "config.json")
	data, err := os.ReadFile(cfgPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no machine %q in Docker Machine store %s", name, s.Root)
	}
	if err != nil {
		return nil, err
	}
	var cfg hostConfig
	if err := json.Unmarshal(data, &cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", cfgPath, err)
	}
	if err := checkConfig(&cfg, name); err != nil {
		return nil, fmt.Errorf("%s: %w", cfgPath, err)
	}
	m := &Host{Name: name, Driver: cfg.DriverName, ExtraSANs: cfg.HostOptions.AuthOptions.ServerCertSANs}
	if m.Address, m.Port, err = cfg.Driver.address(cfg.DriverName); err != nil {
		return nil, fmt.Errorf("%s: %w", cfgPath, err)
	}
	e := cfg.HostOptions.EngineOptions
	m.Engine = generator.Engine{Opts: e.ArbitraryFlags, Labels: e.Labels, Env: e.Env, RegistryMirrors: e.RegistryMirror,
		InsecureRegistries: e.InsecureRegistry, StorageDriver: e.StorageDriver}
	if err := s.loadCerts(m, cfg.HostOptions.AuthOptions, dir); err != nil {
		return nil, err
	}
	return m, nil
}

func checkConfig(cfg *hostConfig, name string) error {
	switch {
	case cfg.ConfigVersion != configVersion:
		return fmt.Errorf("ConfigVersion %d: this import reads version %d, written by Docker Machine 0.7 and later", cfg.ConfigVersion, configVersion)
	case cfg.Name != name:
		return fmt.Errorf("the machine's Name %q does not match the directory name %q", cfg.Name, name)
	case cfg.DriverName == "none":
		return errors.New(`the machine was added with the "none" driver, so Docker Machine never set up TLS for it: there are no certificates to import`)
	}
	return nil
}

// loadCerts finds the CA (with its key), the server key pair and a client
// key pair issued by that CA.
func (s *Store) loadCerts(m *Host, a authConfig, dir string) error {
	certs := filepath.Join(s.Root, "certs")
	var err error
	m.CA, err = s.loadPair(m, "CA", a.CaCertPath, filepath.Join(certs, "ca.pem"), a.CaPrivateKeyPath, filepath.Join(certs, "ca-key.pem"))
	if err != nil {
		return err
	}
	m.Server, err = s.loadPair(m, "server", a.ServerCertPath, filepath.Join(dir, "server.pem"), a.ServerKeyPath, filepath.Join(dir, "server-key.pem"))
	if err != nil {
		return err
	}
	if err := m.Server.Cert.CheckSignatureFrom(m.CA.Cert); err != nil {
		return fmt.Errorf("machine %q: its server certificate was not issued by the CA in %s (Docker Machine made a new CA after this machine was created, as it does when the CA expires): run docker-machine regenerate-certs %s first, then import it",
			m.Name, filepath.Dir(orFallback(a.CaCertPath, filepath.Join(certs, "ca.pem"))), m.Name)
	}
	// DOCKER_CERT_PATH pointed at the per-machine copies, so they are what
	// worked last; the global client certificate is the fallback.
	m.Client, err = s.loadPair(m, "client", "", filepath.Join(dir, "cert.pem"), "", filepath.Join(dir, "key.pem"))
	if err == nil && m.Client.Cert.CheckSignatureFrom(m.CA.Cert) != nil {
		err = errors.New("issued by another CA")
	}
	if err != nil {
		m.Client, err = s.loadPair(m, "client", a.ClientCertPath, filepath.Join(certs, "cert.pem"), a.ClientKeyPath, filepath.Join(certs, "key.pem"))
		if err != nil {
			return err
		}
		if m.Client.Cert.CheckSignatureFrom(m.CA.Cert) != nil {
			return fmt.Errorf("machine %q: neither %s nor the client certificate in %s was issued by its CA: run docker-machine regenerate-certs --client-certs %s first", m.Name, dir, certs, m.Name)
		}
		m.Warnings = append(m.Warnings, fmt.Sprintf("%s has no usable client certificate; took the one in %s", dir, certs))
	}
	m.checkExpiry(s.Now())
	return nil
}

// loadPair reads a certificate and its key from the paths config.json gives,
// or, when the store was moved and they are gone, from where they lie in
// this store.
func (s *Store) loadPair(m *Host, role, certPath, certFallback, keyPath, keyFallback string) (*pki.Pair, error) {
	cp, kp := orFallback(certPath, certFallback), orFallback(keyPath, keyFallback)
	for _, p := range [][2]string{{certPath, cp}, {keyPath, kp}} {
		if p[0] != "" && p[0] != p[1] {
			m.Warnings = append(m.Warnings, fmt.Sprintf("config.json names %s, which is gone; used %s", p[0], p[1]))
		}
	}
	certPEM, err := os.ReadFile(cp)
	if err != nil {
		return nil, fmt.Errorf("machine %q: reading its %s certificate: %w", m.Name, role, err)
	}
	keyPEM, err := os.ReadFile(kp)
	if err != nil {
		return nil, fmt.Errorf("machine %q: reading its %s key: %w", m.Name, role, err)
	}
	p, err := pki.LoadPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("machine %q: %s and %s: %w", m.Name, cp, kp, err)
	}
	return p, nil
}

// orFallback returns path if it exists, else fallback.
func orFallback(path, fallback string) string {
	if path != "" && store.PathExists(path) {
		return path
	}
	return fallback
}

func (m *Host) checkExpiry(now time.Time) {
	for _, c := range []struct {
		role string
		p    *pki.Pair
	}{{"CA", m.CA}, {"server", m.Server}, {"client", m.Client}} {
		if now.After(c.p.Cert.NotAfter) {
			m.Warnings = append(m.Warnings, fmt.Sprintf("the %s certificate expired on %s", c.role, c.p.Cert.NotAfter.UTC().Format(time.DateOnly)))
		}
	}
}
