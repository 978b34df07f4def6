package dmimport

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/dockbake/dockbake/generator"
)

// Spec converts h to dockbake's machine spec for a host running osID.
// config.json does not record the host's OS, so osID is what the user
// says, or generator.OSUnknown: never a guess. Docker is already on the
// host, so a user-data rendered from the spec installs nothing. The
// warnings say what of h the spec leaves out.
func (h *Host) Spec(osID string) (generator.Spec, []string) {
	spec := generator.Spec{Name: h.Name, Port: h.Port, OS: osID, Install: generator.InstallNone, Engine: h.Engine}
	_, err := netip.ParseAddr(h.Address)
	byName := err != nil
	var dropped []string
	seen := map[string]bool{"localhost": true}
	for _, a := range append([]string{h.Address}, h.ExtraSANs...) {
		if seen[a] {
			continue
		}
		seen[a] = true
		switch _, err := netip.ParseAddr(a); {
		case err != nil:
			spec.DNSNames = append(spec.DNSNames, a)
		case byName:
			// DOCKER_HOST is a spec's first IP address if it has one.
			dropped = append(dropped, a)
		default:
			spec.IPs = append(spec.IPs, a)
		}
	}
	var warnings []string
	if len(dropped) > 0 {
		warnings = append(warnings, fmt.Sprintf("its --tls-san IP addresses %s are left out of the machine's addresses, so that DOCKER_HOST stays %s; the host's current certificate still names them",
			strings.Join(dropped, ", "), h.Address))
	}
	return spec, warnings
}
