package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/internal/deliver"
)

// attachError turns a failed delivery into a message that names the
// machine, the address and the fix. The store is unchanged in every case.
func attachError(c *cli.Context, name, addr string, err error) error {
	again := c.Command.Name // attach, or regenerate-certs --apply
	var pe *deliver.PinError
	var oe *deliver.OutcomeError
	switch {
	case errors.As(err, &pe) && pe.Owner != "":
		return withHint(fmt.Errorf("machine %q: %w", name, err), "that host is machine %s: check the address (dockbake inspect %s shows its record)", pe.Owner, pe.Owner)
	case errors.As(err, &pe):
		return withHint(fmt.Errorf("machine %q: %w", name, err), "check the address; a host launched from user-data of another store, or re-created with --force, presents another certificate")
	case errors.Is(err, deliver.ErrNoMechanism):
		return withHint(fmt.Errorf("machine %q at %s: %w", name, addr, err),
			"if the host is still booting, wait until cloud-init is done and run %s again; else it was set up by an older dockbake or imported from Docker Machine: give it new user-data (dockbake render %s) once, or use dockbake regenerate-certs and copy the files", again, name)
	case errors.Is(err, deliver.ErrRestarts):
		return withHint(fmt.Errorf("machine %q at %s: %w", name, addr, err), "run again with --force to restart them, or stop them first")
	case errors.As(err, &oe):
		return withHint(fmt.Errorf("machine %q at %s: %w%s", name, addr, err, logLines(oe.Status)),
			"the host keeps its previous certificate; fix the cause and run dockbake %s %s again", again, name)
	case errors.Is(err, context.DeadlineExceeded):
		return withHint(fmt.Errorf("machine %q at %s: timed out after %s: %w", name, addr, c.Duration("timeout"), err),
			"the host keeps (or returns to) its previous certificate; check it is up (dockbake verify %s --url tcp://%s), then run %s again, maybe with a longer --timeout", name, addr, again)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("machine %q at %s: interrupted; the store is unchanged: %w", name, addr, err)
	}
	return withHint(fmt.Errorf("machine %q at %s: %w", name, addr, err),
		"check that the host is up and the address is right: dockbake verify %s --url tcp://%s", name, addr)
}

// logLines are dockerd's journal lines the host sent with its outcome.
func logLines(s generator.Status) string {
	if len(s.Log) == 0 {
		return ""
	}
	return "\n  " + strings.Join(s.Log, "\n  ")
}
