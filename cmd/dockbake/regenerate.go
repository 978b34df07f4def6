package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/pki"
	"github.com/dockbake/dockbake/store"
)

func regenerateCommand(p *proc) *cli.Command {
	return &cli.Command{
		Name:      "regenerate-certs",
		Usage:     "issue a new server certificate (optionally a new client certificate or CA): deliver it to the running host (--apply) or print new user-data",
		ArgsUsage: "NAME",
		Description: `With --apply the new certificates go to the running host through its Docker API,
at its recorded address, and are recorded only once the host serves them; its
containers keep running. A new CA then goes in two steps, so nobody is locked out
halfway: --ca --apply makes the host trust the old and the new CA while your
client certificate moves to the new one (teammates: dockbake client add); --ca
--finish then drops the old CA.

Without --apply nothing on the host changes: it keeps its old certificates until
it runs the new user-data printed here, which cloud-init reads only on an
instance's first boot. --ip and --dns replace the recorded addresses (the first
--ip is DOCKER_HOST's).`,
		Flags: append(outputFlags(),
			&cli.StringSliceFlag{Name: "ip", Usage: "new IP `ADDRESS` of the host (repeatable); replaces the recorded ones"},
			&cli.StringSliceFlag{Name: "dns", Usage: "new DNS `NAME` of the host (repeatable); replaces the recorded ones"},
			&cli.BoolFlag{Name: "client", Usage: "also issue a new client certificate (the old one stays valid until it expires)"},
			&cli.BoolFlag{Name: "ca", Usage: "also make a new CA: every client certificate of the old CA, teammates' included, stops working"},
			&cli.StringFlag{Name: "cert-validity", Value: pki.FormatValidity(pki.DefaultCertValidity), Usage: "lifetime of the new certificates (`DAYS`d or a Go duration)"},
			&cli.StringFlag{Name: "ca-validity", Value: pki.FormatValidity(pki.DefaultCAValidity), Usage: "lifetime of a new CA"},
			&cli.BoolFlag{Name: "apply", Usage: "deliver the new certificates to the running host instead of printing user-data"},
			&cli.BoolFlag{Name: "finish", Usage: "the second step of --ca --apply: the host drops the old CA (implies --ca --apply)"},
			&cli.DurationFlag{Name: "timeout", Value: 5 * time.Minute, Usage: "with --apply, give up after `DURATION` (the host then keeps its certificates)"},
			&cli.BoolFlag{Name: "force", Usage: "do not ask before --ca, replace an existing --output file; with --apply, deliver even where containers restart"},
			&cli.StringFlag{Name: "test-spool-dir", Hidden: true, Usage: "the spool's path on the host; for tests against a dockerd without the apply mechanism"},
		),
		Action: func(c *cli.Context) error { return regenerate(c, p) },
	}
}

// regenerate stages the new certificates, renders and writes the user-data
// from them, and commits last, so that a failure changes nothing.
func regenerate(c *cli.Context, p *proc) error {
	name, err := machineNameArg(c)
	if err != nil {
		return err
	}
	if err := refuseManaged(c, p, name, c.Bool("force")); err != nil {
		return err
	}
	s, m, err := loadMachine(c, p, name)
	if err != nil {
		return err
	}
	if err := osKnown(m); err != nil {
		return err
	}
	req, err := rotateRequest(c, m)
	if err != nil {
		return err
	}
	if c.Bool("apply") || c.Bool("finish") {
		return regenerateApply(c, p, s, m, req)
	}
	if err := checkOutput(c); err != nil {
		return err
	}
	if err := checkOutputFlags(c, m.Spec); err != nil {
		return withHint(err, "dockbake regenerate-certs --help lists the output flags")
	}
	if req.CA && !c.Bool("force") {
		if err := confirmNewCA(p, s, m); err != nil {
			return err
		}
	}
	ch, err := s.StageRotate(req)
	if err != nil {
		return rotateError(s, name, err)
	}
	defer ch.Discard()
	out, err := renderStaged(c, p, ch.Machine)
	if err != nil {
		return err
	}
	defer out.discard()
	if m, err = ch.Commit(); err != nil {
		return storeError(s, name, err)
	}
	reportRotation(p, m, ch.Rotation)
	if err := out.finish(p); err != nil {
		return withHint(err, "the certificates are replaced: dockbake render %s -o FILE writes the new user-data again", name)
	}
	return nil
}

// rotateError gives a failed rotation its hint.
func rotateError(s *store.Store, name string, err error) error {
	switch {
	case errors.Is(err, pki.ErrOutlivesCA):
		return withHint(err, "give a shorter --cert-validity, or add --ca for a new CA")
	case errors.Is(err, store.ErrRotating):
		return withHint(err, "finish it first: dockbake regenerate-certs %s --ca --finish", name)
	case errors.Is(err, store.ErrNotRotating):
		return withHint(err, "start one with: dockbake regenerate-certs %s --ca --apply", name)
	}
	return storeError(s, name, err)
}

// rotateRequest checks the flags and the new addresses, all at once.
func rotateRequest(c *cli.Context, m *store.Machine) (store.RotateRequest, error) {
	spec := m.Spec
	if c.IsSet("ip") {
		spec.IPs = c.StringSlice("ip")
	}
	if c.IsSet("dns") {
		spec.DNSNames = c.StringSlice("dns")
	}
	var errs []error
	errs = appendErr(errs, spec.Validate())
	certValidity, err := parseValidity(generator.FieldCertValidity, c.String("cert-validity"))
	errs = appendErr(errs, err)
	caValidity, err := parseValidity(generator.FieldCAValidity, c.String("ca-validity"))
	errs = appendErr(errs, err)
	if len(errs) > 0 {
		return store.RotateRequest{}, withHint(errors.Join(errs...), "dockbake regenerate-certs --help lists the flags")
	}
	return store.RotateRequest{
		Name: m.Name, Spec: &spec, Client: c.Bool("client"), CA: c.Bool("ca"),
		CertValidity: certValidity, CAValidity: caValidity,
	}, nil
}

// confirmNewCA says who loses access and asks.
func confirmNewCA(p *proc, s *store.Store, m *store.Machine) error {
	clients, err := s.Clients(m)
	if err != nil {
		return err
	}
	who := "your own client certificate"
	if len(clients) > 0 {
		who += " and teammates' (" + userList(clients) + ")"
	}
	fmt.Fprintf(p.stderr, "A new CA for %s cuts off every client certificate of the old CA once the host runs the new user-data: %s.\n", m.Name, who)
	question := "The old CA key is deleted; this cannot be undone. Continue? (y/N) "
	if m.CA != "" {
		fmt.Fprintf(p.stderr, "%s leaves the shared CA %q, which other machines keep.\n", m.Name, m.CA)
		question = "Continue? (y/N) "
	}
	if !confirm(p, question) {
		return withHint(errors.New("no new CA made"), "answer y, or add --force")
	}
	return nil
}

func userList(clients []store.ClientInfo) string {
	var users []string
	for _, c := range clients {
		users = append(users, c.User)
	}
	return strings.Join(users, ", ")
}

// reportRotation tells what changed, what the host needs and who loses
// access.
func reportRotation(p *proc, m *store.Machine, rot *store.Rotation) {
	name := m.Name
	srv := rot.Server
	var names []string
	for _, ip := range srv.IPAddresses {
		names = append(names, ip.String())
	}
	names = append(names, srv.DNSNames...)
	fmt.Fprintf(p.stderr, "Regenerated %s: a new server certificate for %s, valid until %s\n", name, strings.Join(names, ", "), day(srv.NotAfter))
	switch {
	case rot.CA != nil:
		reportNewCA(p, name, rot)
	case rot.Client != nil:
		fmt.Fprintf(p.stderr, "A new client certificate is in %s. The old one stays valid until %s: dockerd checks no revocation list, so if its key leaked, use --ca.\n", m.ClientDir, day(oldExpiry(rot)))
	default:
		fmt.Fprintln(p.stderr, "Client certificates are unchanged: yours and teammates' keep working.")
	}
	fmt.Fprintf(p.stderr, "The host still runs its old certificates: nothing remote was changed. cloud-init reads user-data only on an instance's first boot, so launch the host anew with this user-data, or re-bake its image with it (dockbake render %s prints it again).\n", name)
	if rot.Client != nil {
		fmt.Fprintf(p.stderr, "A docker context made by dockbake context %s holds copies of the old client files: run dockbake context %s again.\n", name, name)
	}
}

func reportNewCA(p *proc, name string, rot *store.Rotation) {
	if rot.LeftCA != "" {
		fmt.Fprintf(p.stderr, "%s now has a CA of its own; it left the shared CA %q.\n", name, rot.LeftCA)
	}
	fmt.Fprintf(p.stderr, "New CA: every client certificate of the old CA stops working once the host runs the new user-data. Yours is replaced now.\n")
	if len(rot.Orphaned) > 0 {
		fmt.Fprintf(p.stderr, "Teammates lose access: %s. Issue new ones with dockbake client add %s --user USER --force.\n", userList(rot.Orphaned), name)
	}
	fmt.Fprintf(p.stderr, "Until the host runs the new user-data it refuses your new client certificate: dockbake env %s and docker commands fail.\n", name)
}

func oldExpiry(rot *store.Rotation) time.Time {
	if rot.OldClient == nil {
		return time.Time{}
	}
	return rot.OldClient.NotAfter
}

// day formats a certificate time as a UTC date.
func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }
