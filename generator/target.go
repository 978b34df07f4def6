package generator

import (
	"fmt"
	"strconv"
	"strings"
)

// Target is a cloud provider's user-data slot: its size limit, what the
// limit counts and which encodings reach cloud-init intact. The figures
// are the providers' documented API limits.
type Target struct {
	Name   string // the target value
	Title  string // the provider and the field, for messages
	Limit  int    // bytes, as Counts says
	Counts Counting
	// GzipNeedsBase64 is set where the slot holds text only: gzip then
	// travels as base64, which the provider or its agent decodes.
	GzipNeedsBase64 bool
	// PlainOnly is set where the slot takes plain text, unencoded.
	PlainOnly bool
	// Base64Note says who decodes base64 there, shown when it is used.
	Base64Note string
}

// Counting is what a provider's size limit measures.
type Counting int

// The ways a limit counts.
const (
	CountRaw    Counting = iota // the bytes before the API's own base64
	CountStored                 // the bytes as given (base64 text counts as text)
	CountBase64                 // the base64 text the API carries, whatever was given
)

func (c Counting) String() string {
	switch c {
	case CountRaw:
		return "before the API's base64"
	case CountBase64:
		return "as the API's base64"
	}
	return "as given"
}

// targets are the providers' limits; docs/clouds.md has the sources.
var targets = []Target{
	{Name: "aws", Title: "AWS EC2 user data", Limit: 16 << 10, Counts: CountRaw,
		Base64Note: "give it to the API as is (Terraform: user_data_base64)"},
	{Name: "gcp", Title: "Google Compute Engine metadata value", Limit: 256 << 10, Counts: CountStored, GzipNeedsBase64: true,
		Base64Note: "give the instance the metadata user-data-encoding=base64 so cloud-init decodes it"},
	{Name: "azure", Title: "Azure customData", Limit: 65535, Counts: CountRaw,
		Base64Note: "it is the API's own encoding (Terraform: custom_data = file(...))"},
	{Name: "digitalocean", Title: "DigitalOcean user_data", Limit: 64 << 10, Counts: CountStored, PlainOnly: true},
	{Name: "hetzner", Title: "Hetzner Cloud user_data", Limit: 32 << 10, Counts: CountStored, GzipNeedsBase64: true,
		Base64Note: "Hetzner's datasource decodes it before cloud-init reads it"},
	{Name: "openstack", Title: "OpenStack Nova user_data", Limit: 65535, Counts: CountBase64,
		Base64Note: "it is the API's own encoding"},
	{Name: "oracle", Title: "Oracle Cloud metadata (all keys together)", Limit: 32000, Counts: CountBase64,
		Base64Note: "it is the metadata's own encoding"},
}

// TargetNames lists the target values.
func TargetNames() []string {
	names := make([]string, len(targets))
	for i, t := range targets {
		names[i] = t.Name
	}
	return names
}

// LookupTarget finds a provider by its target value.
func LookupTarget(name string) (Target, error) {
	for _, t := range targets {
		if t.Name == name {
			return t, nil
		}
	}
	return Target{}, &FieldError{Field: FieldTarget, Value: name, Msg: "unknown provider", Hint: "use one of " + joinNames(TargetNames())}
}

// Encoding adjusts enc to what the slot takes, with a note for each change
// and for each thing the user has to do, or refuses what cannot work there.
func (t Target) Encoding(enc Encoding) (Encoding, []Note, error) {
	var notes []Note
	if t.PlainOnly {
		var es Errors
		if enc.Gzip {
			es.add(FieldGzip, "", t.Title+" takes plain text only", "drop {gzip}")
		}
		if enc.Base64 {
			es.add(FieldBase64, "", t.Title+" takes plain text only and nothing decodes base64 there", "drop {base64}")
		}
		return enc, nil, es.err()
	}
	if enc.Gzip && !enc.Base64 && t.GzipNeedsBase64 {
		enc.Base64 = true
		notes = append(notes, Note{Field: FieldTarget, Value: t.Name, Msg: t.Title + " holds text, so the gzip data is base64-encoded"})
	}
	if enc.Base64 && t.Base64Note != "" {
		notes = append(notes, Note{Field: FieldTarget, Value: t.Name, Msg: "base64 user-data: " + t.Base64Note})
	}
	return enc, notes, nil
}

// Size is the user-data's size as the slot counts it.
func (t Target) Size(rendered []byte, enc Encoding) (int, error) {
	payload, err := Encode(rendered, Encoding{Gzip: enc.Gzip})
	if err != nil {
		return 0, err
	}
	n := len(payload)
	if t.Counts == CountBase64 || (t.Counts == CountStored && enc.Base64) {
		n = (n + 2) / 3 * 4
	}
	return n, nil
}

// Check measures rendered user-data, packed with enc, against the limit.
func (t Target) Check(rendered []byte, enc Encoding) error {
	n, err := t.Size(rendered, enc)
	if err != nil {
		return err
	}
	if n <= t.Limit {
		return nil
	}
	return &SizeError{Target: t, Size: n, Gzip: enc.Gzip}
}

// SizeError is user-data over a provider's limit.
type SizeError struct {
	Target Target
	Size   int
	Gzip   bool // already compressed
}

// Render says the error with the fields it mentions in a front end's words.
func (e *SizeError) Render(names Names) string {
	t := e.Target
	fix := "use {install} none with an image that already has Docker, or a smaller {key_type} (ecdsa-p256)"
	if !e.Gzip && !t.PlainOnly {
		fix = "add {gzip} (cloud-init unpacks it), or " + fix
	}
	return say(fmt.Sprintf("{target} %s: the user-data is %s bytes (%s), %s bytes over the %s limit of %s bytes: %s",
		t.Name, thousands(e.Size), t.Counts, thousands(e.Size-t.Limit), t.Title, thousands(t.Limit), fix), names)
}

func (e *SizeError) Error() string { return e.Render(Neutral) }

// thousands writes n with comma separators: 16,384.
func thousands(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
