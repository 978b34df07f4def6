package store

import (
	"fmt"

	"github.com/dockbake/dockbake/pki"
)

// AttachFromRequest makes machine Name of a host booted from an image (or
// user-data) made for machine Template: a golden image for many hosts.
type AttachFromRequest struct {
	AttachRequest
	// Template is the machine the host was set up as.
	Template    string
	ToolVersion string
}

// BeginAttachFrom issues, in memory, a CA, a server and a client
// certificate of Name's own for the host that now serves Template's
// certificate. Attaching.Machine is Template, the identity the host has
// until the delivery; Commit records Name as a new machine. Template's
// client certificate stops opening the host once it serves Name's CA.
func (s *Store) BeginAttachFrom(req AttachFromRequest) (*Attaching, error) {
	if err := ValidateName("machine", req.Name); err != nil {
		return nil, err
	}
	if s.Exists(req.Name) {
		return nil, fmt.Errorf("machine %q: %w", req.Name, ErrExists)
	}
	tmpl := req.AttachRequest
	tmpl.Name = req.Template
	a, err := s.beginAttach(tmpl, req.Name)
	if err != nil {
		return nil, err
	}
	a.Spec.Name, a.newName, a.toolVersion = req.Name, req.Name, req.ToolVersion
	if err := a.issueOwn(); err != nil {
		a.Release()
		return nil, err
	}
	return a, nil
}

// issueOwn replaces the template's server pair by a new CA and its
// server and client pairs for the new machine.
func (a *Attaching) issueOwn() error {
	o := pki.Options{KeyType: a.Machine.KeyType, Now: a.store.now}
	ca, err := pki.NewCA("dockbake CA for "+a.newName, o)
	if err != nil {
		return err
	}
	if a.Server, err = ca.IssueServer(a.newName, a.Spec.SANs(), o); err != nil {
		return err
	}
	if a.client, err = ca.IssueClient(a.newName+" client", o); err != nil {
		return err
	}
	a.ca, a.CACert = ca, ca.CertPEM()
	return nil
}

// commitNew records the new machine of an attach with a template.
func (a *Attaching) commitNew() (*Machine, error) {
	s, name := a.store, a.newName
	unlock, err := s.lock()
	if err != nil {
		return nil, err
	}
	if s.Exists(name) {
		unlock()
		return nil, fmt.Errorf("machine %q: %w", name, ErrExists)
	}
	c, err := s.stageChange("attach", name, unlock, func(_ *txn, host, client string) error {
		return a.stageNew(host, client)
	})
	if err != nil {
		return nil, err
	}
	return c.Commit()
}

// stageNew stages the new machine of an attach with a template: its own
// CA, the fresh server pair and its own client certificate.
func (a *Attaching) stageNew(host, client string) error {
	f := a.store.files()
	for _, d := range []string{host, client} {
		if err := f.mkdirPrivate(d); err != nil {
			return err
		}
	}
	if err := f.writePair(host, caCertFile, caKeyFile, a.ca); err != nil {
		return err
	}
	if err := f.writePair(host, serverCertFile, serverKeyFile, a.Server); err != nil {
		return err
	}
	if err := f.writeClient(client, a.ca.CertPEM(), a.client); err != nil {
		return err
	}
	return f.writeRecord(host, a.store.newRecord(a.Spec, a.toolVersion, "", a.ca, a.Server))
}

// NewClient is the new machine's client key pair of an attach with a
// template, or nil for a plain attach.
func (a *Attaching) NewClient() *pki.Pair { return a.client }
