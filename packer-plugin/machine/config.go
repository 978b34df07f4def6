// Package machine holds the settings the dockbake provisioner and data
// source share: which machine of the local store to create or reuse, and the
// spec it is created with. It converts them, at this edge, to generator.Spec
// and store.CreateRequest exactly as `dockbake create` converts its flags,
// and hands back the store's own store.Machine, so a machine made by Packer
// and one made by the CLI are the same thing.
package machine

// Config names a machine in the local dockbake store and describes it. The
// first build creates the machine (its own CA, or a shared one, and the
// server and client certificates); later builds reuse it, so every image
// and the `dockbake env` of the workstation agree on one set of
// certificates. A build whose settings differ from the stored machine
// fails instead of issuing new keys.
type Config struct {
	// The machine's name in the store, as in `dockbake create NAME`. It
	// names the client directory that `dockbake env NAME` points the docker
	// CLI at.
	MachineName string `mapstructure:"machine_name" required:"true"`
	// The dockbake store on the machine running Packer. Defaults to
	// `$DOCKBAKE_STORAGE_PATH`, else `~/.docker/dockbake`, like the CLI's
	// `--storage-path`. The CA key stays here: it never enters the image.
	StoragePath string `mapstructure:"storage_path"`
	// IP addresses the Docker host answers on; the first one is
	// `DOCKER_HOST`'s. They go into the server certificate, so give the
	// addresses clients dial, never the build VM's temporary address. At
	// least one of `ip_addresses` and `dns_names` is required.
	IPAddresses []string `mapstructure:"ip_addresses"`
	// DNS names of the Docker host; the first one is `DOCKER_HOST`'s when
	// there is no IP address. A leading `*.` label is allowed.
	DNSNames []string `mapstructure:"dns_names"`
	// The TCP port of dockerd's TLS listener. Defaults to 2376.
	Port int `mapstructure:"port"`
	// The host OS, one of `dockbake create --os`'s values such as
	// `debian-12` or `ubuntu-24.04`. The provisioner detects it from the
	// build VM's `/etc/os-release` when unset; the data source, which sees
	// no VM, defaults to `ubuntu-24.04`. Set it when a template uses both.
	OS string `mapstructure:"os"`
	// How Docker gets onto the host: `distro` (the distribution's own
	// package: `docker.io`, `moby-engine` or `docker`), `docker-ce`
	// (Docker's repository, trusted for its own packages only) or `none`
	// (Docker is already in the image). Defaults to the OS's own choice, as
	// in `dockbake create`: `distro` where the OS has a Docker package.
	Install string `mapstructure:"install"`
	// Extra dockerd flags as `flag=value` or `flag`, without the leading
	// dashes, like `--engine-opt`. Flags dockbake sets itself (`host`,
	// `tls*`, ...) are refused.
	EngineOpts []string `mapstructure:"engine_opts"`
	// dockerd labels as `key=value`, like `--engine-label`.
	EngineLabels []string `mapstructure:"engine_labels"`
	// dockerd's environment as `NAME=value`, like `--engine-env` (for
	// example `HTTP_PROXY=http://proxy:3128`).
	EngineEnv []string `mapstructure:"engine_env"`
	// Registry mirror URLs, like `--engine-registry-mirror`.
	EngineRegistryMirrors []string `mapstructure:"engine_registry_mirrors"`
	// Registries dockerd may reach without TLS verification, like
	// `--engine-insecure-registry`.
	EngineInsecureRegistries []string `mapstructure:"engine_insecure_registries"`
	// dockerd's storage driver, for example `overlay2`. Defaults to
	// Docker's own choice.
	EngineStorageDriver string `mapstructure:"engine_storage_driver"`
	// A user to add to the `docker` group on the host (created if missing),
	// for local use of the Docker socket.
	DockerUser string `mapstructure:"docker_user"`
	// Share the CA named here across machines (created on first use)
	// instead of giving the machine a CA of its own, like `--ca`.
	CA string `mapstructure:"ca"`
	// The key algorithm of new keys: `ecdsa-p256` (the default),
	// `ecdsa-p384`, `rsa-2048` or `rsa-4096`.
	KeyType string `mapstructure:"key_type"`
	// The lifetime of new server and client certificates, as days (`825d`,
	// the default) or a Go duration (`48h`).
	CertValidity string `mapstructure:"cert_validity"`
	// The lifetime of a new CA, as days or a Go duration. Defaults to
	// `3650d`.
	CAValidity string `mapstructure:"ca_validity"`
}
