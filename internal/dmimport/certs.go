package dmimport

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/dockbake/dockbake/pki"
)

// loadCerts finds the CA (with its key), the server key pair and a client
// key pair issued by that CA, and records the files it read.
func (m *Host) loadCerts(r *resolver, a authConfig, dir string) error {
	certs := filepath.Join(r.s.Root, "certs")
	const auth = "HostOptions.AuthOptions."
	ca, err := r.pair("CA", pairPaths{auth + "CaCertPath", a.CaCertPath, filepath.Join(certs, "ca.pem"),
		auth + "CaPrivateKeyPath", a.CaPrivateKeyPath, filepath.Join(certs, "ca-key.pem")})
	if err != nil {
		return err
	}
	srv, err := r.pair("server", pairPaths{auth + "ServerCertPath", a.ServerCertPath, filepath.Join(dir, "server.pem"),
		auth + "ServerKeyPath", a.ServerKeyPath, filepath.Join(dir, "server-key.pem")})
	if err != nil {
		return err
	}
	if err := srv.pair.Cert.CheckSignatureFrom(ca.pair.Cert); err != nil {
		return fmt.Errorf("machine %q: its server certificate was not issued by the CA in %s (Docker Machine made a new CA after this machine was created, as it does when the CA expires): run docker-machine regenerate-certs %s first, then import it%s",
			m.Name, ca.files[0].Where(), m.Name, r.cameFrom())
	}
	cli, err := m.loadClient(r, a, dir, ca)
	if err != nil {
		return err
	}
	m.CA, m.Server, m.Client = ca.pair, srv.pair, cli.pair
	m.Files = append(append(append(m.Files, ca.files...), srv.files...), cli.files...)
	return nil
}

// loadClient finds a client key pair issued by ca. DOCKER_CERT_PATH
// pointed at the per-machine copies, so they are what worked last; the
// client certificate config.json names is the fallback.
func (m *Host) loadClient(r *resolver, a authConfig, dir string, ca loaded) (loaded, error) {
	const auth = "HostOptions.AuthOptions."
	cli, err := r.pair("client", pairPaths{"", "", filepath.Join(dir, "cert.pem"), "", "", filepath.Join(dir, "key.pem")})
	var outside *OutsideError
	switch {
	case errors.As(err, &outside):
		return loaded{}, err
	case err == nil && cli.pair.Cert.CheckSignatureFrom(ca.pair.Cert) == nil:
		return cli, nil
	}
	why := "it has none"
	if err == nil {
		why = "its cert.pem is from another CA"
	} else if !errors.Is(err, fs.ErrNotExist) {
		why = "its cert.pem and key.pem cannot be read as a key pair"
	}
	certs := filepath.Join(r.s.Root, "certs")
	cli, err = r.pair("client", pairPaths{auth + "ClientCertPath", a.ClientCertPath, filepath.Join(certs, "cert.pem"),
		auth + "ClientKeyPath", a.ClientKeyPath, filepath.Join(certs, "key.pem")})
	if err != nil {
		return loaded{}, err
	}
	copies := filepath.ToSlash(filepath.Join("machines", m.Name))
	if cli.pair.Cert.CheckSignatureFrom(ca.pair.Cert) != nil {
		return loaded{}, fmt.Errorf("machine %q: neither the client certificate in %s nor %s was issued by its CA %s: run docker-machine regenerate-certs --client-certs %s first",
			m.Name, copies, cli.files[0].Where(), ca.files[0].Where(), m.Name)
	}
	m.Warnings = append(m.Warnings, fmt.Sprintf("%s has no usable client certificate (%s); took %s", copies, why, cli.files[0].Where()))
	return cli, nil
}

// pairPaths say where a certificate and its key are: the config.json field
// and its path, and the place in the store's layout, for each.
type pairPaths struct {
	certField, certNamed, certLayout string
	keyField, keyNamed, keyLayout    string
}

// loaded is a key pair and the files it was read from.
type loaded struct {
	pair  *pki.Pair
	files []File
}

// pair reads the certificate and key of role.
func (r *resolver) pair(role string, p pairPaths) (loaded, error) {
	cf, err := r.pick(role+" certificate", p.certField, p.certNamed, p.certLayout)
	if err != nil {
		return loaded{}, err
	}
	kf, err := r.pick(role+" key", p.keyField, p.keyNamed, p.keyLayout)
	if err != nil {
		return loaded{}, err
	}
	certPEM, err := os.ReadFile(cf.Path)
	if err != nil {
		return loaded{}, fmt.Errorf("machine %q: reading its %s certificate: %w", r.machine, role, err)
	}
	keyPEM, err := os.ReadFile(kf.Path)
	if err != nil {
		return loaded{}, fmt.Errorf("machine %q: reading its %s key: %w", r.machine, role, err)
	}
	pair, err := pki.LoadPair(certPEM, keyPEM)
	if err != nil {
		return loaded{}, fmt.Errorf("machine %q: %s and %s: %w", r.machine, cf.Where(), kf.Where(), err)
	}
	return loaded{pair: pair, files: []File{cf, kf}}, nil
}

// cameFrom says, for a machine whose config.json names another place for
// the store, that it may belong there.
func (r *resolver) cameFrom() string {
	if r.oldRoot == "" {
		return ""
	}
	return fmt.Sprintf(" (or, as config.json places the machine in the store %q, import it from there)", r.oldRoot)
}
