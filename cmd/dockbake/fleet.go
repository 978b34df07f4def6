package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dockbake/dockbake/internal/fleet"
	"github.com/dockbake/dockbake/store"
)

// exitCode is an error that only sets the process's exit code: `fleet
// plan` exits 2 when there are changes, as terraform plan
// -detailed-exitcode does.
type exitCode int

func (e exitCode) Error() string { return "" }

// exitChanges is plan's exit code when apply would change something.
const exitChanges exitCode = 2

func fleetCommand(p *proc) *cli.Command {
	return &cli.Command{
		Name:  "fleet",
		Usage: "create and update many machines from one inventory file (see docs/fleet.md)",
		Subcommands: []*cli.Command{
			{
				Name:      "plan",
				Usage:     "show what apply would change, machine by machine; exit code 2 when there are changes",
				ArgsUsage: "FILE",
				Flags: append(fleetFlags(),
					&cli.StringFlag{Name: "format", Value: "table", Usage: "table or json"}),
				Action: func(c *cli.Context) error { return fleetPlan(c, p) },
			},
			{
				Name:      "apply",
				Usage:     "create the missing machines, re-issue or re-render what changed, write DIR/NAME.<ext> for each",
				ArgsUsage: "FILE",
				Flags: append(fleetFlags(),
					&cli.BoolFlag{Name: "force", Usage: "with --prune: do not ask"}),
				Action: func(c *cli.Context) error { return fleetApply(c, p) },
			},
			fleetAttachCommand(p),
		},
	}
}

// fleetFlags are the flags plan and apply share.
func fleetFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "output-dir", Aliases: []string{"o"}, Value: fleet.DefaultOutputDir, Usage: "write each machine's user-data to `DIR`/NAME.<ext>"},
		&cli.BoolFlag{Name: "prune", Usage: "remove the fleet's machines the file no longer lists (asks first)"},
	}
}

// readInventory reads and decodes the inventory named by the one argument.
func readInventory(c *cli.Context) (*fleet.Inventory, error) {
	if c.NArg() != 1 {
		return nil, withHint(errors.New("give one inventory FILE"), "dockbake %s FILE", c.Command.FullName())
	}
	file := c.Args().First()
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, withHint(fmt.Errorf("inventory %q: %w", file, err), "docs/fleet.md shows a complete inventory")
	}
	if err != nil {
		return nil, fmt.Errorf("inventory %q: %w", file, err)
	}
	inv, err := fleet.Decode(file, data, toolVersion())
	if err != nil {
		return nil, withHint(err, "nothing was changed: fix the file and run the command again")
	}
	return inv, nil
}

func fleetOptions(c *cli.Context) fleet.Options {
	return fleet.Options{OutputDir: c.String("output-dir"), Prune: c.Bool("prune")}
}

func fleetPlan(c *cli.Context, p *proc) error {
	format := c.String("format")
	if format != "table" && format != "json" {
		return withHint(fmt.Errorf("--format %q: use table or json", format), "dockbake fleet plan --format json FILE")
	}
	inv, err := readInventory(c)
	if err != nil {
		return err
	}
	s, err := openStore(c, p)
	if err != nil {
		return err
	}
	plan, err := fleet.MakePlan(s, inv, fleetOptions(c))
	if err != nil {
		return fleetError(s, inv, err)
	}
	if format == "json" {
		enc := json.NewEncoder(p.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(plan); err != nil {
			return err
		}
	} else {
		printPlan(p, plan)
	}
	if plan.Changed() {
		return exitChanges
	}
	return nil
}

// fleetError gives an error of a fleet command its hint: a plan's
// problems, or the store's of the machine it names (else of the fleet).
func fleetError(s *store.Store, inv *fleet.Inventory, err error) error {
	var ps fleet.Problems
	var machine *fleet.MachineError
	switch {
	case errors.As(err, &ps):
		return withHint(err, "nothing was changed: fix the file and run the command again")
	case errors.As(err, &machine):
		return storeError(s, machine.Name, err)
	}
	return storeError(s, inv.Name, err)
}

// planMarks are the marks of each action in a printed plan.
var planMarks = map[fleet.Action]string{
	fleet.Create: "+", fleet.Reissue: "~", fleet.Rerender: "~", fleet.Unchanged: " ", fleet.Remove: "-",
}

// printPlan prints the plan as a table, then its totals.
func printPlan(p *proc, plan *fleet.Plan) {
	for _, st := range plan.Steps {
		line := fmt.Sprintf("%s %s: %s", planMarks[st.Action], st.Name, st.Action)
		if len(st.Changes) > 0 {
			line += " (" + strings.Join(st.Changes, ", ") + ")"
		}
		fmt.Fprintln(p.stdout, line)
	}
	fmt.Fprintf(p.stdout, "Fleet %s: %s.\n", plan.Fleet, planTotals(plan))
	notInFile(p, plan)
}

// planTotals says how many machines each action concerns.
func planTotals(plan *fleet.Plan) string {
	if !plan.Changed() {
		return fmt.Sprintf("no changes, %d machines unchanged", len(plan.Steps))
	}
	var parts []string
	for _, a := range []fleet.Action{fleet.Create, fleet.Reissue, fleet.Rerender, fleet.Remove, fleet.Unchanged} {
		if n := plan.Count(a); n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, a))
		}
	}
	return strings.Join(parts, ", ")
}

// notInFile notes the fleet's machines that the file no longer lists.
func notInFile(p *proc, plan *fleet.Plan) {
	if n := len(plan.NotInFile); n > 0 {
		notef(p.stderr, "%d machines of fleet %s are not in the file and are kept (%s): --prune removes them", n, plan.Fleet, strings.Join(plan.NotInFile, ", "))
	}
}
