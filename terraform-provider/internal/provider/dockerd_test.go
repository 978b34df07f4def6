package provider

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/dockbake/dockbake/internal/dockerdtest"
	"github.com/dockbake/dockbake/internal/testenv"
)

// The end-to-end proof: the user_data of terraform apply configures a
// real dockerd, and the docker CLI gets in with the provider's client
// certificate, ca_pem, client_cert_pem and client_key_pem, alone.
func TestAccMachineRealDockerd(t *testing.T) {
	testenv.Root(t, "dockerd runs as root")
	testenv.LookPath(t, "dockerd", "apt-get install docker.io")
	testenv.LookPath(t, "docker", "apt-get install docker.io")
	root := acc(t)
	port := testenv.FreePort(t, "127.0.0.1")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{{
			Config: machineConfig(root, "web1", `["127.0.0.1"]`, fmt.Sprintf(`port = %d
  os      = "debian-12"
  install = "none"`, port)),
			Check: func(s *terraform.State) error {
				a := s.RootModule().Resources["dockbake_machine.web"].Primary.Attributes
				dockerdtest.FromUserData(t, []byte(a["user_data"]))
				return dockerIn(t, a["docker_host"], a["ca_pem"], a["client_cert_pem"], a["client_key_pem"])
			},
		}},
	})
}

// dockerIn runs docker version over TLS at host with the given PEMs, for
// up to a minute while dockerd starts.
func dockerIn(t *testing.T, host, ca, cert, key string) error {
	dir := t.TempDir()
	for name, pem := range map[string]string{"ca.pem": ca, "cert.pem": cert, "key.pem": key} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(pem), 0o600); err != nil {
			return err
		}
	}
	var out []byte
	var err error
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		cmd := exec.Command("docker", "version", "--format", "{{.Server.Version}}")
		cmd.Env = append(os.Environ(), "DOCKER_HOST="+host, "DOCKER_TLS_VERIFY=1", "DOCKER_CERT_PATH="+dir,
			"DOCKER_CONTEXT=", "DOCKER_CONFIG="+t.TempDir())
		if out, err = cmd.CombinedOutput(); err == nil {
			t.Logf("docker in at %s: server %s", host, strings.TrimSpace(string(out)))
			return nil
		}
	}
	return fmt.Errorf("docker version at %s over TLS never succeeded: %v\n%s", host, err, out)
}
