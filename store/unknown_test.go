package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A record with a field or a version this dockbake does not know is an
// UnknownRecordError inside the CorruptError, naming what is unknown and
// the dockbake that wrote it, not "damaged"; any other damage stays as it
// was. This also holds the form of encoding/json's unknown-field message,
// which unknownToUs reads.
func TestUnknownRecordFields(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(rec map[string]any)
		what string // empty: not an UnknownRecordError
	}{
		{"a field", func(rec map[string]any) { rec["rotation_policy"] = "weekly" }, `field "rotation_policy"`},
		{"a field of the spec", func(rec map[string]any) { rec["spec"].(map[string]any)["engine_cgroup"] = "v2" }, `field "engine_cgroup"`},
		{"a version", func(rec map[string]any) { rec["version"] = RecordVersion + 1 }, fmt.Sprintf("version %d", RecordVersion+1)},
		{"a wrong value", func(rec map[string]any) { rec["ca_fingerprint"] = "sha256:nothex" }, ""},
		{"an older version", func(rec map[string]any) { rec["version"] = RecordVersion - 1 }, ""},
		{"a writer with control characters", func(rec map[string]any) {
			rec["tool_version"], rec["rotation_policy"] = "v1\x1b[2J", "weekly"
		}, `field "rotation_policy"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testStore(t)
			mustCreate(t, s, "web1", "")
			path := filepath.Join(s.Root, "hosts", "web1", recordFile)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var rec map[string]any
			if err := json.Unmarshal(data, &rec); err != nil {
				t.Fatal(err)
			}
			rec["tool_version"] = "v9.9.9"
			tc.edit(rec)
			if data, err = json.Marshal(rec); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err = s.Load("web1")
			var corrupt *CorruptError
			if !errors.As(err, &corrupt) {
				t.Fatalf("err = %v, want a CorruptError", err)
			}
			var unknown *UnknownRecordError
			switch {
			case tc.what == "" && errors.As(err, &unknown):
				t.Errorf("err = %v, want damage, not an UnknownRecordError", err)
			case tc.what == "" && !strings.Contains(err.Error(), "is damaged"):
				t.Errorf("err = %v, want it called damaged", err)
			case tc.what == "":
			case !errors.As(err, &unknown) || unknown.What != tc.what:
				t.Errorf("err = %v (%+v), want an UnknownRecordError of %s", err, unknown, tc.what)
			case strings.Contains(err.Error(), "\x1b"):
				t.Errorf("err = %q: a control character of the record in a message", err)
			case rec["tool_version"] != "v9.9.9":
				if unknown.ToolVersion != "" || !strings.Contains(err.Error(), "an unknown dockbake wrote the record") {
					t.Errorf("err = %q (%+v), want the writer left unnamed", err, unknown)
				}
			case strings.Contains(err.Error(), "damaged") || unknown.ToolVersion != "v9.9.9" || !strings.Contains(err.Error(), "dockbake v9.9.9 wrote the record"):
				t.Errorf("err = %q, want it to name the writer and not call it damaged", err)
			}
		})
	}
}
