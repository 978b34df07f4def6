package generator

import (
	"testing"

	"github.com/dockbake/dockbake/pki"
)

// BenchmarkUserData renders default user-data for each key type and reports
// its size, which decides whether it fits a cloud's user-data limit (AWS:
// 16 KB).
func BenchmarkUserData(b *testing.B) {
	for _, install := range []Install{InstallDistro, InstallDockerCE} {
		for _, kt := range pki.KeyTypes() {
			b.Run(string(install)+"/"+string(kt), func(b *testing.B) {
				// The certificates dockbake create makes for this spec.
				spec := Spec{Name: "web1", IPs: []string{"203.0.113.10"}, Install: install}.WithDefaults()
				o := pki.Options{KeyType: kt}
				ca, _ := pki.NewCA("bench", o)
				srv, _ := ca.IssueServer("bench", spec.SANs(), o)
				key, _ := srv.KeyPEM()
				certs := HostCerts{CACert: ca.CertPEM(), ServerCert: srv.CertPEM(), ServerKey: key}
				var size int
				for b.Loop() {
					p, err := BuildPlan(spec, certs)
					if err != nil {
						b.Fatal(err)
					}
					out, err := RenderCloudConfig(p)
					if err != nil {
						b.Fatal(err)
					}
					size = len(out)
				}
				b.ReportMetric(float64(size), "bytes")
			})
		}
	}
}
