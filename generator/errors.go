package generator

import (
	"fmt"
	"strings"
)

// FieldError is a problem with one input value. Field is the spec's key
// (for example "ip"); front ends map it to their own name for the input,
// such as the CLI flag --ip or a Packer attribute.
type FieldError struct {
	Field string
	Value string
	Msg   string
}

func (e *FieldError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("--%s: %s", e.Field, e.Msg)
	}
	return fmt.Sprintf("--%s %q: %s", e.Field, e.Value, e.Msg)
}

// Errors collects every problem in a spec, so a user fixes them in one go.
type Errors []*FieldError

func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

func (es *Errors) add(field, value, format string, args ...any) {
	*es = append(*es, &FieldError{Field: field, Value: value, Msg: fmt.Sprintf(format, args...)})
}

func (es Errors) err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}
