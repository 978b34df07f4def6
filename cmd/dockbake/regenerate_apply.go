package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	attachpkg "github.com/dockbake/dockbake/internal/attach"
	"github.com/dockbake/dockbake/store"
)

// regenerateApply delivers the rotation req to the machine's running host
// and records it once the host serves it. A new CA goes in two steps:
// --ca --apply starts, --finish ends.
func regenerateApply(c *cli.Context, p *proc, s *store.Store, m *store.Machine, req store.RotateRequest) error {
	name := m.Name
	for _, f := range []string{"output", "format", "merge", "gzip", "base64", "target"} {
		if c.IsSet(f) {
			return withHint(fmt.Errorf("--%s: --apply delivers to the running host and writes no user-data", f), "dockbake render %s prints the user-data for new hosts", name)
		}
	}
	if c.Duration("timeout") <= 0 {
		return withHint(fmt.Errorf("--timeout %q: not a positive duration", c.Duration("timeout")), "write it as 5m")
	}
	req.StartCA, req.FinishCA, req.CA = req.CA && !c.Bool("finish"), c.Bool("finish"), false
	if req.FinishCA && !c.Bool("force") {
		if err := confirmFinish(p, s, m); err != nil {
			return err
		}
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, c.Duration("timeout"))
	defer cancel()
	start := time.Now()
	rot, err := attachpkg.Apply(ctx, attachpkg.ApplyRequest{
		Store: s, Rotate: req, Force: c.Bool("force"), SpoolDir: c.String("test-spool-dir"),
		Progress: func(format string, args ...any) { notef(p.stderr, format, args...) },
	})
	if err != nil {
		return applyFailed(c, s, name, err)
	}
	fmt.Fprintf(p.stderr, "The host of %s serves its new certificate (after %.1f s); its containers kept running.\n", name, time.Since(start).Seconds())
	reportApplied(p, rot)
	return verifyAttached(ctx, c, p, s, rot.Machine)
}

// confirmFinish says who loses access when the old CA goes, and asks.
func confirmFinish(p *proc, s *store.Store, m *store.Machine) error {
	clients, err := s.Clients(m)
	if err != nil {
		return err
	}
	var old []store.ClientInfo
	if cas, err := m.TrustedCAs(); err == nil && len(cas) == 2 {
		for _, cl := range clients {
			if cl.Cert.CheckSignatureFrom(cas[1]) != nil {
				old = append(old, cl)
			}
		}
	}
	if len(old) == 0 {
		return nil
	}
	fmt.Fprintf(p.stderr, "Finishing the CA rotation of %s cuts off the client certificates of the old CA: %s.\n", m.Name, userList(old))
	if !confirm(p, "Continue? (y/N) ") {
		return withHint(errors.New("the old CA stays trusted"), "issue them new ones first (dockbake client add %s --user USER --force), or answer y, or add --force", m.Name)
	}
	return nil
}

// reportApplied tells what the host trusts now and who must act.
func reportApplied(p *proc, rot *store.Rotation) {
	name := rot.Machine.Name
	switch {
	case rot.Started:
		fmt.Fprintf(p.stderr, "CA rotation started: the host trusts the old and the new CA; your client certificate is on the new one.\n")
		if len(rot.Pending) > 0 {
			fmt.Fprintf(p.stderr, "Teammates keep access until the finish, then lose it: %s. Issue them new ones now: dockbake client add %s --user USER --force.\n", userList(rot.Pending), name)
		}
		fmt.Fprintf(p.stderr, "Then finish: dockbake regenerate-certs %s --ca --finish\n", name)
	case rot.Finished:
		fmt.Fprintf(p.stderr, "CA rotation finished: the host trusts only the new CA; the old CA's key is deleted.\n")
		if rot.LeftCA != "" {
			fmt.Fprintf(p.stderr, "%s now has a CA of its own; it left the shared CA %q.\n", name, rot.LeftCA)
		}
		if len(rot.Orphaned) > 0 {
			fmt.Fprintf(p.stderr, "Cut off: %s.\n", userList(rot.Orphaned))
		}
	case rot.Client != nil:
		fmt.Fprintf(p.stderr, "A new client certificate is in %s. The old one stays valid until %s: dockerd checks no revocation list; to cut a leaked key off, rotate the CA (--ca --apply, then --finish).\n", rot.Machine.ClientDir, day(oldExpiry(rot)))
	}
	if rot.Client != nil {
		fmt.Fprintf(p.stderr, "A docker context made by dockbake context %s holds copies of the old client files: run dockbake context %s again.\n", name, name)
	}
}

// applyFailed gives a failed --apply its hint; the store is unchanged.
func applyFailed(c *cli.Context, s *store.Store, name string, err error) error {
	var ae *attachpkg.Error
	switch {
	case errors.As(err, &ae):
		return attachError(c, name, ae.Addr, ae.Err)
	case errors.Is(err, attachpkg.ErrNotAttached):
		return withHint(err, "attach it first: dockbake attach %s --ip ADDRESS", name)
	case errors.Is(err, attachpkg.ErrNotRecorded):
		return withHint(err, "check with dockbake verify %s; the host runs certificates the store does not hold: dockbake attach %s --ip ADDRESS gives it new ones", name, name)
	case errors.Is(err, store.ErrAttaching):
		return withHint(err, "wait for the other delivery to %s to end, then check with dockbake verify %s", name, name)
	}
	return rotateError(s, name, err)
}
