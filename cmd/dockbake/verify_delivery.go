package main

import (
	"context"
	"crypto/x509"
	"errors"
	"strings"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/internal/deliver"
)

// checkLastDelivery reports what became of the newest delivery to the
// host, read back through the Docker API. It only warns: a host that
// rolled a delivery back runs its previous certificates, which the
// checks before have just found working.
func (p *probe) checkLastDelivery(ctx context.Context, server *x509.Certificate) {
	ctx, cancel := context.WithTimeout(ctx, 3*p.timeout)
	defer cancel()
	pin := deliver.Pin{Servers: []*x509.Certificate{server}, Client: p.client}
	st, ok, err := deliver.LastStatus(ctx, p.addr(), pin, p.spool)
	switch {
	case errors.Is(err, deliver.ErrNoMechanism):
		p.report("warn", "deliver", "the host has no apply mechanism: attach and regenerate-certs --apply cannot reach it")
		warnf(p.proc.stderr, "%s: the host was set up by an older dockbake or imported from Docker Machine; give it new user-data once (dockbake render %s)", p.name, p.name)
	case err != nil:
		p.report("warn", "deliver", "could not read the host's deliveries: %v", err)
	case !ok:
		p.report("ok", "deliver", "no delivery yet (the certificates are the first boot's)")
	case st.Outcome == generator.OutcomeApplied:
		p.report("ok", "deliver", "last delivery %s applied", st.ID)
	case !st.Final():
		p.report("warn", "deliver", "last delivery %s is still being applied", st.ID)
	default:
		p.report("warn", "deliver", "last delivery %s %s: %s", st.ID, st.Outcome, st.Reason)
		for _, l := range st.Log {
			p.report("", "", "  %s", l)
		}
		warnf(p.proc.stderr, "%s: the host %s delivery %s (%s) and runs its previous certificates; fix the cause and deliver again (dockbake attach, or dockbake regenerate-certs %s --apply)",
			p.name, st.Outcome, st.ID, strings.TrimSpace(st.Reason), p.name)
	}
}
