package main

import (
	"fmt"

	"github.com/dockbake/dockbake/store"
)

// notAttached is what ls and inspect show instead of the URL of a machine
// created without an address.
const notAttached = "(not attached)"

// machineURL is the machine's DOCKER_HOST, or "" while it is not attached.
func machineURL(m *store.Machine) string { return m.Spec.URL() }

// requireAttached refuses, for what needs the host's address (env, config,
// context), a machine that has none yet.
func requireAttached(m *store.Machine) error {
	if m.Spec.Attached() {
		return nil
	}
	return withHint(fmt.Errorf("machine %q is not attached: it has no address yet", m.Name),
		"launch the host with its user-data, then run: dockbake attach %s --ip ADDRESS", m.Name)
}

// nextStep is what create tells the user to run once the host is up.
func nextStep(m *store.Machine) string {
	if !m.Spec.Attached() {
		return fmt.Sprintf("dockbake attach %s --ip <the address the host got>; then: eval \"$(dockbake env %s)\"", m.Name, m.Name)
	}
	return fmt.Sprintf("eval \"$(dockbake env %s)\"", m.Name)
}
