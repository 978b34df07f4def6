package engine

import (
	"strings"
	"testing"
)

// An import's progress stream is read to its end; the first error in it,
// in either of the forms dockerd writes, is the call's error.
func TestProgressError(t *testing.T) {
	for _, tc := range []struct {
		name, stream, err string
	}{
		{name: "done", stream: `{"status":"sha256:1f2e"}` + "\n"},
		{name: "empty", stream: ""},
		{name: "detail", stream: `{"status":"Downloading"}` + "\n" + `{"errorDetail":{"message":"archive/tar: invalid tar header"},"error":"archive/tar: invalid tar header"}` + "\n",
			err: "archive/tar: invalid tar header"},
		{name: "detail only", stream: `{"errorDetail":{"message":"no space left on device"}}`, err: "no space left on device"},
		{name: "error only", stream: `{"error":"unexpected EOF"}`, err: "unexpected EOF"},
		{name: "cut off", stream: `{"status":"Down`, err: "reading the daemon's progress"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := progressError(strings.NewReader(tc.stream))
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("got %v, want %q", err, tc.err)
			}
		})
	}
}
