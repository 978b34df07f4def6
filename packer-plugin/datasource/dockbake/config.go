//go:generate go tool packer-sdc mapstructure-to-hcl2 -type Config,DatasourceOutput

package dockbake

import "github.com/dockbake/dockbake/packer-plugin/machine"

// Config is the data source's configuration: the machine alone (see
// machine.Config). With no build VM to look at, os defaults to
// ubuntu-24.04.
type Config struct {
	machine.Config `mapstructure:",squash"`
}

// DatasourceOutput is what `data.dockbake.NAME` exposes. The user-data
// carries the host's private TLS key: pass it to the instance and nowhere
// else.
type DatasourceOutput struct {
	// The machine's user-data in its OS's default format, exactly what
	// `dockbake render NAME` prints: `#cloud-config`, or Ignition JSON on
	// Flatcar and Fedora CoreOS.
	UserData string `mapstructure:"user_data"`
	// The same user-data gzip-compressed and base64-encoded, for builders'
	// `user_data_base64` (cloud-init unpacks it). Ignition reads its config
	// uncompressed, so there it is base64 alone.
	UserDataBase64 string `mapstructure:"user_data_base64"`
	// The `DOCKER_HOST` value, `tcp://ADDRESS:PORT`; empty while the
	// machine is not attached (created without an address).
	DockerHost string `mapstructure:"docker_host"`
	// The `DOCKER_CERT_PATH` value: the machine's client directory.
	CertPath string `mapstructure:"cert_path"`
}
