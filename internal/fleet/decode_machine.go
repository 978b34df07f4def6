package fleet

import (
	"gopkg.in/yaml.v3"

	"github.com/dockbake/dockbake/internal/settings"
)

// decoder decodes the entries of machines: one by one.
type decoder struct {
	ps          *problems
	inv         *Inventory
	def         settings.Settings
	defLines    lines
	toolVersion string
	first       map[string]int // machine name → line of its first entry
}

// machine checks and decodes entry i, the defaults under its own keys.
func (d *decoder) machine(i int, n *yaml.Node) {
	own, good, ok := checkSettings(d.ps, n, machinePath(i, "", -1))
	if good == nil {
		return
	}
	s := d.def // Decode replaces a list as a whole: a machine's list overrides the default's
	if err := good.Decode(&s); err != nil {
		d.ps.add(n.Line, machinePath(i, "", -1), "%v", err)
		return
	}
	if own["name"] == nil {
		d.ps.add(n.Line, machinePath(i, "", -1), "has no name: add name: NAME")
		return
	}
	if first, dup := d.first[s.Name]; dup {
		d.ps.add(own.line("name", -1), machinePath(i, "name", -1), "%q is the name of the machine on line %d too: give each machine a name of its own", s.Name, first)
		return
	}
	d.first[s.Name] = own.line("name", -1)
	req, err := s.Request(d.toolVersion)
	if err != nil {
		d.place(i, n.Line, own, s, err)
		return
	}
	if !ok {
		return
	}
	req.Fleet = d.inv.Name
	d.inv.Machines = append(d.inv.Machines, Machine{Settings: s, Request: req, Line: n.Line})
}

// place adds the problems of a request that failed, each where its value
// was given.
func (d *decoder) place(i, entryLine int, own lines, s settings.Settings, err error) {
	ps, ok := settings.Problems(err, s)
	if !ok {
		d.ps.add(entryLine, machinePath(i, "", -1), "%v", err)
		return
	}
	for _, p := range ps {
		line, path := placeOf(i, entryLine, own, d.defLines, p.Attr, p.Index)
		if p.Value != "" {
			d.ps.add(line, path, "%q: %s", p.Value, p.Msg)
		} else {
			d.ps.add(line, path, "%s", p.Msg)
		}
	}
}
