package generator_test

import (
	"fmt"
	"strings"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/pki"
)

// Example plans one Docker host from a spec and its certificates, then
// renders the plan as cloud-config user-data. The CA key is never an input:
// only the CA certificate and the host's own key pair go onto the host.
func Example() {
	spec := generator.Spec{Name: "web1", IPs: []string{"203.0.113.10"}, OS: "debian-12"}.WithDefaults()
	ca, _ := pki.NewCA("dockbake CA for web1", pki.Options{})
	server, _ := ca.IssueServer(spec.Name, spec.SANs(), pki.Options{})
	key, _ := server.KeyPEM()
	plan, err := generator.BuildPlan(spec, generator.HostCerts{CACert: ca.CertPEM(), ServerCert: server.CertPEM(), ServerKey: key})
	if err != nil {
		panic(err)
	}
	fmt.Println("DOCKER_HOST:", plan.URL)
	for _, f := range plan.Files[:3] {
		fmt.Printf("%s %04o\n", f.Path, f.Mode)
	}
	out, err := generator.Render(plan, generator.Output{Format: generator.FormatCloudConfig})
	if err != nil {
		panic(err)
	}
	fmt.Println(strings.SplitN(string(out), "\n", 2)[0])
	// Output:
	// DOCKER_HOST: tcp://203.0.113.10:2376
	// /etc/docker/ca.pem 0644
	// /etc/docker/server.pem 0644
	// /etc/docker/server-key.pem 0600
	// #cloud-config
}

// ExampleSpec_Validate shows that every problem of a spec comes back at
// once, each naming its field by the neutral key that front ends translate
// into their own words (a flag, an HCL attribute).
func ExampleSpec_Validate() {
	spec := generator.Spec{Name: "web1", IPs: []string{"10.0.0.300"}, Port: 70000, OS: "debian-12"}.WithDefaults()
	fmt.Println(spec.Validate())
	// Output:
	// ip "10.0.0.300": not an IP address
	// port "70000": not a TCP port (1-65535)
}
