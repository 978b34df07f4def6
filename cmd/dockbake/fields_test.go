package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/store"
)

// TestEveryFieldHasAFlag holds that the CLI has a word for every field of
// the core, and that each flag it says is one that some command takes.
func TestEveryFieldHasAFlag(t *testing.T) {
	flags := map[string]bool{}
	var walk func([]*cli.Command)
	walk = func(cmds []*cli.Command) {
		for _, c := range cmds {
			for _, f := range c.Flags {
				for _, n := range f.Names() {
					flags["--"+n] = true
				}
			}
			walk(c.Subcommands)
		}
	}
	walk(newApp(&proc{stdout: io.Discard, stderr: io.Discard}).Commands)
	for _, field := range generator.Fields() {
		name, ok := fieldFlags[field]
		switch {
		case !ok:
			t.Errorf("field %q has no flag in fieldFlags", field)
		case strings.HasPrefix(name, "--") && !flags[name]:
			t.Errorf("field %q is said as %s, which no command takes", field, name)
		}
	}
}

// TestRenderErrorSaysFlags checks that the core's fields are said as flags
// wherever the error that names them sits: alone, in a list, joined, under
// a hint or wrapped in other words.
func TestRenderErrorSaysFlags(t *testing.T) {
	bad := &generator.FieldError{Field: generator.FieldEngineOpt, Value: "label=a", Msg: "dockbake sets this flag itself (use {engine_label})"}
	list := generator.Errors{bad, {Field: generator.FieldIP, Msg: "give at least one {ip} or {dns}"}}
	const opt = `--engine-opt "label=a": dockbake sets this flag itself (use --engine-label)`
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"alone", bad, opt},
		{"list", list, opt + "\n--ip: give at least one --ip or --dns"},
		{"joined", errors.Join(errors.New("missing machine name"), list), "missing machine name\n" + opt + "\n--ip: give at least one --ip or --dns"},
		{"hint", withHint(bad, "see --help"), opt},
		{"wrapped", fmt.Errorf("web1: %w (stored)", bad), "web1: " + opt + " (stored)"},
		{"store", &store.CorruptError{Path: "machine.json", Err: list}, "store file machine.json is damaged: " + opt + "\n--ip: give at least one --ip or --dns"},
		{"size", &generator.SizeError{Target: generator.Target{Name: "aws", Title: "AWS", Limit: 1}, Size: 2, Gzip: true},
			"--target aws: the user-data is 2 bytes (before the API's base64), 1 bytes over the AWS limit of 1 bytes: use --install none with an image that already has Docker, or a smaller --key-type (ecdsa-p256)"},
		{"plain", errors.New("no --ip here"), "no --ip here"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := renderError(tc.err); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestDecimalPort holds that --port reads a decimal number and nothing that
// the flag package would read in another base.
func TestDecimalPort(t *testing.T) {
	for in, want := range map[string]int{"2376": 2376, "1": 1, "0": 0, "65535": 65535, "70000": 70000} {
		var p decimalPort
		if err := p.Set(in); err != nil || p.n != want || p.String() != in {
			t.Errorf("Set(%q): %d, %v; want %d", in, p.n, err, want)
		}
	}
	for _, in := range []string{"010", "0x10", "0o10", "0b10", "+1", "-1", "1_000", " 1", "1 ", "", "1e3", "9999999999"} {
		if err := (&decimalPort{}).Set(in); err == nil {
			t.Errorf("Set(%q) accepted", in)
		}
	}
}

// FuzzDecimalPort: whatever --port is given, an accepted value is the
// decimal number it reads as, written back the same; nothing is read in
// another base.
func FuzzDecimalPort(f *testing.F) {
	for _, seed := range []string{"2376", "0", "010", "0x10", "+1", "-1", "1_000", " 1", "65535", "99999", "١٢٣", "1e3"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var p decimalPort
		if err := p.Set(s); err != nil {
			return
		}
		if p.String() != s {
			t.Fatalf("Set(%q) reads as %d", s, p.n)
		}
		for _, r := range s {
			if r < '0' || r > '9' {
				t.Fatalf("Set(%q) accepted a character that is not a decimal digit", s)
			}
		}
	})
}
