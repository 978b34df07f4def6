package generator

import (
	"strings"
	"testing"
)

// FuzzPlainLines: text that plainLines accepts reads back from yaml.v3's
// literal block exactly, the proof the fast path of literalSafe skips.
func FuzzPlainLines(f *testing.F) {
	for _, seed := range []string{
		"-----BEGIN CERTIFICATE-----\nMIIBszCCAVqgAwIBAgIQ\n-----END CERTIFICATE-----\n",
		"a\n", "a b\n", "#x\n---\n...\n", "- x\n", "key: |\n", "|\n>\n", "'\"\\\n", "%YAML 1.2\n", "? x\n: y\n", "&a *a !t\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if plainLines(s) && !roundTrip(s) {
			t.Fatalf("plainLines accepts %q, which does not read back from YAML", s)
		}
	})
}

func TestPlainLines(t *testing.T) {
	for s, want := range map[string]bool{
		"-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI\n-----END EC PRIVATE KEY-----\n": true,
		"#!/bin/sh\n\nif x; then\n\ty \"$1\"\n  z\nfi\n":                            true,
		"a b\nc\n":      true,
		"a\n":           true,
		"a\n\nb\n":      true,
		"a\n b\n":       true,
		"a\n\tb\n":      true,
		"a\tb\n":        true,
		"a":             false, // no final line break: a literal block would need |-
		"a\n\n":         false, // an empty last line
		"\na\n":         false, // an empty first line
		" a\n":          false, // a leading space sets the block's indentation
		"\ta\n":         false,
		"a \n":          false, // a trailing space
		"a\n \n":        false, // a line of one space
		"a\nb\t\n":      false,
		"a\x7f\n":       false,
		"a\rb\n":        false,
		"caf\xc3\xa9\n": false, // not ASCII: left to the round trip
	} {
		if got := plainLines(s); got != want {
			t.Errorf("plainLines(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestLiteralSafeRemembers(t *testing.T) {
	s := "#!/bin/sh\n  indented, then a trailing space " + t.Name() + " \n"
	if plainLines(s) {
		t.Fatalf("%q is plain lines: the test needs text that takes the round trip", s)
	}
	want := roundTrip(s)
	if got := literalSafe(s); got != want {
		t.Fatalf("literalSafe(%q) = %v, the round trip says %v", s, got, want)
	}
	roundTrips.mu.Lock()
	got, known := roundTrips.seen[s]
	roundTrips.mu.Unlock()
	if !known || got != want {
		t.Fatalf("the outcome of %q is not remembered (known %v, %v)", s, known, got)
	}
	long := strings.Repeat("x\n\n", memoBytes)
	literalSafe(long)
	roundTrips.mu.Lock()
	_, known = roundTrips.seen[long]
	roundTrips.mu.Unlock()
	if known {
		t.Fatalf("a text of %d bytes is remembered, over the limit of %d", len(long), memoBytes)
	}
}
