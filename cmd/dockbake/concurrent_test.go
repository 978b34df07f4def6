package main

import (
	"encoding/json"
	"os"

	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestConcurrentProcesses starts dockbake processes side by side on one
// store, wave after wave, each command colliding with others on the same
// few names: creates, forced creates, rotations, client adds, removals and
// listings. A command may fail only as expected (the machine exists, or
// is gone); in the end ls finds every machine whole.
func TestConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two dozen processes")
	}
	base := t.TempDir()
	waves := [][]string{
		{"create a --ip 192.0.2.1", "create a --ip 192.0.2.1", "create b --ip 192.0.2.2 --ca fleet", "create c --ip 192.0.2.3 --ca fleet", "ls", "ls --format json"},
		{"regenerate-certs a --ca --force", "regenerate-certs a --client", "client add a --user alice -o out/a1 --force", "client add b --user bob -o out/b1 --force", "create b --ip 192.0.2.9 --force", "ls"},
		{"rm --force a", "regenerate-certs a", "client add a --user carol -o out/a2", "create c --ip 192.0.2.4 --force", "regenerate-certs b --ca --force", "ls --format json"},
		{"create a --ip 192.0.2.5", "rm --force c", "regenerate-certs c --client", "client add b --user alice -o out/b2 --force", "ls", "regenerate-certs a --ip 198.51.100.1"},
	}
	for i, wave := range waves {
		var wg sync.WaitGroup
		for j, line := range wave {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out, err := dockbakeCmd(base, nil, strings.Fields(line)...).CombinedOutput()
				if err != nil && !strings.Contains(string(out), "already exists") && !strings.Contains(string(out), "not found") {
					t.Errorf("wave %d, %d: dockbake %s: %v\n%s", i, j, line, err, out)
				}
			}()
		}
		wg.Wait()
	}
	out, err := dockbakeCmd(base, nil, "ls", "--format", "json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var rows []listing
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatal("no machines at the end")
	}
	for _, r := range rows {
		if r.Status != statusOK {
			t.Errorf("machine %s: %s %v", r.Name, r.Status, r.Problems)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(base, "store", ".staging")); len(entries) > 0 {
		t.Errorf(".staging holds %d entries", len(entries))
	}
	t.Logf("%d machines at the end", len(rows))
}
