package dmimport

import (
	"slices"
	"strings"

	"github.com/dockbake/dockbake/generator"
)

// DefaultStorageDriver is the storage driver that Docker Machine v0.16's
// provisioners put on dockerd's command line when create was given no
// --engine-storage-driver: the provisioners of Ubuntu (systemd), Debian,
// the Red Hat family and Arch call decideStorageDriver(p, "overlay2", ...),
// and boot2docker's falls back to overlay2 too (libmachine/provision of
// docker/machine v0.16.2). config.json keeps the empty option, not this
// choice. (Before v0.16.0 the default was aufs.)
const DefaultStorageDriver = "overlay2"

// providerLabel is the label every provisioner's GenerateDockerOptions
// appends to the --engine-label values: provider=DRIVER. It goes onto
// dockerd's command line and never into config.json.
func providerLabel(driverName string) string { return "provider=" + driverName }

// engine is dockerd's options as Docker Machine's provisioner put them into
// the drop-in: config.json's --engine-* options, plus what the provisioner
// added without recording it. The notes say what was added.
func (e engineConfig) engine(driverName string) (generator.Engine, []string) {
	eng := generator.Engine{Opts: e.ArbitraryFlags, Labels: slices.Clone(e.Labels), Env: e.Env,
		RegistryMirrors: e.RegistryMirror, InsecureRegistries: e.InsecureRegistry, StorageDriver: e.StorageDriver}
	var added []string
	if eng.StorageDriver == "" {
		eng.StorageDriver = DefaultStorageDriver
		added = append(added, "--storage-driver "+DefaultStorageDriver)
	}
	if l := providerLabel(driverName); !slices.Contains(eng.Labels, l) {
		eng.Labels = append(eng.Labels, l)
		added = append(added, "--label "+l)
	}
	if len(added) == 0 {
		return eng, nil
	}
	return eng, []string{strings.Join(added, " and ") + ": Docker Machine put these on dockerd's command line without recording them in config.json"}
}
