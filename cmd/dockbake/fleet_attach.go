package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	attachpkg "github.com/dockbake/dockbake/internal/attach"
	"github.com/dockbake/dockbake/internal/fleet"
	"github.com/dockbake/dockbake/store"
)

func fleetAttachCommand(p *proc) *cli.Command {
	return &cli.Command{
		Name:      "attach",
		Usage:     "attach every machine of the fleet whose addresses in the file the store does not have yet, several at a time",
		ArgsUsage: "FILE",
		Description: `For each machine of the file with ip_addresses or dns_names that its record
does not have (a host that booted from a golden or unattached image, or got a
new address), runs what dockbake attach NAME --ip ... runs: a fresh server
certificate delivered through the host's Docker API, recorded once it is
served. Machines not in the store yet are left to dockbake fleet apply.`,
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "parallel", Value: 8, Usage: "attach up to `N` hosts at a time"},
			&cli.DurationFlag{Name: "timeout", Value: 5 * time.Minute, Usage: "give up on a host after `DURATION` (it keeps its certificate)"},
			&cli.BoolFlag{Name: "retry", Usage: "keep retrying a host that is unreachable or still booting, until --timeout"},
			&cli.BoolFlag{Name: "force", Usage: "deliver even where containers restart with dockerd"},
			&cli.StringSliceFlag{Name: "test-spool-dir", Hidden: true, Usage: "`NAME=DIR`: the spool's path on machine NAME's host; for tests"},
		},
		Action: func(c *cli.Context) error { return fleetAttach(c, p) },
	}
}

// toAttach are the fleet's machines whose addresses in the file the store
// does not record; the others are named in notes.
func toAttach(p *proc, s *store.Store, inv *fleet.Inventory) ([]fleet.Machine, error) {
	var todo []fleet.Machine
	for _, m := range inv.Machines {
		spec := m.Request.Spec
		if !spec.Attached() {
			continue
		}
		rec, err := s.Record(spec.Name)
		if errors.Is(err, store.ErrNotFound) {
			notef(p.stderr, "%s is not in the store yet: dockbake fleet apply %s makes it", spec.Name, inv.File)
			continue
		}
		if err != nil {
			return nil, err
		}
		if rec.Fleet != inv.Name {
			return nil, withHint(fmt.Errorf("machine %q is not of fleet %q", spec.Name, inv.Name), "dockbake attach %s attaches it on its own", spec.Name)
		}
		if !slices.Equal(rec.Spec.IPs, spec.IPs) || !slices.Equal(rec.Spec.DNSNames, spec.DNSNames) {
			todo = append(todo, m)
		}
	}
	return todo, nil
}

func fleetAttach(c *cli.Context, p *proc) error {
	inv, err := readInventory(c)
	if err != nil {
		return err
	}
	s, err := openStore(c, p)
	if err != nil {
		return err
	}
	todo, err := toAttach(p, s, inv)
	if err != nil {
		return err
	}
	if len(todo) == 0 {
		fmt.Fprintf(p.stderr, "Fleet %s: every machine with an address is attached.\n", inv.Name)
		return nil
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	prog := newAttachProgress(p, len(todo))
	failed := attachAll(ctx, c, p, s, todo, prog)
	prog.wait()
	return attachSummary(p, inv, len(todo), failed)
}

// attachFailure is one host that could not be attached.
type attachFailure struct {
	name string
	err  error
}

// attachAll attaches todo, --parallel at a time, and returns the failures
// in the order of the file.
func attachAll(ctx context.Context, c *cli.Context, p *proc, s *store.Store, todo []fleet.Machine, prog attachProgress) []attachFailure {
	errs := make([]error, len(todo))
	sem := make(chan struct{}, max(1, c.Int("parallel")))
	var wg sync.WaitGroup
	for i, m := range todo {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = attachOne(ctx, c, p, s, m, prog)
		}()
	}
	wg.Wait()
	var failed []attachFailure
	for i, err := range errs {
		if err != nil {
			failed = append(failed, attachFailure{todo[i].Settings.Name, err})
		}
	}
	return failed
}

// attachOne attaches one host with the addresses of the file.
func attachOne(ctx context.Context, c *cli.Context, p *proc, s *store.Store, m fleet.Machine, prog attachProgress) error {
	name, spec := m.Settings.Name, m.Request.Spec
	done := prog.start(name, spec.Address())
	ctx, cancel := context.WithTimeout(ctx, c.Duration("timeout"))
	defer cancel()
	_, err := attachpkg.Run(ctx, attachpkg.Request{
		Store: s, Name: name, IPs: spec.IPs, DNSNames: spec.DNSNames, Port: spec.Port,
		Force: c.Bool("force"), Retry: c.Bool("retry"), ToolVersion: toolVersion(),
		SpoolDir: testSpool(c, name),
	})
	done(err)
	return err
}

// attachSummary names every failure and its fix; an error if any failed.
func attachSummary(p *proc, inv *fleet.Inventory, n int, failed []attachFailure) error {
	fmt.Fprintf(p.stderr, "Fleet %s: %d of %d attached.\n", inv.Name, n-len(failed), n)
	if len(failed) == 0 {
		return nil
	}
	for _, f := range failed {
		warnf(p.stderr, "%s: %s", f.name, renderError(f.err))
	}
	return withHint(fmt.Errorf("%d of %d machines of fleet %s were not attached; each keeps its certificate", len(failed), n, inv.Name),
		"dockbake fleet attach %s tries those again (--retry waits for hosts still booting); dockbake attach NAME --ip ADDRESS says more about one", inv.File)
}

// testSpool is the spool directory --test-spool-dir (hidden) gives for
// machine name; empty: the host's own.
func testSpool(c *cli.Context, name string) string {
	for _, kv := range c.StringSlice("test-spool-dir") {
		if n, dir, ok := strings.Cut(kv, "="); ok && n == name {
			return dir
		}
	}
	return ""
}
