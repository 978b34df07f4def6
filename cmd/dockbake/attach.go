package main

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	attachpkg "github.com/dockbake/dockbake/internal/attach"
	"github.com/dockbake/dockbake/internal/deliver"
	"github.com/dockbake/dockbake/store"
)

func attachCommand(p *proc) *cli.Command {
	return &cli.Command{
		Name:      "attach",
		Usage:     "give a running host the address it got: a fresh server key and certificate, delivered through its Docker API",
		ArgsUsage: "NAME",
		Description: `Dials the host at the new address, trusting only the server certificate the
store issued for NAME; issues a fresh server key and a certificate naming the
new addresses; delivers them through the Docker API (a created, never started
container bind-mounting the host's spool); waits until the host serves the new
certificate; and only then records the addresses and files in the store. On any
failure the store stays as it was and the host keeps its working certificate.`,
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "ip", Usage: "IP `ADDRESS` of the host now (repeatable); the first is dialled and becomes DOCKER_HOST's"},
			&cli.StringSliceFlag{Name: "dns", Usage: "DNS `NAME` of the host (repeatable); dialled if there is no --ip"},
			&cli.IntFlag{Name: "port", Usage: "the host's TLS `PORT` as reached from here (default: the recorded one)"},
			&cli.DurationFlag{Name: "timeout", Value: 5 * time.Minute, Usage: "give up after `DURATION` (the host then keeps its certificate)"},
			&cli.BoolFlag{Name: "wait", Usage: "keep trying while the host cannot be reached or is still booting (until --timeout), e.g. right after launching it"},
			&cli.StringFlag{Name: "from", Usage: "the host was set up as machine `TEMPLATE` (a golden image): make NAME a new machine with a CA and certificates of its own"},
			&cli.BoolFlag{Name: "force", Usage: "deliver even where containers restart with dockerd (live-restore off, a swarm node)"},
			&cli.StringFlag{Name: "test-spool-dir", Hidden: true, Usage: "the spool's path on the host; for tests against a dockerd without the apply mechanism"},
			&cli.StringFlag{Name: "test-server-cert", Hidden: true, Usage: "deliver this server certificate instead of the fresh one; for tests of a delivery the host rolls back"},
			&cli.StringFlag{Name: "test-server-key", Hidden: true, Usage: "its key"},
		},
		Action: func(c *cli.Context) error { return attach(c, p) },
	}
}

func attach(c *cli.Context, p *proc) error {
	name, err := machineNameArg(c)
	if err != nil {
		return err
	}
	if err := refuseManaged(c, p, name, c.Bool("force")); err != nil {
		return err
	}
	if c.Duration("timeout") <= 0 {
		return withHint(fmt.Errorf("--timeout %q: not a positive duration", c.Duration("timeout")), "write it as 5m")
	}
	s, err := openStore(c, p)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, c.Duration("timeout"))
	defer cancel()
	start := time.Now()
	m, err := attachpkg.Run(ctx, attachRequest(c, p, s, name))
	if err != nil {
		return attachFailed(c, name, err)
	}
	fmt.Fprintf(p.stderr, "Attached machine %s at %s (new certificate served after %.1f s)\n", name, m.Spec.URL(), time.Since(start).Seconds())
	if err := verifyAttached(ctx, c, p, s, m); err != nil {
		return err
	}
	if from := c.String("from"); from != "" {
		fmt.Fprintf(p.stderr, "The host is machine %s now, with a CA of its own: machine %s's client certificate no longer opens it\n", name, from)
	}
	fmt.Fprintf(p.stderr, "Run: eval \"$(dockbake env %s)\"\n", name)
	return nil
}

// attachRequest is the attach the flags ask for.
func attachRequest(c *cli.Context, p *proc, s *store.Store, name string) attachpkg.Request {
	r := attachpkg.Request{
		Store: s, Name: name, IPs: c.StringSlice("ip"), DNSNames: c.StringSlice("dns"), Port: c.Int("port"),
		From: c.String("from"), Force: c.Bool("force"), Retry: c.Bool("wait"), ToolVersion: toolVersion(),
		Progress: func(format string, args ...any) { notef(p.stderr, format, args...) },
		SpoolDir: c.String("test-spool-dir"),
	}
	if c.String("test-server-cert") != "" {
		r.Tamper = func(dr *deliver.Request) error { return testPair(c, dr) }
	}
	return r
}

// attachFailed gives a failed attach its hint.
func attachFailed(c *cli.Context, name string, err error) error {
	var ae *attachpkg.Error
	switch {
	case errors.As(err, &ae):
		return attachError(c, name, ae.Addr, ae.Err)
	case errors.Is(err, attachpkg.ErrNotRecorded):
		return withHint(err, "run dockbake attach %s again with the same addresses", name)
	case errors.Is(err, store.ErrExists) && c.String("from") != "":
		return withHint(err, "with --from, NAME is a new machine: pick a name the store does not have (dockbake ls)")
	case errors.Is(err, store.ErrNotFound):
		return withHint(err, "dockbake ls lists the machines")
	case errors.Is(err, store.ErrAttaching):
		return withHint(err, "wait for the other attach of %s to end, then check with dockbake verify %s", name, name)
	}
	return withHint(err, "dockbake attach %s --ip ADDRESS, with the address the host got", name)
}

// testPair replaces the delivered pair by --test-server-cert and
// --test-server-key (hidden): a pair the host cannot serve, to prove the
// rollback. The certificate is pinned by its DER alone, so one that Go
// cannot parse (a secp256k1 key) works too.
func testPair(c *cli.Context, r *deliver.Request) error {
	cert, err := os.ReadFile(c.String("test-server-cert"))
	if err != nil {
		return err
	}
	key, err := os.ReadFile(c.String("test-server-key"))
	if err != nil {
		return err
	}
	block, _ := pem.Decode(cert)
	if block == nil {
		return fmt.Errorf("--test-server-cert %q: not PEM", c.String("test-server-cert"))
	}
	r.Delivery.ServerCert, r.Delivery.ServerKey, r.New = cert, key, &x509.Certificate{Raw: block.Bytes}
	return nil
}

// verifyAttached runs verify's checks against the machine as recorded.
func verifyAttached(ctx context.Context, c *cli.Context, p *proc, s *store.Store, m *store.Machine) error {
	pb := &probe{proc: p, store: s, m: m, name: m.Name, host: m.Spec.Address(), port: m.Spec.Port, timeout: 10 * time.Second, now: s.Now(), certPath: m.ClientDir, spool: c.String("test-spool-dir")}
	var err error
	if pb.ca, err = m.CACert(); err != nil {
		return err
	}
	if err := pb.loadClient(); err != nil {
		return err
	}
	return pb.run(ctx)
}
