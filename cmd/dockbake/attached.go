package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/dockbake/dockbake/store"
)

// notAttached is what ls and inspect show instead of the URL of a machine
// created without an address.
const notAttached = "(not attached)"

// machineURL is the machine's DOCKER_HOST, or "" while it is not attached.
func machineURL(m *store.Machine) string { return m.Spec.URL() }

// loadAttached is loadMachine for what points a client at the host (env,
// url, config, context): it refuses a machine that has no address yet.
func loadAttached(c *cli.Context, p *proc, name string) (*store.Machine, error) {
	_, m, err := loadMachine(c, p, name)
	if err != nil {
		return nil, err
	}
	if !m.Spec.Attached() {
		return nil, withHint(fmt.Errorf("machine %q is not attached: it has no address yet", m.Name),
			"launch the host with its user-data, then run: dockbake attach %s --ip ADDRESS", m.Name)
	}
	return m, nil
}

// nextStep is what create tells the user to run once the host is up.
func nextStep(m *store.Machine) string {
	if !m.Spec.Attached() {
		return fmt.Sprintf("dockbake attach %s --ip <the address the host got>; then: eval \"$(dockbake env %s)\"", m.Name, m.Name)
	}
	return fmt.Sprintf("eval \"$(dockbake env %s)\"", m.Name)
}
