package provider

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/store"
)

// The mirror rebuilds a damaged machine from the state, but not a record
// another version of dockbake wrote with a field this one does not know:
// that would drop what the other version wrote. A record this version
// wrote with such a field is damage, and rebuilt.
func TestMirrorLeavesAnotherVersionsRecord(t *testing.T) {
	const tool = "terraform-provider-dockbake test"
	for _, tc := range []struct {
		writer  string
		refused bool
	}{{"v99.1.0", true}, {tool, false}} {
		t.Run(tc.writer, func(t *testing.T) {
			s, err := store.Open(filepath.Join(t.TempDir(), "store"))
			if err != nil {
				t.Fatal(err)
			}
			spec := generator.Spec{Name: "web1", IPs: []string{"203.0.113.10"}}.WithDefaults()
			m, err := s.Create(store.CreateRequest{Spec: spec, ToolVersion: tool})
			if err != nil {
				t.Fatal(err)
			}
			mat, err := materialOf(s, m)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(s.Root, "hosts", "web1", "machine.json")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			edited := bytes.Replace(data, []byte(`"tool_version": "`+tool+`"`), []byte(`"tool_version": "`+tc.writer+`", "rotation_policy": "weekly"`), 1)
			if bytes.Equal(edited, data) {
				t.Fatalf("no tool_version to edit in %s", data)
			}
			if err := os.WriteFile(path, edited, 0o600); err != nil {
				t.Fatal(err)
			}
			_, _, err = mirror(s, mat, tool, false)
			after, _ := os.ReadFile(path)
			switch {
			case tc.refused && (err == nil || !strings.Contains(err.Error(), "use that version of dockbake")):
				t.Errorf("err = %v, want a refusal that names the way out", err)
			case tc.refused && !bytes.Equal(after, edited):
				t.Error("the record was changed")
			case !tc.refused && err != nil:
				t.Errorf("err = %v, want the damaged record rebuilt", err)
			case !tc.refused && bytes.Contains(after, []byte("rotation_policy")):
				t.Error("the damaged record was not rebuilt")
			}
		})
	}
}
