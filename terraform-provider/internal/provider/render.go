package provider

import (
	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/store"
)

// rendered is a machine's user-data, as user_data and user_data_base64.
type rendered struct {
	plain, packed string
}

// output is the core's output of a format and a target.
func output(format, target string) generator.Output {
	return generator.Output{Format: generator.Format(format), Target: target}
}

// render says machine m's plan in format for target, as `dockbake render`
// does. user_data is the plain text; user_data_base64 is gzip+base64, or
// base64 alone where gzip cannot go (Ignition, a plain-text-only slot),
// and is what is measured against the target's limit when it is packed.
func render(m *store.Machine, format, target string) (rendered, error) {
	plan, err := m.Plan()
	if err != nil {
		return rendered{}, err
	}
	out := output(format, target)
	packed := out
	packed.Encoding = generator.Encoding{Gzip: plan.OS.Boot != generator.BootIgnition, Base64: true}
	if t, err := generator.LookupTarget(target); target != "" && err == nil && t.PlainOnly {
		packed.Encoding = generator.Encoding{}
	}
	if target != "" && packed.Encoding.Gzip {
		out.Target = "" // the slot gets the packed form; the plain one need not fit
	}
	plain, _, err := generator.UserData(plan, out)
	if err != nil {
		return rendered{}, err
	}
	b64, _, err := generator.UserData(plan, packed)
	if err != nil {
		return rendered{}, err
	}
	if packed.Encoding == (generator.Encoding{}) {
		b64, err = generator.Encode(plain, generator.Encoding{Base64: true})
	}
	return rendered{plain: string(plain), packed: string(b64)}, err
}
