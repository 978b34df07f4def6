package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dockbake/dockbake/generator"
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
	s, err := openStore(c, p)
	if err != nil {
		return err
	}
	a, err := beginAttach(c, s, name)
	if err != nil {
		return err
	}
	defer a.Release()
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, c.Duration("timeout"))
	defer cancel()
	req, err := deliveryRequest(c, p, s, a)
	if err != nil {
		return err
	}
	start := time.Now()
	st, err := deliver.Deliver(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			err = errors.Join(ctx.Err(), err)
		}
		return attachError(c, name, req.Addr, st, err)
	}
	m, err := a.Commit()
	if err != nil {
		return withHint(fmt.Errorf("machine %q: the host at %s serves the new certificate, but recording it failed: %w", name, req.Addr, err),
			"run dockbake attach %s again with the same addresses", name)
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

// beginAttach checks the flags and starts the store's side of the attach.
func beginAttach(c *cli.Context, s *store.Store, name string) (*store.Attaching, error) {
	if c.Duration("timeout") <= 0 {
		return nil, withHint(fmt.Errorf("--timeout %q: not a positive duration", c.Duration("timeout")), "write it as 5m")
	}
	req := store.AttachRequest{Name: name, IPs: c.StringSlice("ip"), DNSNames: c.StringSlice("dns"), Port: c.Int("port")}
	var a *store.Attaching
	var err error
	if from := c.String("from"); from != "" {
		a, err = s.BeginAttachFrom(store.AttachFromRequest{AttachRequest: req, Template: from, ToolVersion: toolVersion()})
		if errors.Is(err, store.ErrExists) {
			return nil, withHint(err, "with --from, NAME is a new machine: pick a name the store does not have (dockbake ls)")
		}
	} else {
		a, err = s.BeginAttach(req)
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, withHint(err, "dockbake ls lists the machines")
	case errors.Is(err, store.ErrAttaching):
		return nil, withHint(err, "wait for the other attach of %s to end, then check with dockbake verify %s", name, name)
	case err != nil:
		return nil, withHint(err, "dockbake attach %s --ip ADDRESS, with the address the host got", name)
	}
	return a, nil
}

// deliveryRequest pins the host to the certificate the store holds for it
// and makes the delivery of the fresh key pair.
func deliveryRequest(c *cli.Context, p *proc, s *store.Store, a *store.Attaching) (deliver.Request, error) {
	m := a.Machine
	old, err := a.OldServer()
	if err != nil {
		return deliver.Request{}, err
	}
	cf := m.ClientFiles()
	client, err := tls.LoadX509KeyPair(cf.Cert, cf.Key)
	if err != nil {
		return deliver.Request{}, withHint(fmt.Errorf("machine %q: reading its client certificate: %w", m.Name, err), "dockbake regenerate-certs %s --client makes a new one", m.Name)
	}
	key, err := a.Server.KeyPEM()
	if err != nil {
		return deliver.Request{}, err
	}
	next, err := newClientCert(a)
	if err != nil {
		return deliver.Request{}, err
	}
	r := deliver.Request{
		Addr: net.JoinHostPort(a.Spec.Address(), strconv.Itoa(a.Spec.Port)),
		Pin: deliver.Pin{Servers: []*x509.Certificate{old}, Client: client, Next: next, Owner: func(fp string) string {
			if o := s.ServerOwner(fp); o != m.Name {
				return o
			}
			return ""
		}},
		Delivery: generator.Delivery{ID: deliveryID(), CACert: a.CACert, ServerCert: a.Server.CertPEM(), ServerKey: key},
		New:      a.Server.Cert,
		SpoolDir: c.String("test-spool-dir"),
		Force:    c.Bool("force"),
		Progress: func(format string, args ...any) { notef(p.stderr, format, args...) },
	}
	return r, testPair(c, &r)
}

// testPair replaces the delivered pair by --test-server-cert and
// --test-server-key (hidden): a pair the host cannot serve, to prove the
// rollback. The certificate is pinned by its DER alone, so one that Go
// cannot parse (a secp256k1 key) works too.
func testPair(c *cli.Context, r *deliver.Request) error {
	if c.String("test-server-cert") == "" {
		return nil
	}
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

// newClientCert is the new machine's client certificate of attach
// --from, for the host once it trusts only the new CA; nil otherwise.
func newClientCert(a *store.Attaching) (*tls.Certificate, error) {
	p := a.NewClient()
	if p == nil {
		return nil, nil
	}
	key, err := p.KeyPEM()
	if err != nil {
		return nil, err
	}
	c, err := tls.X509KeyPair(p.CertPEM(), key)
	return &c, err
}

// deliveryID is a time stamp and a random suffix, e.g. 20260301T101500Z-3f9a.
func deliveryID() string {
	var b [2]byte
	rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// verifyAttached runs verify's checks against the machine as recorded.
func verifyAttached(ctx context.Context, c *cli.Context, p *proc, s *store.Store, m *store.Machine) error {
	pb := &probe{proc: p, store: s, m: m, name: m.Name, host: m.Spec.Address(), port: m.Spec.Port, timeout: 10 * time.Second, now: s.Now(), certPath: m.ClientDir}
	var err error
	if pb.ca, err = m.CACert(); err != nil {
		return err
	}
	if err := pb.loadClient(); err != nil {
		return err
	}
	return pb.run(ctx)
}
