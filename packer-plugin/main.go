// Command packer-plugin-dockbake is dockbake's Packer plugin: the dockbake
// provisioner bakes Docker with mutual TLS, the host's certificates and the
// docker.service drop-in into an image, and the dockbake data source renders
// the same machine as cloud-init user-data.
//
// Both are registered under the plugin's default name, so templates say
// `provisioner "dockbake"` and `data "dockbake"`.
package main

import (
	"fmt"
	"os"

	"github.com/hashicorp/packer-plugin-sdk/plugin"

	dockbakedata "github.com/dockbake/dockbake/packer-plugin/datasource/dockbake"
	dockbakeprov "github.com/dockbake/dockbake/packer-plugin/provisioner/dockbake"
	"github.com/dockbake/dockbake/packer-plugin/version"
)

func main() {
	pps := plugin.NewSet()
	pps.RegisterProvisioner(plugin.DEFAULT_NAME, new(dockbakeprov.Provisioner))
	pps.RegisterDatasource(plugin.DEFAULT_NAME, new(dockbakedata.Datasource))
	pps.SetVersion(version.PluginVersion)
	if err := pps.Run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
