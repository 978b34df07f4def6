package main

import (
	"strings"
	"sync"
	"testing"
)

// TestFleetApplyRacesCreate runs `dockbake fleet apply` of 100 machines
// and `dockbake create` of one of its names side by side, round after
// round, as separate processes on one store. The store's lock orders
// them: either create wins and apply refuses the clash, changing nothing,
// or apply wins and create says the machine already exists. Never both,
// never neither, and every machine is whole in the end.
func TestFleetApplyRacesCreate(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a dozen processes")
	}
	for round := 0; round < 4; round++ {
		base := t.TempDir()
		writeFleet(t, base, 100)
		var applyOut, createOut []byte
		var applyErr, createErr error
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			applyOut, applyErr = dockbakeCmd(base, nil, "fleet", "apply", "fleet.yaml").CombinedOutput()
		}()
		go func() {
			defer wg.Done()
			createOut, createErr = dockbakeCmd(base, nil, "create", "m50", "--ip", "192.0.2.50").CombinedOutput()
		}()
		wg.Wait()
		switch {
		case applyErr == nil && createErr != nil && strings.Contains(string(createOut), "already exists"):
			if got := wholeMachines(t, base, "big"); got != 100 {
				t.Errorf("round %d: apply won, but %d machines", round, got)
			}
		case createErr == nil && applyErr != nil && strings.Contains(string(applyOut), `machine "m50" is already in the store, made outside any fleet`):
			if got := wholeMachines(t, base, ""); got != 1 {
				t.Errorf("round %d: create won and apply refused, but %d machines", round, got)
			}
		default:
			t.Errorf("round %d: apply (%v):\n%.300s\ncreate (%v):\n%s", round, applyErr, applyOut, createErr, createOut)
		}
	}
}
