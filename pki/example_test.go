package pki_test

import (
	"crypto/x509"
	"fmt"
	"net"

	"github.com/dockbake/dockbake/pki"
)

// Example issues what one Docker host needs: a CA, a server certificate for
// the host's address and a client certificate for the docker CLI, and checks
// that the client certificate is good for client authentication only.
func Example() {
	ca, err := pki.NewCA("dockbake CA for web1", pki.Options{})
	if err != nil {
		panic(err)
	}
	server, err := ca.IssueServer("web1", pki.SANs{IPs: []net.IP{net.ParseIP("203.0.113.10")}, DNSNames: []string{"localhost"}}, pki.Options{})
	if err != nil {
		panic(err)
	}
	client, err := ca.IssueClient("web1 client", pki.Options{})
	if err != nil {
		panic(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	_, err = server.Cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "203.0.113.10"})
	fmt.Println("server valid for 203.0.113.10:", err == nil)
	_, err = client.Cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	fmt.Println("client valid for client auth:", err == nil)
	_, err = client.Cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	fmt.Println("client valid as a server:", err == nil)
	fmt.Println("key type:", pki.TypeOf(server.Cert.PublicKey))
	// Output:
	// server valid for 203.0.113.10: true
	// client valid for client auth: true
	// client valid as a server: false
	// key type: ecdsa-p256
}

// ExampleParseValidity reads a lifetime as the front ends take it.
func ExampleParseValidity() {
	d, err := pki.ParseValidity("825d")
	fmt.Println(d.Hours()/24, err)
	fmt.Println(pki.FormatValidity(pki.DefaultCertValidity))
	_, err = pki.ParseValidity("forever")
	fmt.Println(err != nil)
	// Output:
	// 825 <nil>
	// 825d
	// true
}
