package main

import (
	"bufio"
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dockbake/dockbake/internal/fleet"
	"github.com/dockbake/dockbake/store"
)

func fleetApply(c *cli.Context, p *proc) error {
	inv, err := readInventory(c)
	if err != nil {
		return err
	}
	s, err := openStore(c, p)
	if err != nil {
		return err
	}
	o := fleetOptions(c)
	if o.Prune && !c.Bool("force") {
		// The question is asked without the store's lock, which a prompt
		// would hold for as long as it waits; Apply plans again under the
		// lock and removes nothing that was not in the question.
		agreed, err := confirmPrune(p, s, inv, o)
		if err != nil {
			return err
		}
		o.Removable = func(name string) bool { return agreed[name] }
	}
	plan, err := fleet.Apply(s, inv, o)
	var unconfirmed *fleet.UnconfirmedError
	if errors.As(err, &unconfirmed) {
		return withHint(err, "run the command again to be asked about them")
	}
	if err != nil {
		return fleetError(s, inv, err)
	}
	// One write for all the lines, not one per machine: the apply is done
	// by now, and a thousand lines were a thousand system calls.
	w := bufio.NewWriter(p.stderr)
	for _, st := range plan.Steps {
		if st.Action != fleet.Unchanged {
			fmt.Fprintf(w, "%s %s: %s%s\n", planMarks[st.Action], st.Name, st.Action, written(st))
		}
	}
	fmt.Fprintf(w, "Fleet %s: %s.\n", plan.Fleet, planTotals(plan))
	w.Flush()
	notInFile(p, plan)
	return nil
}

// written says where a step wrote the user-data.
func written(st fleet.Step) string {
	if st.Action == fleet.Remove {
		return ""
	}
	return " -> " + st.Output
}

// confirmPrune asks before machines are removed, and gives the machines
// agreed to; with none to remove it asks nothing.
func confirmPrune(p *proc, s *store.Store, inv *fleet.Inventory, o fleet.Options) (map[string]bool, error) {
	plan, err := fleet.MakePlan(s, inv, o)
	if err != nil {
		return nil, fleetError(s, inv, err)
	}
	agreed := map[string]bool{}
	var gone []string
	for _, st := range plan.Steps {
		if st.Action == fleet.Remove {
			gone = append(gone, st.Name)
			agreed[st.Name] = true
		}
	}
	if len(gone) == 0 {
		return agreed, nil
	}
	q := fmt.Sprintf("Remove %d machines of fleet %s and their keys (%s)? Clients lose access to them. (y/N) ", len(gone), plan.Fleet, strings.Join(gone, ", "))
	if !confirm(p, q) {
		return nil, withHint(errors.New("nothing was changed"), "answer y, or add --force")
	}
	return agreed, nil
}
