package generator

import (
	"errors"
	"strings"
)

// Format is a way of saying the plan: a kind of user-data, or a script.
type Format string

// The formats.
const (
	FormatCloudConfig Format = "cloud-config" // #cloud-config user-data
	FormatMIME        Format = "mime"         // multipart user-data: ours plus the user's merged parts
	FormatScript      Format = "script"       // a POSIX sh script applying the plan to a running host
	FormatButane      Format = "butane"       // the Butane config Ignition is made from
	FormatIgnition    Format = "ignition"     // Ignition JSON user-data
)

// FormatNames lists the format values.
func FormatNames() []string {
	return []string{string(FormatCloudConfig), string(FormatMIME), string(FormatScript), string(FormatButane), string(FormatIgnition)}
}

// Formats lists the formats that set o up; the first is the default.
func (o OS) Formats() []Format {
	if o.Boot == BootIgnition {
		return []Format{FormatIgnition, FormatButane}
	}
	return []Format{FormatCloudConfig, FormatMIME, FormatScript}
}

// DefaultFormat is the format used for o when none is given.
func (o OS) DefaultFormat() Format { return o.Formats()[0] }

// IsUserData reports whether a first-boot agent reads f as it is: every
// format but Butane, which must be translated first.
func (f Format) IsUserData() bool { return f != FormatButane }

// Output says how to render a plan.
type Output struct {
	Format Format      // empty: the OS's default
	Merge  []MergePart // user parts for FormatMIME
	Encoding
	Target string // a provider from TargetNames, or empty
}

// Check refuses a format, encoding or target that does not fit o, before
// anything is rendered. It reports every problem at once.
func (out Output) Check(o OS) error {
	_, _, _, err := out.resolve(o)
	return err
}

// resolve fills in o's default format, checks the format and its options
// against o, and applies the target's encoding rules. It returns the output
// to render, the target (nil without one) and the target's notes.
func (out Output) resolve(o OS) (Output, *Target, []Note, error) {
	if out.Format == "" {
		out.Format = o.DefaultFormat()
	}
	var es Errors
	collect := func(e error) {
		var more Errors
		var one *FieldError
		switch {
		case errors.As(e, &more):
			es = append(es, more...)
		case errors.As(e, &one):
			es = append(es, one)
		case e != nil:
			es = append(es, &FieldError{Field: FieldTarget, Value: out.Target, Msg: e.Error()})
		}
	}
	collect(out.checkFormat(o))
	if out.Target == "" {
		return out, nil, nil, es.err()
	}
	t, err := LookupTarget(out.Target)
	if err != nil {
		collect(err)
		return out, nil, nil, es.err()
	}
	var notes []Note
	out.Encoding, notes, err = t.Encoding(out.Encoding)
	collect(err)
	return out, &t, notes, es.err()
}

// checkFormat refuses a format or option that does not fit the OS.
func (out Output) checkFormat(o OS) error {
	var es Errors
	known := false
	for _, f := range FormatNames() {
		known = known || string(out.Format) == f
	}
	switch {
	case !known:
		es.add(FieldFormat, string(out.Format), "unknown format", "use one of "+joinNames(FormatNames()))
	case !formatFits(out.Format, o):
		es.add(FieldFormat, string(out.Format), o.ID+" boots with "+o.Boot.title(), "use {format} "+joinFormats(o.Formats()))
	}
	if len(out.Merge) > 0 && out.Format != FormatMIME {
		es.add(FieldMerge, out.Merge[0].Name, "only MIME user-data combines parts", "add {format} mime")
	}
	if out.Gzip && o.Boot == BootIgnition {
		es.add(FieldGzip, "", "Ignition reads its config uncompressed; Butane already compresses the file contents inside it", "")
	}
	if out.Target != "" && !out.Format.IsUserData() {
		es.add(FieldTarget, out.Target, "a Butane config is not user-data", "use {format} ignition")
	}
	return es.err()
}

func formatFits(f Format, o OS) bool {
	for _, g := range o.Formats() {
		if f == g {
			return true
		}
	}
	return false
}

func joinFormats(fs []Format) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = string(f)
	}
	return strings.Join(s, " or ")
}

// Render says the plan in out's format, without encoding.
func Render(p *Plan, out Output) ([]byte, error) {
	if out.Format == "" {
		out.Format = p.OS.DefaultFormat()
	}
	if err := out.checkFormat(p.OS); err != nil {
		return nil, err
	}
	return render(p, out)
}

// render says the plan in a checked output's format.
func render(p *Plan, out Output) ([]byte, error) {
	switch out.Format {
	case FormatMIME:
		return RenderMIME(p, out.Merge)
	case FormatScript:
		return RenderScript(p)
	case FormatButane:
		return RenderButane(p)
	case FormatIgnition:
		return RenderIgnition(p)
	}
	return RenderCloudConfig(p)
}

// UserData renders the plan in out's format, encodes it and checks it
// against the target's size limit. Notes say what the target changed,
// for the user's information.
func UserData(p *Plan, out Output) (data []byte, notes []Note, err error) {
	out, t, notes, err := out.resolve(p.OS)
	if err != nil {
		return nil, nil, err
	}
	raw, err := render(p, out)
	if err != nil {
		return nil, nil, err
	}
	data, err = Encode(raw, out.Encoding)
	if err != nil {
		return nil, nil, err
	}
	if t != nil {
		if err := t.Check(raw, out.Encoding); err != nil {
			return nil, nil, err
		}
	}
	return data, notes, nil
}
