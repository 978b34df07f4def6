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

// Store is a Docker Machine storage directory. The import reads only
// the files inside it: a path of config.json, or a symbolic link, that
// leads out of it is refused unless AllowOutside is set.
type Store struct {
	Root string
	// AllowOutside lets paths of config.json and symbolic links lead out
	// of the store; each File read there says so.
	AllowOutside bool
	// Now is the clock that expiry warnings use.
	Now func() time.Time
	// real is Root with symbolic links resolved: what "inside" means.
	real string
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
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, err
	}
	return &Store{Root: abs, Now: time.Now, real: real}, nil
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
	// Engine holds dockerd's options as the host runs them: the --engine-*
	// options, and what Docker Machine's provisioner added to them.
	Engine generator.Engine
	CA     *pki.Pair
	Server *pki.Pair
	Client *pki.Pair
	// Files are the files read, in order, each with where it came from.
	Files []File
	// Notes say what the import took that config.json does not record.
	Notes []string
	// Warnings are problems that do not stop the import.
	Warnings []string
}

// Load reads machine name: its config.json, its server key pair, the CA
// that signed it and a client certificate from that CA, all from inside
// the store unless s.AllowOutside.
func (s *Store) Load(name string) (*Host, error) {
	dir := filepath.Join(s.Root, "machines", name)
	r := &resolver{s: s, machine: name}
	cfg, cfgFile, err := r.readConfig(dir)
	if err != nil {
		return nil, err
	}
	m := &Host{Name: name, Driver: cfg.DriverName, ExtraSANs: cfg.HostOptions.AuthOptions.ServerCertSANs, Files: []File{cfgFile}}
	if m.Address, m.Port, err = cfg.Driver.address(cfg.DriverName); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "config.json"), err)
	}
	r.oldRoot = s.oldRoot(cfg, name)
	if err := r.checkPaths(cfg); err != nil {
		return nil, err
	}
	m.Engine, m.Notes = cfg.HostOptions.EngineOptions.engine(cfg.DriverName)
	if err := m.loadCerts(r, cfg.HostOptions.AuthOptions, dir); err != nil {
		return nil, err
	}
	m.checkExpiry(s.Now())
	return m, nil
}

// readConfig reads and checks the machine's config.json in dir.
func (r *resolver) readConfig(dir string) (*hostConfig, File, error) {
	cfgPath := filepath.Join(dir, "config.json")
	f, err := r.pick("config.json", "", "", cfgPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, File{}, fmt.Errorf("no machine %q in Docker Machine store %s", r.machine, r.s.Root)
	}
	if err != nil {
		return nil, File{}, err
	}
	data, err := os.ReadFile(f.Path)
	if err != nil {
		return nil, File{}, err
	}
	var cfg hostConfig
	if err := json.Unmarshal(data, &cfg); err != nil {
		return nil, File{}, fmt.Errorf("%s: %w", cfgPath, err)
	}
	if err := checkConfig(&cfg, r.machine); err != nil {
		return nil, File{}, fmt.Errorf("%s: %w", cfgPath, err)
	}
	return &cfg, f, nil
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
