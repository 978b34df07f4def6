package pki

import "fmt"

// ValueError is a setting pki cannot read: a key type or a lifetime as the
// user wrote it, what is wrong with it and the fix. pki does not know which
// input the value came from; its caller does and names it (dockbake's front
// ends do so through generator.FieldOf), the way butane attaches a path to a
// validation error of a value.
type ValueError struct {
	Value string // as given
	Msg   string // what is wrong
	Hint  string // the fix
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("%q: %s: %s", e.Value, e.Msg, e.Hint)
}
