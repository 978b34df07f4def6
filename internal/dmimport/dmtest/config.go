package dmtest

import "path/filepath"

// The types below marshal to config.json exactly as Docker Machine v0.16.2
// writes it for a generic-driver machine: hostJSON is libmachine/host.Host
// with ConfigVersion 3, the generic driver embedding BaseDriver, and the
// field order of libmachine/{engine,swarm,auth}.Options.

type hostJSON struct {
	ConfigVersion int
	Driver        genericDriver
	DriverName    string
	HostOptions   hostOptions
	Name          string
}

type genericDriver struct {
	IPAddress      string
	MachineName    string
	SSHUser        string
	SSHPort        int
	SSHKeyPath     string
	StorePath      string
	SwarmMaster    bool
	SwarmHost      string
	SwarmDiscovery string
	EnginePort     int
	SSHKey         string
}

type hostOptions struct {
	Driver        string
	Memory        int
	Disk          int
	EngineOptions engineOptions
	SwarmOptions  swarmOptions
	AuthOptions   authOptions
}

type engineOptions struct {
	ArbitraryFlags   []string
	DNS              []string `json:"Dns"`
	GraphDir         string
	Env              []string
	Ipv6             bool
	InsecureRegistry []string
	Labels           []string
	LogLevel         string
	StorageDriver    string
	SelinuxEnabled   bool
	TLSVerify        bool `json:"TlsVerify"`
	RegistryMirror   []string
	InstallURL       string
}

type swarmOptions struct {
	IsSwarm            bool
	Address            string
	Discovery          string
	Agent              bool
	Master             bool
	Host               string
	Image              string
	Strategy           string
	Heartbeat          int
	Overcommit         int
	ArbitraryFlags     []string
	ArbitraryJoinFlags []string
	Env                []string
	IsExperimental     bool
}

type authOptions struct {
	CertDir              string
	CaCertPath           string
	CaPrivateKeyPath     string
	CaCertRemotePath     string
	ServerCertPath       string
	ServerKeyPath        string
	ClientKeyPath        string
	ServerCertRemotePath string
	ServerKeyRemotePath  string
	ClientCertPath       string
	ServerCertSANs       []string
	StorePath            string
}

func hostConfig(root string, m Host) hostJSON {
	dir := filepath.Join(root, "machines", m.Name)
	certs := filepath.Join(root, "certs")
	caCerts := certs // --tls-ca-cert and friends point here
	if m.CAStore != "" {
		caCerts = filepath.Join(m.CAStore, "certs")
	}
	port := m.EnginePort
	if port == 0 {
		port = 2376
	}
	orEmpty := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	return hostJSON{
		ConfigVersion: 3,
		Driver: genericDriver{
			IPAddress: m.IP, MachineName: m.Name, SSHUser: "root", SSHPort: 22,
			SSHKeyPath: filepath.Join(dir, "id_rsa"), StorePath: root,
			EnginePort: port,
		},
		DriverName: "generic",
		HostOptions: hostOptions{
			EngineOptions: engineOptions{
				ArbitraryFlags: []string{}, Env: []string{}, InsecureRegistry: []string{},
				Labels: orEmpty(m.Labels), TLSVerify: true,
				RegistryMirror: []string{}, InstallURL: "https://get.docker.com",
			},
			SwarmOptions: swarmOptions{
				Host: "tcp://0.0.0.0:3376", Image: "swarm:latest", Strategy: "spread",
				ArbitraryFlags: []string{}, ArbitraryJoinFlags: []string{},
			},
			AuthOptions: authOptions{
				CertDir: certs, CaCertPath: filepath.Join(caCerts, "ca.pem"), CaPrivateKeyPath: filepath.Join(caCerts, "ca-key.pem"),
				ServerCertPath: filepath.Join(dir, "server.pem"), ServerKeyPath: filepath.Join(dir, "server-key.pem"),
				ClientKeyPath: filepath.Join(caCerts, "key.pem"), ClientCertPath: filepath.Join(caCerts, "cert.pem"),
				ServerCertSANs: orEmpty(m.TLSSANs), StorePath: dir,
			},
		},
		Name: m.Name,
	}
}
