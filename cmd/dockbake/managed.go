package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// refuseManaged refuses a command that would change machine name when
// another tool's record is the truth about it (store.Record.ManagedBy,
// e.g. a machine of a Terraform state): the store holds only a mirror,
// which that tool's next run puts back. override (the command's --force)
// lets the change through. A machine that is not in the store, or that
// cannot be read, is left to the command to report.
func refuseManaged(c *cli.Context, p *proc, name string, override bool) error {
	if override {
		return nil
	}
	s, err := openStore(c, p)
	if err != nil || !s.Exists(name) {
		return nil
	}
	m, err := s.Load(name)
	if err != nil || m.ManagedBy == "" {
		return nil
	}
	err = fmt.Errorf("machine %q is managed by %s: this store holds a copy that %s puts back on its next run", name, m.ManagedBy, m.ManagedBy)
	if c.Command.Name == "create" {
		return withHint(err, "change it in its %s configuration, or remove the copy with dockbake rm --force %s first", m.ManagedBy, name)
	}
	return withHint(err, "change it in its %s configuration, or add --force to change this copy anyway", m.ManagedBy)
}
