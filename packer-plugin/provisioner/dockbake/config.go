//go:generate go tool packer-sdc mapstructure-to-hcl2 -type Config

package dockbake

import (
	"github.com/hashicorp/packer-plugin-sdk/common"
	"github.com/hashicorp/packer-plugin-sdk/template/interpolate"

	"github.com/dockbake/dockbake/packer-plugin/machine"
)

// DefaultExecuteCommand runs a script as root through sudo, or as the SSH
// user with prevent_sudo. -n makes a sudo that wants a password fail at
// once instead of waiting for input that never comes.
const DefaultExecuteCommand = "{{if .Sudo}}sudo -n {{end}}sh {{.Path}}"

// Config is the provisioner's configuration: the machine (see
// machine.Config) and how its scripts run on the build VM.
type Config struct {
	common.PackerConfig `mapstructure:",squash"`
	machine.Config      `mapstructure:",squash"`

	// The command that runs each of dockbake's scripts on the build VM, as
	// in Packer's shell provisioner. `{{.Path}}` is the script's path and
	// `{{.Sudo}}` is true unless `prevent_sudo` is set. Defaults to
	// `{{if .Sudo}}sudo -n {{end}}sh {{.Path}}`; a user whose sudo wants a
	// password can use `echo 'packer' | sudo -S sh {{.Path}}`.
	ExecuteCommand string `mapstructure:"execute_command"`
	// Run the scripts without sudo, for a build VM that connects as root.
	// Defaults to `false`.
	PreventSudo bool `mapstructure:"prevent_sudo"`

	ctx interpolate.Context
}
