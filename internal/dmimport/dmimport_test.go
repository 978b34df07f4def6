package dmimport_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/internal/dmimport"
	"github.com/dockbake/dockbake/internal/dmimport/dmtest"
	"github.com/dockbake/dockbake/pki"
)

func TestDefaultRoot(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if got, _ := dmimport.DefaultRoot(env(map[string]string{"MACHINE_STORAGE_PATH": "/x/dm", "HOME": "/h"})); got != "/x/dm" {
		t.Errorf("MACHINE_STORAGE_PATH ignored: %s", got)
	}
	if got, _ := dmimport.DefaultRoot(env(map[string]string{"HOME": "/h"})); got != filepath.Join("/h", ".docker", "machine") {
		t.Errorf("default = %s", got)
	}
}

func TestLoadGenericMachine(t *testing.T) {
	root := t.TempDir()
	now := time.Now()
	dm, err := dmtest.Write(root, "alice", now,
		dmtest.Host{Name: "web1", IP: "203.0.113.5", TLSSANs: []string{"web1.example.com"}, Labels: []string{"env=prod"}},
		dmtest.Host{Name: "edge", IP: "edge.example.com", EnginePort: 2377})
	if err != nil {
		t.Fatal(err)
	}
	s, err := dmimport.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	names, err := s.Names()
	if err != nil || strings.Join(names, ",") != "edge,web1" {
		t.Fatalf("Names = %v, %v", names, err)
	}
	m, err := s.Load("web1")
	if err != nil {
		t.Fatal(err)
	}
	if m.Address != "203.0.113.5" || m.Port != 2376 || m.Driver != "generic" {
		t.Errorf("address %s:%d driver %s", m.Address, m.Port, m.Driver)
	}
	if strings.Join(m.ExtraSANs, ",") != "web1.example.com" {
		t.Errorf("SANs %v", m.ExtraSANs)
	}
	// What Docker Machine's provisioner put on dockerd's command line
	// beside config.json's --engine-label.
	if strings.Join(m.Engine.Labels, ",") != "env=prod,provider=generic" || m.Engine.StorageDriver != "overlay2" {
		t.Errorf("labels %v, storage driver %q", m.Engine.Labels, m.Engine.StorageDriver)
	}
	wantFiles := []string{
		"config.json machines/web1/config.json", "CA certificate certs/ca.pem", "CA key certs/ca-key.pem",
		"server certificate machines/web1/server.pem", "server key machines/web1/server-key.pem",
		"client certificate machines/web1/cert.pem", "client key machines/web1/key.pem",
	}
	if got := fileList(m); strings.Join(got, "\n") != strings.Join(wantFiles, "\n") {
		t.Errorf("files read:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantFiles, "\n"))
	}
	if pki.Fingerprint(m.CA.Cert) != pki.Fingerprint(dm.CA) {
		t.Error("CA is not the one in certs/")
	}
	if err := m.Server.Cert.VerifyHostname("203.0.113.5"); err != nil {
		t.Errorf("server certificate: %v", err)
	}
	if len(m.Warnings) != 0 {
		t.Errorf("warnings: %v", m.Warnings)
	}
	edge, err := s.Load("edge")
	if err != nil || edge.Address != "edge.example.com" || edge.Port != 2377 {
		t.Fatalf("edge: %+v, %v", edge, err)
	}
}

// fileList is each file m was read from, as "ROLE SOURCE".
func fileList(m *dmimport.Host) []string {
	var out []string
	for _, f := range m.Files {
		out = append(out, f.Role+" "+f.Source())
	}
	return out
}

func TestLoadErrors(t *testing.T) {
	root := t.TempDir()
	if _, err := dmtest.Write(root, "alice", time.Now(),
		dmtest.Host{Name: "ok", IP: "203.0.113.5"},
		dmtest.Host{Name: "foreign", IP: "203.0.113.6", ForeignCA: true}); err != nil {
		t.Fatal(err)
	}
	s, _ := dmimport.Open(root)
	edit := func(name string, f func(map[string]any)) {
		t.Helper()
		dir := filepath.Join(root, "machines", name)
		if name != "ok" && name != "foreign" {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			data, _ := os.ReadFile(filepath.Join(root, "machines", "ok", "config.json"))
			os.WriteFile(filepath.Join(dir, "config.json"), data, 0o600)
		}
		p := filepath.Join(dir, "config.json")
		data, _ := os.ReadFile(p)
		var cfg map[string]any
		if err := json.Unmarshal(data, &cfg); err != nil {
			t.Fatal(err)
		}
		f(cfg)
		data, _ = json.MarshalIndent(cfg, "", "    ")
		os.WriteFile(p, data, 0o600)
	}
	edit("v1", func(c map[string]any) { c["ConfigVersion"] = 1; c["Name"] = "v1" })
	edit("none", func(c map[string]any) { c["DriverName"] = "none"; c["Name"] = "none" })
	edit("noip", func(c map[string]any) { c["Driver"].(map[string]any)["IPAddress"] = ""; c["Name"] = "noip" })
	edit("renamed", func(c map[string]any) {})
	os.MkdirAll(filepath.Join(root, "machines", "broken"), 0o700)
	os.WriteFile(filepath.Join(root, "machines", "broken", "config.json"), []byte("{"), 0o600)
	for _, tc := range []struct{ name, want string }{
		{"foreign", "was not issued by the CA"},
		{"v1", "ConfigVersion 1"},
		{"none", `"none" driver`},
		{"noip", "Driver.IPAddress is empty"},
		{"renamed", `does not match the directory name "renamed"`},
		{"missing", `no machine "missing"`},
		{"broken", "unexpected end of JSON input"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Load(tc.name)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := dmimport.Open(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a Docker Machine store") {
		t.Errorf("Open of an empty dir: %v", err)
	}
}

// TestConfigFromDockerMachine decodes a config.json as Docker Machine
// v0.16.2 wrote it for an amazonec2 machine with --amazonec2-use-private-address:
// the private address is DOCKER_HOST's, and the credentials are not read.
func TestConfigFromDockerMachine(t *testing.T) {
	root := t.TempDir()
	if _, err := dmtest.Write(root, "alice", time.Now(), dmtest.Host{Name: "aws1", IP: "10.0.0.7"}); err != nil {
		t.Fatal(err)
	}
	certs := filepath.Join(root, "certs")
	dir := filepath.Join(root, "machines", "aws1")
	cfg := strings.NewReplacer("{certs}", certs, "{dir}", dir, "{root}", root).Replace(awsConfig)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	s, _ := dmimport.Open(root)
	m, err := s.Load("aws1")
	if err != nil {
		t.Fatal(err)
	}
	if m.Address != "10.0.0.7" || m.Port != 2376 || m.Driver != "amazonec2" {
		t.Errorf("address %s:%d, driver %s", m.Address, m.Port, m.Driver)
	}
	if strings.Join(m.Engine.Opts, " ") != "log-level=warn" || m.Engine.StorageDriver != "overlay2" {
		t.Errorf("engine options: %+v", m.Engine)
	}
	// The storage driver was given at create; only the label is added.
	if strings.Join(m.Engine.Labels, ",") != "provider=amazonec2" || len(m.Notes) != 1 || strings.Contains(m.Notes[0], "storage") {
		t.Errorf("labels %v, notes %v", m.Engine.Labels, m.Notes)
	}
}

// TestEngineAsProvisioned: Docker Machine v0.16.2's provisioners write
// --storage-driver overlay2 (when create had no --engine-storage-driver)
// and --label provider=DRIVER into the drop-in, and record neither in
// config.json; the import takes both, once.
func TestEngineAsProvisioned(t *testing.T) {
	for _, tc := range []struct {
		name          string
		edit          func(e map[string]any)
		labels, notes string
	}{
		{"defaults", func(map[string]any) {}, "provider=generic",
			"--storage-driver overlay2 and --label provider=generic: Docker Machine put these on dockerd's command line without recording them in config.json"},
		{"given", func(e map[string]any) {
			e["StorageDriver"], e["Labels"] = "btrfs", []string{"provider=generic", "env=prod"}
		}, "provider=generic,env=prod", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			if _, err := dmtest.Write(root, "alice", time.Now(), dmtest.Host{Name: "web1", IP: "203.0.113.5"}); err != nil {
				t.Fatal(err)
			}
			editConfig(t, filepath.Join(root, "machines", "web1", "config.json"), func(c map[string]any) {
				tc.edit(c["HostOptions"].(map[string]any)["EngineOptions"].(map[string]any))
			})
			s, _ := dmimport.Open(root)
			m, err := s.Load("web1")
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(m.Engine.Labels, ","); got != tc.labels {
				t.Errorf("labels = %s, want %s", got, tc.labels)
			}
			if want := map[string]string{"defaults": "overlay2", "given": "btrfs"}[tc.name]; m.Engine.StorageDriver != want {
				t.Errorf("storage driver = %q, want %q", m.Engine.StorageDriver, want)
			}
			if got := strings.Join(m.Notes, "\n"); got != tc.notes {
				t.Errorf("notes = %q, want %q", got, tc.notes)
			}
		})
	}
}

// editConfig rewrites a config.json through f.
func editConfig(t *testing.T, path string, f func(map[string]any)) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	f(cfg)
	if data, err = json.MarshalIndent(cfg, "", "    "); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

const awsConfig = `{
    "ConfigVersion": 3,
    "Driver": {
        "IPAddress": "54.0.0.7",
        "MachineName": "aws1",
        "SSHUser": "ubuntu",
        "SSHPort": 22,
        "SSHKeyPath": "{dir}/id_rsa",
        "StorePath": "{root}",
        "SwarmMaster": false,
        "SwarmHost": "tcp://0.0.0.0:3376",
        "SwarmDiscovery": "",
        "Id": "1df29f6605f746dea1217e8412a59dd5",
        "AccessKey": "AKIAEXAMPLE",
        "SecretKey": "example+secret",
        "SessionToken": "",
        "Region": "us-east-1",
        "AMI": "ami-0123456789",
        "InstanceId": "i-0123456789",
        "InstanceType": "t2.micro",
        "PrivateIPAddress": "10.0.0.7",
        "UsePrivateIP": true,
        "PrivateIPOnly": false,
        "RetryCount": 5
    },
    "DriverName": "amazonec2",
    "HostOptions": {
        "Driver": "",
        "Memory": 0,
        "Disk": 0,
        "EngineOptions": {
            "ArbitraryFlags": [
                "log-level=warn"
            ],
            "Dns": null,
            "GraphDir": "",
            "Env": [],
            "Ipv6": false,
            "InsecureRegistry": [],
            "Labels": [],
            "LogLevel": "",
            "StorageDriver": "overlay2",
            "SelinuxEnabled": false,
            "TlsVerify": true,
            "RegistryMirror": [],
            "InstallURL": "https://get.docker.com"
        },
        "SwarmOptions": {
            "IsSwarm": false,
            "Address": "",
            "Discovery": "",
            "Agent": false,
            "Master": false,
            "Host": "tcp://0.0.0.0:3376",
            "Image": "swarm:latest",
            "Strategy": "spread",
            "Heartbeat": 0,
            "Overcommit": 0,
            "ArbitraryFlags": [],
            "ArbitraryJoinFlags": [],
            "Env": null,
            "IsExperimental": false
        },
        "AuthOptions": {
            "CertDir": "{certs}",
            "CaCertPath": "{certs}/ca.pem",
            "CaPrivateKeyPath": "{certs}/ca-key.pem",
            "CaCertRemotePath": "",
            "ServerCertPath": "{dir}/server.pem",
            "ServerKeyPath": "{dir}/server-key.pem",
            "ClientKeyPath": "{certs}/key.pem",
            "ServerCertRemotePath": "",
            "ServerKeyRemotePath": "",
            "ClientCertPath": "{certs}/cert.pem",
            "ServerCertSANs": [],
            "StorePath": "{dir}"
        }
    },
    "Name": "aws1"
}`

// TestFixtureShape holds dmtest to Docker Machine's real output: the keys of
// its config.json, in order, are those of a generic-driver config.json
// written by Docker Machine v0.16.2.
func TestFixtureShape(t *testing.T) {
	root := t.TempDir()
	if _, err := dmtest.Write(root, "alice", time.Now(), dmtest.Host{Name: "test-host", IP: "11.22.33.44"}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "machines", "test-host", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if want := keys(t, genericConfig); !strings.HasSuffix(want, "HostOptions.AuthOptions.StorePath Name") {
		t.Fatalf("keys() is broken: %s", want)
	}
	if got, want := keys(t, string(data)), keys(t, genericConfig); got != want {
		t.Errorf("config.json keys differ from Docker Machine's:\n got %s\nwant %s", got, want)
	}
	if !strings.HasPrefix(string(data), "{\n    \"ConfigVersion\": 3,\n    \"Driver\": {\n        \"IPAddress\"") {
		t.Errorf("not indented as Docker Machine does (four spaces):\n%.80s", data)
	}
	for path, want := range map[string]os.FileMode{
		"certs": 0o700, "certs/ca-key.pem": 0o600, "certs/key.pem": 0o600, "certs/ca.pem": 0o644,
		"machines/test-host/config.json": 0o600, "machines/test-host/server-key.pem": 0o600,
	} {
		fi, err := os.Stat(filepath.Join(root, path))
		if err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, %v; want %v", path, fi.Mode().Perm(), err, want)
		}
	}
}

// keys lists every object key of a JSON document, as dotted paths in
// document order.
func keys(t *testing.T, doc string) string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(doc))
	var out []string
	var walk func(prefix string) error
	walk = func(prefix string) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'):
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				out = append(out, prefix+k.(string))
				if err := walk(prefix + k.(string) + "."); err != nil {
					return err
				}
			}
		case json.Delim('['):
			for dec.More() {
				if err := walk(prefix + "[]."); err != nil {
					return err
				}
			}
		default:
			return nil
		}
		_, err = dec.Token()
		return err
	}
	if err := walk(""); err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, " ")
}

// genericConfig is config.json as Docker Machine v0.16.2 writes it for
// docker-machine create -d generic --generic-ip-address 11.22.33.44 test-host.
const genericConfig = `{
    "ConfigVersion": 3,
    "Driver": {
        "IPAddress": "11.22.33.44",
        "MachineName": "test-host",
        "SSHUser": "root",
        "SSHPort": 22,
        "SSHKeyPath": "/home/u/.docker/machine/machines/test-host/id_rsa",
        "StorePath": "/home/u/.docker/machine",
        "SwarmMaster": false,
        "SwarmHost": "",
        "SwarmDiscovery": "",
        "EnginePort": 2376,
        "SSHKey": ""
    },
    "DriverName": "generic",
    "HostOptions": {
        "Driver": "",
        "Memory": 0,
        "Disk": 0,
        "EngineOptions": {
            "ArbitraryFlags": [],
            "Dns": null,
            "GraphDir": "",
            "Env": [],
            "Ipv6": false,
            "InsecureRegistry": [],
            "Labels": [],
            "LogLevel": "",
            "StorageDriver": "",
            "SelinuxEnabled": false,
            "TlsVerify": true,
            "RegistryMirror": [],
            "InstallURL": "https://get.docker.com"
        },
        "SwarmOptions": {
            "IsSwarm": false,
            "Address": "",
            "Discovery": "",
            "Agent": false,
            "Master": false,
            "Host": "tcp://0.0.0.0:3376",
            "Image": "swarm:latest",
            "Strategy": "spread",
            "Heartbeat": 0,
            "Overcommit": 0,
            "ArbitraryFlags": [],
            "ArbitraryJoinFlags": [],
            "Env": null,
            "IsExperimental": false
        },
        "AuthOptions": {
            "CertDir": "/home/u/.docker/machine/certs",
            "CaCertPath": "/home/u/.docker/machine/certs/ca.pem",
            "CaPrivateKeyPath": "/home/u/.docker/machine/certs/ca-key.pem",
            "CaCertRemotePath": "",
            "ServerCertPath": "/home/u/.docker/machine/machines/test-host/server.pem",
            "ServerKeyPath": "/home/u/.docker/machine/machines/test-host/server-key.pem",
            "ClientKeyPath": "/home/u/.docker/machine/certs/key.pem",
            "ServerCertRemotePath": "",
            "ServerKeyRemotePath": "",
            "ClientCertPath": "/home/u/.docker/machine/certs/cert.pem",
            "ServerCertSANs": [],
            "StorePath": "/home/u/.docker/machine/machines/test-host"
        }
    },
    "Name": "test-host"
}`

// TestSpec converts Docker Machine's host to dockbake's spec: DOCKER_HOST's
// address first, the --tls-san names after it, localhost left out (every
// certificate of Docker Machine names it), and Docker already installed.
func TestSpec(t *testing.T) {
	for _, tc := range []struct {
		name       string
		host       dmimport.Host
		ips, names string
		warning    string
	}{
		{"by address", dmimport.Host{Name: "web1", Address: "203.0.113.5", Port: 2376, ExtraSANs: []string{"web1.example.com", "198.51.100.1", "localhost"}},
			"203.0.113.5,198.51.100.1", "web1.example.com", ""},
		{"by name", dmimport.Host{Name: "edge", Address: "edge.example.com", Port: 2377, ExtraSANs: []string{"203.0.113.9", "edge.example.com"}},
			"", "edge.example.com", "203.0.113.9 are left out"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.host.Engine.Labels = []string{"env=prod"}
			spec, warnings := tc.host.Spec(generator.OSUnknown)
			if err := spec.Validate(); err != nil {
				t.Fatal(err)
			}
			if spec.OS != generator.OSUnknown {
				t.Errorf("OS = %q without one given", spec.OS)
			}
			if withOS, _ := tc.host.Spec("debian-12"); withOS.OS != "debian-12" || withOS.Validate() != nil {
				t.Errorf("with an OS given: %+v", withOS)
			}
			if got := strings.Join(spec.IPs, ","); got != tc.ips {
				t.Errorf("IPs = %s, want %s", got, tc.ips)
			}
			if got := strings.Join(spec.DNSNames, ","); got != tc.names {
				t.Errorf("DNS names = %s, want %s", got, tc.names)
			}
			if spec.Port != tc.host.Port || spec.Install != "none" || strings.Join(spec.Engine.Labels, ",") != "env=prod" {
				t.Errorf("spec = %+v", spec)
			}
			if got := strings.Join(warnings, "\n"); (tc.warning == "") != (got == "") || !strings.Contains(got, tc.warning) {
				t.Errorf("warnings = %q, want %q", got, tc.warning)
			}
		})
	}
}
