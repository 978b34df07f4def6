package fleet

import (
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/dockbake/dockbake/internal/settings"
)

// topKeys are the keys of an inventory's top level.
var topKeys = []string{"version", "fleet", "defaults", "machines"}

// Decode reads the inventory in data; file names it in problems. It
// decodes strictly: an unknown key, a wrong type, a key given twice, a
// duplicate machine name or an invalid value is a Problem, and all of them
// come back at once as Problems. toolVersion is recorded in new machines.
func Decode(file string, data []byte, toolVersion string) (*Inventory, error) {
	ps := &problems{file: file}
	root := parseRoot(ps, data)
	if root == nil {
		return nil, ps.err()
	}
	top := topLevel(ps, root)
	checkVersion(ps, root, top["version"])
	inv := &Inventory{File: file}
	given := ""
	if n := top["fleet"]; n != nil && checkValue(ps, n, "fleet", reflect.String) {
		given = n.Value
	}
	inv.Name = fleetName(file, given)
	checkFleetName(ps, lineOf(top["fleet"]), inv.Name, given != "")
	def, defLines := decodeDefaults(ps, top["defaults"])
	machines := top["machines"]
	switch {
	case machines == nil:
		ps.add(root.Line, "", "has no machines: add machines: with a list of machines, each with a name")
	case machines.Kind != yaml.SequenceNode:
		ps.add(machines.Line, "machines", "is %s: give a list of machines, each with a name", kindOf(machines))
	default:
		d := &decoder{ps: ps, inv: inv, def: def, defLines: defLines, toolVersion: toolVersion, first: map[string]int{}}
		for i, n := range machines.Content {
			d.machine(i, deref(n))
		}
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	return inv, nil
}

// yamlLine finds the line in a message of yaml.v3. It is compiled on
// first use: only a file that is not YAML needs it.
var yamlLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^yaml: line (\d+): (.*)$`) })

// parseRoot parses data and returns its top-level mapping, or nil.
func parseRoot(ps *problems, data []byte) *yaml.Node {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		if m := yamlLine().FindStringSubmatch(err.Error()); m != nil {
			line, _ := strconv.Atoi(m[1])
			ps.add(line, "", "is not valid YAML: %s", m[2])
		} else {
			ps.add(0, "", "is not valid YAML: %v", err)
		}
		return nil
	}
	if len(doc.Content) == 0 {
		ps.add(0, "", "is empty: start it with version: %d", Version)
		return nil
	}
	root := deref(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		ps.add(root.Line, "", "is %s: an inventory is a mapping with version, defaults and machines", kindOf(root))
		return nil
	}
	return root
}

// topLevel checks the top-level keys and returns their values.
func topLevel(ps *problems, root *yaml.Node) map[string]*yaml.Node {
	top := map[string]*yaml.Node{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], deref(root.Content[i+1])
		switch {
		case !isTopKey(k.Value):
			ps.add(k.Line, k.Value, "unknown key: the top level has version, fleet, defaults and machines; a machine's settings go under defaults: or an entry of machines:")
		case top[k.Value] != nil:
			ps.add(k.Line, k.Value, "given twice (first on line %d): keep one", top[k.Value].Line)
		default:
			top[k.Value] = v
		}
	}
	return top
}

func isTopKey(k string) bool {
	for _, t := range topKeys {
		if t == k {
			return true
		}
	}
	return false
}

// checkVersion requires version: 1.
func checkVersion(ps *problems, root, v *yaml.Node) {
	switch {
	case v == nil:
		ps.add(root.Line, "", "has no version: add version: %d at the top", Version)
	case v.Kind != yaml.ScalarNode || v.Tag != "!!int" || v.Value != strconv.Itoa(Version):
		ps.add(v.Line, "version", "%s is not a version this dockbake reads: use version: %d", kindOf(v), Version)
	}
}

func lineOf(n *yaml.Node) int {
	if n == nil {
		return 1
	}
	return n.Line
}

// decodeDefaults checks and decodes the defaults: mapping, if any.
func decodeDefaults(ps *problems, n *yaml.Node) (settings.Settings, lines) {
	var def settings.Settings
	if n == nil {
		return def, lines{}
	}
	ls, good, _ := checkSettings(ps, n, "defaults")
	if good == nil {
		return def, ls
	}
	if l := ls["name"]; l != nil {
		ps.add(l[0], "defaults.name", "a name is each machine's own: set it in each entry of machines:")
	}
	if err := good.Decode(&def); err != nil {
		ps.add(n.Line, "defaults", "%v", err)
	}
	return def, ls
}

// placeOf is the line and path of a problem with attribute attr,
// element idx: where the machine sets it, else where the defaults do,
// else the machine's entry.
func placeOf(i, entryLine int, own, def lines, attr string, idx int) (int, string) {
	if l := own.line(attr, idx); l > 0 {
		return l, machinePath(i, attr, idx)
	}
	if l := def.line(attr, idx); l > 0 {
		p := "defaults." + attr
		if idx >= 0 {
			p += fmt.Sprintf("[%d]", idx)
		}
		return l, p
	}
	return entryLine, machinePath(i, attr, idx)
}
