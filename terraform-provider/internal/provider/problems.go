package provider

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/internal/settings"
)

// problems appends err to diags: each of the core's field errors as a
// diagnostic on its attribute and list element, `ip_addresses[1]:
// "10.0.0.300": not an IP address`, all at once. An error that names no
// field is one diagnostic with summary.
func problems(diags *diag.Diagnostics, summary string, err error, s settings.Settings) {
	if err == nil {
		return
	}
	ps, ok := settings.Problems(err, s)
	if !ok {
		diags.AddError(summary, err.Error())
		return
	}
	for _, p := range ps {
		at, where := path.Root(p.Attr), p.Attr
		if p.Index >= 0 {
			at, where = at.AtListIndex(p.Index), fmt.Sprintf("%s[%d]", p.Attr, p.Index)
		}
		what := (&generator.FieldError{Msg: p.Err.Msg}).Text(settings.Attribute)
		fix := "fix the value in the configuration"
		if p.Err.Hint != "" {
			fix = (&generator.FieldError{Msg: p.Err.Hint}).Text(settings.Attribute)
		}
		line := fmt.Sprintf("%s: %s", where, what)
		if p.Value != "" {
			line = fmt.Sprintf("%s: %q: %s", where, p.Value, what)
		}
		diags.AddAttributeError(at, line, fix)
	}
}
