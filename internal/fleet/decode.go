package fleet

import (
	"fmt"
	"reflect"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/internal/settings"
)

// keyKinds is the kind of value each settings key takes, read from the
// yaml tags of settings.Settings: the one vocabulary, listed once. It is
// read on first use, not when the package loads and every command pays.
var keyKinds = sync.OnceValue(func() map[string]reflect.Kind {
	kinds := map[string]reflect.Kind{}
	t := reflect.TypeOf(settings.Settings{})
	for i := 0; i < t.NumField(); i++ {
		if tag := t.Field(i).Tag.Get("yaml"); tag != "" {
			kinds[tag] = t.Field(i).Type.Kind()
		}
	}
	return kinds
})

// keyNames lists the settings keys, for the hint of an unknown key.
func keyNames() string {
	var names []string
	t := reflect.TypeOf(settings.Settings{})
	for i := 0; i < t.NumField(); i++ {
		names = append(names, t.Field(i).Tag.Get("yaml"))
	}
	return strings.Join(names, ", ")
}

// lines says where each key of a settings mapping is: the line of the key
// and of each element of a list.
type lines map[string][]int

// line is where attr's element idx is, else attr itself; 0 if not set.
func (ls lines) line(attr string, idx int) int {
	l := ls[attr]
	switch {
	case len(l) == 0:
		return 0
	case idx >= 0 && idx+1 < len(l):
		return l[idx+1]
	}
	return l[0]
}

// checkSettings checks every key of a settings mapping at path: known, of
// the right type, given once. It returns where each key is, the mapping
// with only the keys that passed (so that their values are checked too:
// every problem at once), and whether all passed.
func checkSettings(ps *problems, n *yaml.Node, path string) (lines, *yaml.Node, bool) {
	if n.Kind != yaml.MappingNode {
		ps.add(n.Line, path, "is %s: give a mapping of settings (%s)", kindOf(n), keyNames())
		return nil, nil, false
	}
	ls, ok := lines{}, true
	good := &yaml.Node{Kind: yaml.MappingNode, Tag: n.Tag, Line: n.Line, Column: n.Column}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		kind, known := keyKinds()[k.Value]
		switch {
		case !known:
			ps.add(k.Line, path+"."+k.Value, "unknown key: use one of %s", keyNames())
			ok = false
		case ls[k.Value] != nil:
			ps.add(k.Line, path+"."+k.Value, "given twice (first on line %d): keep one", ls[k.Value][0])
			ok = false
		default:
			ls[k.Value] = []int{k.Line}
			if !checkValue(ps, v, path+"."+k.Value, kind) {
				ok = false
				continue
			}
			good.Content = append(good.Content, k, v)
			if v.Kind == yaml.SequenceNode {
				for _, e := range v.Content {
					ls[k.Value] = append(ls[k.Value], e.Line)
				}
			}
		}
	}
	return ls, good, ok
}

// checkValue checks that v is a value of kind: a string, a decimal
// number, or a list of strings.
func checkValue(ps *problems, v *yaml.Node, path string, kind reflect.Kind) bool {
	switch kind {
	case reflect.Int:
		if v.Kind != yaml.ScalarNode || v.Tag != "!!int" || !generator.PlainDecimal(v.Value) {
			ps.add(v.Line, path, "is %s: give a decimal number", kindOf(v))
			return false
		}
	case reflect.Slice:
		if v.Kind != yaml.SequenceNode {
			ps.add(v.Line, path, "is %s: give a list of strings, e.g. [a, b]", kindOf(v))
			return false
		}
		ok := true
		for i, e := range v.Content {
			if e = deref(e); e.Kind != yaml.ScalarNode || e.Tag != "!!str" {
				ps.add(e.Line, fmt.Sprintf("%s[%d]", path, i), "is %s: give a string (quote it)", kindOf(e))
				ok = false
			}
		}
		return ok
	default:
		if v.Kind != yaml.ScalarNode || v.Tag != "!!str" {
			ps.add(v.Line, path, "is %s: give a string (quote it)", kindOf(v))
			return false
		}
	}
	return true
}

// kindOf says what a node is, for a message.
func kindOf(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "empty"
		case "!!str":
			return fmt.Sprintf("the string %q", n.Value)
		case "!!int", "!!float":
			return "the number " + n.Value
		case "!!bool":
			return "the boolean " + n.Value
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "not a value"
}

// deref follows an alias (*name) to its anchor.
func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}
