package engine

import (
	"strings"
	"testing"
)

// The version agreed is the daemon's, capped at MaxVersion; a daemon
// older than MinVersion, or one that names none, is refused by name.
func TestAgree(t *testing.T) {
	for _, tc := range []struct {
		name, server, want, err string
	}{
		{name: "debian 12", server: "1.41", want: "1.41"},
		{name: "oldest", server: MinVersion, want: MinVersion},
		{name: "newest", server: MaxVersion, want: MaxVersion},
		{name: "newer than the client", server: "1.52", want: MaxVersion},
		{name: "minor above nine", server: "1.100", want: MaxVersion},
		{name: "next major", server: "2.0", want: MaxVersion},
		{name: "too old", server: "1.39", err: `API 1.39, older than 1.40`},
		{name: "none", server: "", err: "no Api-Version header"},
		{name: "garbage", server: "v1.41", err: `"v1.41": not MAJOR.MINOR`},
		{name: "no minor", server: "1", err: `"1": not MAJOR.MINOR`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := agree(tc.server)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("agree(%q) = %q, %v; want an error with %q", tc.server, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("agree(%q) = %q, %v; want %q", tc.server, got, err, tc.want)
			}
		})
	}
}
