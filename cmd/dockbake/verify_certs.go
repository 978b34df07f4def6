package main

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// The certificate checks of `dockbake verify`: chain, owner, name, expiry.

// checkChain verifies the server certificate against the machine's CA, at a
// time when the certificate itself is valid: expiry is checked on its own.
func (p *probe) checkChain(server *x509.Certificate, intermediates []*x509.Certificate) error {
	roots := x509.NewCertPool()
	roots.AddCert(p.ca)
	inter := x509.NewCertPool()
	for _, c := range intermediates {
		inter.AddCert(c)
	}
	at := p.now
	if at.Before(server.NotBefore) {
		at = server.NotBefore
	} else if at.After(server.NotAfter) {
		at = server.NotAfter
	}
	_, err := server.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	switch {
	case err == nil:
		p.report("ok", "chain", "server certificate issued by %s's CA", p.name)
		return nil
	case errors.As(err, &unknown):
		return p.foreign(server)
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return p.fail("chain", "CA not valid", fmt.Errorf("the CA of %s, valid %s to %s, does not cover the host's certificate", p.name, day(p.ca.NotBefore), day(p.ca.NotAfter)),
			"dockbake regenerate-certs %s --ca, then give the host the new user-data", p.name)
	case errors.As(err, &invalid) && invalid.Reason == x509.IncompatibleUsage:
		return p.fail("chain", "not a server certificate", errors.New("the host's certificate is not made for servers (no serverAuth usage)"),
			"give the host the user-data of dockbake render %s", p.name)
	}
	return p.fail("chain", "does not verify", fmt.Errorf("the host's certificate does not verify against %s's CA: %w", p.name, err),
		"give the host the user-data of dockbake render %s", p.name)
}

// foreign explains a server certificate from another CA, naming the machine
// it belongs to when the store knows it.
func (p *probe) foreign(server *x509.Certificate) error {
	if other := p.ownerOf(server); other != "" {
		return p.fail("chain", "machine "+other+"'s certificate", fmt.Errorf("the host at %s runs machine %q's certificates, not %q's", p.addr(), other, p.name),
			"if the address is right, give the host the user-data of dockbake render %s; if it is %s's host, %s's address is wrong: dockbake regenerate-certs %s --ip ADDRESS", p.name, other, p.name, p.name)
	}
	return p.fail("chain", "unknown CA", fmt.Errorf("the host's certificate (issuer %q) is not issued by %s's CA: the host runs certificates from before dockbake regenerate-certs %s --ca, or from another tool", server.Issuer.String(), p.name, p.name),
		"give the host the user-data of dockbake render %s", p.name)
}

// ownerOf finds the machine in the store whose server certificate, or CA,
// server is.
func (p *probe) ownerOf(server *x509.Certificate) string {
	names, _ := p.store.Names()
	for _, n := range names {
		if n == p.name {
			continue
		}
		m, err := p.store.Load(n)
		if err != nil {
			continue
		}
		if c, err := m.ServerCert(); err == nil && c.Equal(server) {
			return n
		}
		if ca, err := m.CACert(); err == nil && server.CheckSignatureFrom(ca) == nil {
			return n
		}
	}
	return ""
}

// stored is the machine's current server certificate in the store.
func (p *probe) stored() *x509.Certificate {
	c, _ := p.m.ServerCert()
	return c
}

func (p *probe) checkName(server *x509.Certificate, _ []*x509.Certificate) error {
	if server.VerifyHostname(p.host) == nil {
		p.report("ok", "name", "server certificate is valid for %s", p.host)
		return nil
	}
	names := strings.Join(certNames(server), ", ")
	if s := p.stored(); s != nil && !s.Equal(server) && s.VerifyHostname(p.host) == nil {
		return p.fail("name", "old certificate on the host", fmt.Errorf("the host still runs an older server certificate, valid for %s but not %s; the store's newer one is", names, p.host),
			"give the host the new user-data: dockbake render %s -o user-data.yaml, and launch the host with it", p.name)
	}
	flag := "--ip"
	if net.ParseIP(p.host) == nil {
		flag = "--dns"
	}
	return p.fail("name", "not valid for "+p.host, fmt.Errorf("the server certificate is valid for %s, not for %s, the address dialed", names, p.host),
		"dockbake regenerate-certs %s %s %s, then give the host the new user-data", p.name, flag, p.host)
}

func certNames(c *x509.Certificate) []string {
	var names []string
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	return append(names, c.DNSNames...)
}

// renewSoon is how close to expiry a certificate gets a warning.
const renewSoon = 30 * 24 * time.Hour

func (p *probe) checkExpiry(server *x509.Certificate, _ []*x509.Certificate) error {
	switch {
	case p.now.After(p.ca.NotAfter):
		// Every certificate it signed has expired with it.
		return p.fail("expiry", "CA expired", fmt.Errorf("the CA of %s expired on %s", p.name, day(p.ca.NotAfter)),
			"dockbake regenerate-certs %s --ca, then give the host the new user-data and teammates new certificates", p.name)
	case p.now.Before(server.NotBefore):
		return p.fail("expiry", "not yet valid", fmt.Errorf("the host's certificate is valid from %s, but this computer's clock says %s: one of the two clocks is wrong",
			server.NotBefore.UTC().Format(time.RFC3339), p.now.UTC().Format(time.RFC3339)),
			"check this computer's clock (date -u); a host that just booted may still be setting its clock: run dockbake verify %s again in a minute", p.name)
	case p.now.After(server.NotAfter):
		if s := p.stored(); s != nil && !s.Equal(server) && p.now.Before(s.NotAfter) {
			return p.fail("expiry", "server certificate expired", fmt.Errorf("the host's server certificate expired on %s; the store has a newer one", day(server.NotAfter)),
				"give the host the new user-data: dockbake render %s -o user-data.yaml, and launch the host with it", p.name)
		}
		return p.fail("expiry", "server certificate expired", fmt.Errorf("the host's server certificate expired on %s", day(server.NotAfter)),
			"dockbake regenerate-certs %s, then give the host the new user-data", p.name)
	case p.now.After(p.leaf.NotAfter) || p.now.Before(p.leaf.NotBefore):
		return p.fail("expiry", "client certificate expired", fmt.Errorf("the client certificate in %s is valid from %s to %s, not now", p.certPath, day(p.leaf.NotBefore), day(p.leaf.NotAfter)),
			"%s", p.newClientHint())
	}
	p.report("ok", "expiry", "server certificate until %s, client until %s, CA until %s", days(server.NotAfter, p.now), days(p.leaf.NotAfter, p.now), days(p.ca.NotAfter, p.now))
	for _, c := range []struct {
		what, fix string
		cert      *x509.Certificate
	}{{"server", "dockbake regenerate-certs " + p.name, server}, {"client", p.newClientHint(), p.leaf}, {"CA", "dockbake regenerate-certs " + p.name + " --ca", p.ca}} {
		if c.cert.NotAfter.Sub(p.now) < renewSoon {
			p.report("warn", "expiry", "the %s certificate expires in %d days: %s", c.what, daysLeft(c.cert.NotAfter, p.now), c.fix)
		}
	}
	if s := p.stored(); s != nil && !s.Equal(server) {
		p.report("warn", "chain", "the host runs an older server certificate than the store's; give it the new user-data when you can (dockbake render %s)", p.name)
	}
	return nil
}

func (p *probe) newClientHint() string {
	if p.custom {
		return fmt.Sprintf("issue a new one: dockbake client add %s --user %s --force", p.name, p.leaf.Subject.CommonName)
	}
	return fmt.Sprintf("dockbake regenerate-certs %s --client", p.name)
}

// days formats an expiry as a date with the days left.
func days(t, now time.Time) string { return fmt.Sprintf("%s (%d days)", day(t), daysLeft(t, now)) }

// daysLeft counts whole days until t; negative once t has passed.
func daysLeft(t, now time.Time) int {
	d := t.Sub(now)
	if d < 0 {
		return -int((-d + 24*time.Hour - 1) / (24 * time.Hour))
	}
	return int(d / (24 * time.Hour))
}
