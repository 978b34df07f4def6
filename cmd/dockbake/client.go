package main

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/pki"
	"github.com/dockbake/dockbake/store"
)

func clientCommand(p *proc) *cli.Command {
	return &cli.Command{
		Name:  "client",
		Usage: "issue and list extra client certificates of a machine, for teammates",
		Subcommands: []*cli.Command{
			{
				Name:      "add",
				Usage:     "issue a client certificate for USER from the machine's CA, into a directory usable as DOCKER_CERT_PATH",
				ArgsUsage: "NAME",
				Description: `The directory holds ca.pem, cert.pem and key.pem, never a CA key. USER becomes the
certificate's common name, the user name Docker authorization plugins see. dockerd
checks no revocation list: to cut a holder off, make a new CA with
dockbake regenerate-certs NAME --ca and issue new certificates to everyone else.`,
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "user", Usage: "who the certificate is for (`USER`, becomes its common name)"},
					&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the files to `DIR` (default ./NAME-USER)"},
					&cli.StringFlag{Name: "cert-validity", Value: pki.FormatValidity(pki.DefaultCertValidity), Usage: "certificate lifetime (`DAYS`d or a Go duration)"},
					&cli.BoolFlag{Name: "force", Usage: "replace an existing directory, and issue again for a USER who has a certificate"},
				},
				Action: func(c *cli.Context) error { return clientAdd(c, p) },
			},
			{
				Name:      "ls",
				Usage:     "list a machine's client certificates and whether its CA still accepts them",
				ArgsUsage: "NAME",
				Flags:     []cli.Flag{&cli.StringFlag{Name: "format", Value: "table", Usage: "table or json"}},
				Action:    func(c *cli.Context) error { return clientList(c, p) },
			},
		},
	}
}

func clientAdd(c *cli.Context, p *proc) error {
	name, err := machineNameArg(c)
	if err != nil {
		return err
	}
	if err := refuseManaged(c, p, name, c.Bool("force")); err != nil {
		return err
	}
	user := c.String("user")
	var errs []error
	if user == "" {
		errs = append(errs, errors.New("--user is required: whom is the certificate for?"))
	} else {
		if err := store.ValidateName("user", user); err != nil {
			errs = append(errs, err)
		}
	}
	validity, err := parseValidity(generator.FieldCertValidity, c.String("cert-validity"))
	errs = appendErr(errs, err)
	if len(errs) > 0 {
		return withHint(errors.Join(errs...), "dockbake client add %s --user alice", name)
	}
	s, m, err := loadMachine(c, p, name)
	if err != nil {
		return err
	}
	dir := c.String("output")
	if dir == "" {
		dir = name + "-" + user
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return err
	}
	got, err := s.AddClient(store.ClientRequest{Machine: name, User: user, Validity: validity, Dir: dir, Force: c.Bool("force")})
	if errors.Is(err, store.ErrExists) {
		return withHint(err, "add --force to issue another (an earlier certificate stays valid until it expires), or choose another --output")
	}
	if err != nil {
		return storeError(s, name, err)
	}
	fmt.Fprintf(p.stderr, "Issued a client certificate for %s on %s, valid until %s, in %s\n", user, name, day(got.Cert.NotAfter), dir)
	if got.Replaced != nil {
		warnf(p.stderr, "%s's earlier certificate stays valid until %s: dockerd checks no revocation list (dockbake regenerate-certs %s --ca cuts off every old certificate)", user, day(got.Replaced.NotAfter), name)
	}
	if m.CA != "" {
		warnf(p.stderr, "%s uses the shared CA %q: this certificate also opens every other machine on it", name, m.CA)
	}
	fmt.Fprintf(p.stderr, "The directory holds a private key: hand it over privately. With it, %s runs:\n", user)
	host := m.Spec.URL()
	if !m.Spec.Attached() {
		host = "tcp://ADDRESS:" + strconv.Itoa(m.Spec.Port) // the host has none yet: dockbake attach gives it one
		fmt.Fprintf(p.stderr, "  (%s is not attached yet: ADDRESS is the host's, once dockbake attach %s --ip ADDRESS has run)\n", name, name)
	}
	fmt.Fprintf(p.stderr, "  export DOCKER_HOST=%s DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=%s\n", host, generator.ShellQuote(dir))
	return nil
}

// clientRow is one line of `dockbake client ls`.
type clientRow struct {
	User        string    `json:"user"`
	Fingerprint string    `json:"fingerprint"`
	Issued      time.Time `json:"issued"`
	Expires     time.Time `json:"expires"`
	DaysLeft    int       `json:"days_left"`
	// CA is the SHA-256 fingerprint of the CA that issued it, empty when
	// no CA the host trusts did.
	CA string `json:"ca"`
	// CARole says which CA that is: "current", "next" (during a CA
	// rotation) or "" (none the host trusts).
	CARole string `json:"ca_role"`
	// Accepted tells whether the host, as the store last configured it,
	// accepts the certificate now.
	Accepted bool   `json:"accepted"`
	Status   string `json:"status"`
}

func clientList(c *cli.Context, p *proc) error {
	format := c.String("format")
	if format != "table" && format != "json" {
		return withHint(fmt.Errorf("--format %q: use table or json", format), "dockbake client ls NAME --format json")
	}
	s, m, err := loadMachineArg(c, p)
	if err != nil {
		return err
	}
	cas, err := m.TrustedCAs()
	if err != nil {
		return err
	}
	clients, err := s.Clients(m)
	if err != nil {
		return err
	}
	now := s.Now()
	rows := []clientRow{}
	if own, err := m.ClientCert(); err == nil {
		rows = append(rows, newClientRow(m.Name, "(own)", own, cas, now))
	}
	for _, cl := range clients {
		rows = append(rows, newClientRow(m.Name, cl.User, cl.Cert, cas, now))
	}
	if format == "json" {
		enc := json.NewEncoder(p.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	tb := newTable("USER", "CA", "ISSUED", "EXPIRES", "DAYS", "ACCEPTED", "STATUS")
	for _, r := range rows {
		tb.row(r.User, clientCALabel(r), day(r.Issued), day(r.Expires), strconv.Itoa(r.DaysLeft), yesNo(r.Accepted), r.Status)
	}
	return tb.writeTo(p.stdout)
}

// newClientRow describes cert, issued for machine name, against cas, the
// CAs the host trusts: the current one and, during a CA rotation, the
// next.
func newClientRow(name, user string, cert *x509.Certificate, cas []*x509.Certificate, now time.Time) clientRow {
	r := clientRow{User: user, Fingerprint: pki.Fingerprint(cert), Issued: cert.NotBefore.UTC(), Expires: cert.NotAfter.UTC(), DaysLeft: daysLeft(cert.NotAfter, now)}
	for i, ca := range cas {
		if cert.CheckSignatureFrom(ca) == nil {
			r.CA, r.CARole = pki.Fingerprint(ca), []string{"current", "next"}[i]
		}
	}
	r.Accepted = r.CA != "" && !now.After(cert.NotAfter)
	switch {
	case r.CA == "":
		r.Status = "not accepted: issued by a CA the host no longer trusts (or will not, once it runs the current user-data)"
	case now.After(cert.NotAfter):
		r.Status = "expired"
	case len(cas) > 1 && r.CARole == "current":
		r.Status = "accepted until the CA rotation ends (dockbake regenerate-certs " + name + " --ca --finish)"
	case cert.NotAfter.Sub(now) < renewSoon:
		r.Status = "expires soon"
	default:
		r.Status = "ok"
	}
	return r
}

// clientCALabel is the CA column: the role and the fingerprint's start.
func clientCALabel(r clientRow) string {
	if r.CA == "" {
		return "(other)"
	}
	return r.CARole + " " + r.CA[:11]
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
