package store

import (
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/pki"
)

// Issued is a new machine's keys and certificates, made before it is
// staged: key generation is most of a create's work and needs neither the
// lock nor the disk, so a caller issues many side by side.
type Issued struct {
	ca, server, client *pki.Pair
}

// Issue makes the CA of a machine's own and its server and client key
// pairs for req, as Create would. It touches nothing on disk and is safe to
// call from several goroutines. A machine on a shared CA is issued by
// Batch.Create itself, under the lock that guards the CA.
func (s *Store) Issue(req CreateRequest) (*Issued, error) {
	if req.CA != "" {
		return nil, fmt.Errorf("machine %q: a machine on the shared CA %q is issued when it is staged", req.Spec.Name, req.CA)
	}
	ca, err := pki.NewCA("dockbake CA for "+req.Spec.Name, pki.Options{KeyType: req.KeyType, Now: s.now, Validity: req.CAValidity})
	if err != nil {
		return nil, err
	}
	return issueLeaves(s, req, ca)
}

// issueLeaves issues the server and client certificates of req with ca.
func issueLeaves(s *Store, req CreateRequest, ca *pki.Pair) (*Issued, error) {
	leaf := pki.Options{KeyType: req.KeyType, Now: s.now, Validity: req.CertValidity}
	name := req.Spec.Name
	srv, err := ca.IssueServer(name, req.Spec.SANs(), leaf)
	if err != nil {
		return nil, err
	}
	cli, err := ca.IssueClient(name+" client", leaf)
	if err != nil {
		return nil, err
	}
	return &Issued{ca: ca, server: srv, client: cli}, nil
}

// Create stages a new machine, as StageCreate does, with the keys of iss
// (from Issue; nil: issued here). It returns what goes onto the machine's
// host, for rendering its user-data.
func (b *Batch) Create(req CreateRequest, iss *Issued) (*generator.HostCerts, error) {
	name := req.Spec.Name
	if err := b.claim(name); err != nil {
		return nil, err
	}
	var hc *generator.HostCerts
	err := b.staging(name, func() error {
		if err := checkCreate(req); err != nil {
			return err
		}
		there := b.exists(name)
		if there && !req.Force {
			return fmt.Errorf("machine %q: %w", name, ErrExists)
		}
		var err error
		if iss == nil || req.CA != "" {
			if iss, err = b.issue(req); err != nil {
				return err
			}
		}
		hc, err = b.stageIssued(req, iss, !there)
		return err
	})
	return hc, err
}

// checkCreate is StageCreate's check of a request.
func checkCreate(req CreateRequest) error {
	if req.CA != "" {
		if err := ValidateName("CA", req.CA); err != nil {
			return err
		}
	}
	if err := req.Spec.Validate(); err != nil {
		return fmt.Errorf("machine %q: %w", req.Spec.Name, err)
	}
	return nil
}

// issue issues req's machine under the lock: on its shared CA, read or
// staged once for the whole batch, or on a CA of its own.
func (b *Batch) issue(req CreateRequest) (*Issued, error) {
	if req.CA == "" {
		return b.s.Issue(req)
	}
	ca := b.cas[req.CA]
	if ca == nil {
		var err error
		o := pki.Options{KeyType: req.KeyType, Now: b.s.now, Validity: req.CAValidity}
		if ca, err = b.s.sharedCA(b.t, req.CA, o); err != nil {
			return nil, err
		}
		b.cas[req.CA] = ca
	}
	return issueLeaves(b.s, req, ca)
}

// stageIssued writes a complete machine with the keys of iss into the
// batch, as stageMachine does for one; absent: nothing of it is in the
// store, as Create has just seen.
func (b *Batch) stageIssued(req CreateRequest, iss *Issued, absent bool) (*generator.HostCerts, error) {
	put := b.s.putMachine
	if absent {
		put = b.s.putNewMachine
	}
	host, client, err := put(b.t, req.Spec.Name)
	if err != nil {
		return nil, err
	}
	f := b.s.files()
	for _, d := range []string{host, client} {
		if err := f.mkdirStaged(d); err != nil {
			return nil, err
		}
	}
	if req.CA == "" {
		if err := f.writePair(host, caCertFile, caKeyFile, iss.ca); err != nil {
			return nil, err
		}
	}
	if err := f.writePair(host, serverCertFile, serverKeyFile, iss.server); err != nil {
		return nil, err
	}
	if err := f.writeClient(client, iss.ca.CertPEM(), iss.client); err != nil {
		return nil, err
	}
	rec := b.s.newRecord(req.Spec, req.ToolVersion, req.CA, iss.ca, iss.server)
	rec.Fleet = req.Fleet
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := f.writeNew(filepath.Join(host, recordFile), append(data, '\n'), keyMode); err != nil {
		return nil, err
	}
	return iss.HostCerts()
}

// HostCerts is what goes onto the host of the machine issued: its CA
// certificate and server key pair, never the CA key.
func (i *Issued) HostCerts() (*generator.HostCerts, error) {
	key, err := i.server.KeyPEM()
	if err != nil {
		return nil, err
	}
	return &generator.HostCerts{CACert: i.ca.CertPEM(), ServerCert: i.server.CertPEM(), ServerKey: key}, nil
}

// CAFingerprint is the fingerprint of the issued machine's CA, as its
// record will hold it.
func (i *Issued) CAFingerprint() string { return pki.Fingerprint(i.ca.Cert) }
