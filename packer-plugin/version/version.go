// Package version is the plugin's version, as Packer sees it in the
// installed binary's name and in `describe`.
package version

import "github.com/hashicorp/packer-plugin-sdk/version"

var (
	// Version is the plugin's semantic version. Release builds set it with
	// -ldflags "-X github.com/dockbake/dockbake/packer-plugin/version.Version=...".
	Version = "0.1.0"
	// VersionPrerelease marks a development build. Packer accepts only
	// "dev" as a prerelease of an installed plugin; release builds set it
	// to "" with -ldflags.
	VersionPrerelease = "dev"
	// VersionMetadata is build metadata; Packer refuses it in installed
	// plugin names, so it stays empty.
	VersionMetadata = ""
)

// PluginVersion is the version the plugin reports to Packer.
var PluginVersion = version.NewPluginVersion(Version, VersionPrerelease, VersionMetadata)

// Tool is how machines created by the plugin record their creator, like
// the CLI's version in machine.json.
func Tool() string {
	return "packer-plugin-dockbake " + PluginVersion.FormattedVersion()
}
