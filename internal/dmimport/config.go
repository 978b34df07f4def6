package dmimport

import (
	"fmt"
	"net/url"
	"strconv"
)

// DefaultPort is Docker Machine's engine.DefaultPort.
const DefaultPort = 2376

// configVersion is the config.json format that Docker Machine 0.7 and later
// write (libmachine/host.Host with ConfigVersion 3).
const configVersion = 3

// hostConfig is the part of Docker Machine's machines/NAME/config.json that
// an import needs. Everything else, among it a cloud driver's credentials
// (amazonec2's AccessKey and SecretKey), is never decoded.
type hostConfig struct {
	ConfigVersion int
	Driver        driverConfig
	DriverName    string
	HostOptions   struct {
		EngineOptions engineConfig
		AuthOptions   authConfig
	}
	Name string
}

// driverConfig holds the fields that drivers share: BaseDriver's IPAddress
// and StorePath (the store's root when the machine was created), the
// generic driver's EnginePort, the none driver's URL and amazonec2's
// private address.
type driverConfig struct {
	IPAddress        string
	StorePath        string
	EnginePort       int
	URL              string
	PrivateIPAddress string
	UsePrivateIP     bool
	PrivateIPOnly    bool
}

// engineConfig is libmachine/engine.Options: Docker Machine's --engine-*
// flags.
type engineConfig struct {
	ArbitraryFlags   []string
	Env              []string
	InsecureRegistry []string
	Labels           []string
	StorageDriver    string
	RegistryMirror   []string
}

// authConfig is libmachine/auth.Options: where the certificates are. The
// paths are absolute, as they were when the machine was created.
type authConfig struct {
	CertDir          string
	CaCertPath       string
	CaPrivateKeyPath string
	ServerCertPath   string
	ServerKeyPath    string
	ClientKeyPath    string
	ClientCertPath   string
	ServerCertSANs   []string
	StorePath        string
}

// address returns the host and port DOCKER_HOST used, as the driver's
// GetURL did.
func (d driverConfig) address(driverName string) (string, int, error) {
	if d.URL != "" {
		u, err := url.Parse(d.URL)
		if err != nil || u.Scheme != "tcp" || u.Hostname() == "" {
			return "", 0, fmt.Errorf("Driver.URL %q is not a tcp://HOST:PORT URL", d.URL)
		}
		port := DefaultPort
		if p := u.Port(); p != "" {
			if port, err = strconv.Atoi(p); err != nil {
				return "", 0, fmt.Errorf("Driver.URL %q has a bad port", d.URL)
			}
		}
		return u.Hostname(), port, nil
	}
	host := d.IPAddress
	if (d.UsePrivateIP || d.PrivateIPOnly) && d.PrivateIPAddress != "" {
		host = d.PrivateIPAddress
	}
	if host == "" {
		return "", 0, fmt.Errorf("Driver.IPAddress is empty: the %s machine has no address yet (start it, then run docker-machine ip NAME)", driverName)
	}
	port := d.EnginePort
	if port == 0 {
		port = DefaultPort
	}
	return host, port, nil
}
