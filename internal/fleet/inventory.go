package fleet

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/dockbake/dockbake/internal/settings"
	"github.com/dockbake/dockbake/store"
)

// Version is the inventory format version this package reads.
const Version = 1

// DefaultOutputDir is where apply writes each machine's user-data when no
// directory is given.
const DefaultOutputDir = "user-data"

// Inventory is a decoded, checked fleet inventory.
type Inventory struct {
	// File is the inventory's path as given, for messages.
	File string
	// Name is the fleet's name, recorded in each of its machines.
	Name string
	// Machines are the machines in the order of the file, each with the
	// defaults filled in where it sets nothing of its own.
	Machines []Machine
}

// Machine is one machine of an inventory.
type Machine struct {
	// Settings are the defaults overridden by the machine's own keys.
	Settings settings.Settings
	// Request is what the store creates for it, checked.
	Request store.CreateRequest
	// Line is where its entry starts in the file.
	Line int
}

// fleetName is the fleet's name: the `fleet:` key, else the file's base
// name without its extension.
func fleetName(file, given string) string {
	if given != "" {
		return given
	}
	base := filepath.Base(file)
	return strings.TrimSuffix(base, filepath.Ext(base))
}

// checkFleetName refuses a fleet name that is not a valid name: it is
// recorded in the store and typed in `dockbake ls --fleet NAME`.
func checkFleetName(ps *problems, line int, name string, given bool) {
	if err := store.ValidateName("fleet", name); err != nil {
		if given {
			ps.add(line, "fleet", "%q is not a valid fleet name: use letters, digits, '.', '_' and '-'", name)
			return
		}
		ps.add(1, "", "the file name makes the fleet name %q, which is not a valid name: add a top-level fleet: NAME key", name)
	}
}

// Names returns the machines' names in file order.
func (inv *Inventory) Names() []string {
	names := make([]string, len(inv.Machines))
	for i, m := range inv.Machines {
		names[i] = m.Settings.Name
	}
	return names
}

// machinePath is the path of machine i's key attr, element idx (-1: the
// attribute as a whole).
func machinePath(i int, attr string, idx int) string {
	p := fmt.Sprintf("machines[%d]", i)
	if attr != "" {
		p += "." + attr
	}
	if idx >= 0 {
		p += fmt.Sprintf("[%d]", idx)
	}
	return p
}
