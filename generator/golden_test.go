package generator

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/dockbake/dockbake/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite golden files")

// FixtureCerts are throwaway PEMs committed for stable golden files. It is
// exported (in a test file) for the package's external tests.
func FixtureCerts(t testing.TB) HostCerts {
	t.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", "fixtures", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return HostCerts{CACert: read("ca.pem"), ServerCert: read("server.pem"), ServerKey: read("server-key.pem")}
}

// CheckGolden compares got with the golden file at path, or rewrites it with
// -update. It is exported (in a test file) for the package's external tests.
func CheckGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./generator -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (review, then refresh with -update):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// checkGolden is CheckGolden for a file below testdata/golden.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	CheckGolden(t, filepath.Join("testdata", "golden", name), got)
}

// goldenSpecs are the cloud-config cases; each is also checked by cloud-init.
var goldenSpecs = map[string]Spec{
	"ubuntu-distro": {Name: "web1", IPs: []string{"203.0.113.10"}},
	"debian12-distro-user": {Name: "web1", IPs: []string{"203.0.113.10"}, DNSNames: []string{"web1.example.com"},
		OS: "debian-12", DockerUser: "alice"},
	"ubuntu-dockerce":   {Name: "web1", IPs: []string{"203.0.113.10"}, OS: "ubuntu-24.04", Install: InstallDockerCE, Port: 12376},
	"debian13-dockerce": {Name: "web1", DNSNames: []string{"docker.example.com"}, OS: "debian-13", Install: InstallDockerCE},
	"none-engine-options": {Name: "web1", IPs: []string{"2001:db8::10"}, OS: "debian-12", Install: InstallNone,
		Engine: Engine{
			Opts:               []string{"log-level=warn", "debug", "default-address-pool=base=10.10.0.0/16,size=24"},
			Labels:             []string{"env=prod", `note=a "b" $HOME %h \ c`, "quote='single'"},
			Env:                []string{"HTTP_PROXY=http://proxy:3128", `MSG=it's "100%" $fine`},
			RegistryMirrors:    []string{"https://mirror.example.com"},
			InsecureRegistries: []string{"registry.example.com:5000"},
			StorageDriver:      "overlay2",
		}},
}

func renderGolden(t *testing.T, spec Spec) []byte {
	t.Helper()
	p, err := BuildPlan(spec.WithDefaults(), FixtureCerts(t))
	if err != nil {
		t.Fatal(err)
	}
	out, err := RenderCloudConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCloudConfigGolden(t *testing.T) {
	for name, spec := range goldenSpecs {
		t.Run(name, func(t *testing.T) {
			checkGolden(t, "cloud-config/"+name+".yaml", renderGolden(t, spec))
		})
	}
}

// TestCloudInitSchema runs the real cloud-init schema validator on every
// golden case.
func TestCloudInitSchema(t *testing.T) {
	ci := testenv.LookPath(t, "cloud-init", "apt-get install cloud-init")
	for name, spec := range goldenSpecs {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "user-data")
			if err := os.WriteFile(path, renderGolden(t, spec), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(ci, "schema", "--config-file", path).CombinedOutput()
			if err != nil || !bytes.Contains(out, []byte("Valid cloud-config")) {
				t.Errorf("cloud-init schema: %v\n%s", err, out)
			}
		})
	}
}
