package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dockbake/dockbake/internal/dmimport/dmtest"
	"github.com/dockbake/dockbake/internal/dockerdtest"
	"github.com/dockbake/dockbake/internal/testenv"
)

// TestImportDockerMachine imports a store laid out exactly as Docker Machine
// writes it, while a real dockerd runs the certificates Docker Machine put
// on the host; the docker CLI, set up only by dockbake env, then reaches it.
func TestImportDockerMachine(t *testing.T) {
	c := newCLI(t)
	bash := testenv.LookPath(t, "bash", "apt-get install bash")
	testenv.LookPath(t, "docker", "apt-get install docker.io")
	port := freePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	dmRoot := filepath.Join(c.env["HOME"], ".docker", "machine")
	if _, err := dmtest.Write(dmRoot, "alice", time.Now(),
		dmtest.Host{Name: "dm1", IP: "127.0.0.1", EnginePort: port, TLSSANs: []string{"dm1.example.com"}, Labels: []string{"env=test"}},
		dmtest.Host{Name: "dm2", IP: "198.51.100.9"},
		dmtest.Host{Name: "stale", IP: "198.51.100.10", ForeignCA: true}); err != nil {
		t.Fatal(err)
	}
	// The host as Docker Machine provisioned it: /etc/docker/{ca,server,server-key}.pem.
	dm1 := filepath.Join(dmRoot, "machines", "dm1")
	dockerdtest.Start(t, append([]string{"-H", "tcp://" + addr}, tlsFlags(dm1, "ca.pem", "server.pem", "server-key.pem", true)...)...)

	// Every machine is tried; the one Docker Machine left with a server
	// certificate of another CA is reported, the others come in.
	_, errOut, code := c.run("import-docker-machine")
	if code == 0 {
		t.Fatal("import of a store with a broken machine succeeded")
	}
	for _, want := range []string{
		`Imported dm1 (tcp://` + addr + `, driver generic) with the shared CA "docker-machine"`,
		`Imported dm2 (tcp://198.51.100.9:2376, driver generic)`,
		`machine "stale": its server certificate was not issued by the CA`, "docker-machine regenerate-certs stale",
		"dockbake: hint: fix what is named above",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("import output lacks %q:\n%s", want, errOut)
		}
	}
	out := c.ok("inspect", "dm1", "--format", "{{.CA}} {{.URL}} {{json .Spec.DNSNames}} {{json .Spec.Engine.Labels}} {{.Spec.Install}}")
	// The label Docker Machine put on dockerd's command line comes too.
	if want := `docker-machine tcp://` + addr + ` ["dm1.example.com"] ["env=test","provider=generic"] none`; strings.TrimSpace(out) != want {
		t.Errorf("inspect dm1 = %q, want %q", out, want)
	}
	// The client directory holds Docker Machine's client certificate, the
	// one DOCKER_CERT_PATH pointed at, and no CA key.
	entries, _ := os.ReadDir(filepath.Join(c.storeRoot(), "machines", "dm1"))
	if len(entries) != 3 {
		t.Errorf("client directory holds %d files", len(entries))
	}

	c.ok("verify", "dm1")
	envOut := c.ok("env", "dm1", "--shell", "bash")
	cmd := exec.Command(bash, "-c", `eval "$ENV_OUT" && docker version --format '{{.Server.Version}}'`)
	cmd.Env = append(os.Environ(), "ENV_OUT="+envOut, "DOCKER_CONFIG="+t.TempDir(), "DOCKER_CONTEXT=")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker with dockbake env after the import: %v\n%s", err, b)
	}

	// Docker Machine's CA is now dockbake's: it signs a new server
	// certificate and a teammate's, which the host accepts as it is. New
	// user-data needs the host's OS, which config.json does not record.
	ud := filepath.Join(t.TempDir(), "ud.yaml")
	c.fails([]string{"regenerate-certs", "dm1", "-o", ud}, `machine "dm1": --os: the host's OS is not known`, "dockbake import-docker-machine --force --os OS dm1")
	if _, err := os.Stat(ud); err == nil {
		t.Error("a refused regenerate-certs wrote user-data")
	}
	c.ok("import-docker-machine", "dm1", "--force", "--os", "ubuntu-24.04")
	c.ok("verify", "dm1")
	c.ok("regenerate-certs", "dm1", "-o", ud)
	alice := filepath.Join(t.TempDir(), "alice")
	_, errOut, _ = c.run("client", "add", "dm1", "--user", "bob", "--output", alice)
	if !strings.Contains(errOut, `uses the shared CA "docker-machine": this certificate also opens every other machine on it`) {
		t.Errorf("no shared-CA warning:\n%s", errOut)
	}
	c.ok("verify", "dm1", "--cert-path", alice)

	// Again: refused without --force, machine by machine.
	c.fails([]string{"import-docker-machine", "dm1"}, `machine "dm1": already exists`, "--force")
	c.ok("import-docker-machine", "dm2", "--force")
}

// dmstore [-ca-store OTHER] DIR NAME...: lays out a Docker Machine store
// at DIR as Docker Machine v0.16.2 writes it, with generic-driver machines
// NAME at 203.0.113.10, .11, ... With -ca-store the machines use the CA
// and client certificate of the store OTHER (create --tls-ca-cert and
// friends).
func cmdDMStore(ts *testscript.TestScript, neg bool, args []string) {
	var caStore string
	if len(args) > 2 && args[0] == "-ca-store" {
		caStore, args = ts.MkAbs(args[1]), args[2:]
	}
	if neg || len(args) < 1 {
		ts.Fatalf("usage: dmstore [-ca-store OTHER] DIR NAME...")
	}
	var hosts []dmtest.Host
	for i, name := range args[1:] {
		hosts = append(hosts, dmtest.Host{Name: name, IP: "203.0.113." + strconv.Itoa(10+i), CAStore: caStore})
	}
	_, err := dmtest.Write(ts.MkAbs(args[0]), "alice", time.Now(), hosts...)
	ts.Check(err)
}

// dockerMachineDropIn is the drop-in template of Docker Machine v0.16.2's
// systemd provisioners (libmachine/provision/systemd.go, GenerateDockerOptions),
// which the Ubuntu, Debian and Red Hat family provisioners write to
// /etc/systemd/system/docker.service.d/10-machine.conf.
const dockerMachineDropIn = `[Service]
ExecStart=
ExecStart=/usr/bin/dockerd -H tcp://0.0.0.0:{{.DockerPort}} -H unix:///var/run/docker.sock --storage-driver {{.EngineOptions.StorageDriver}} --tlsverify --tlscacert {{.AuthOptions.CaCertRemotePath}} --tlscert {{.AuthOptions.ServerCertRemotePath}} --tlskey {{.AuthOptions.ServerKeyRemotePath}} {{ range .EngineOptions.Labels }}--label {{.}} {{ end }}{{ range .EngineOptions.InsecureRegistry }}--insecure-registry {{.}} {{ end }}{{ range .EngineOptions.RegistryMirror }}--registry-mirror {{.}} {{ end }}{{ range .EngineOptions.ArbitraryFlags }}--{{.}} {{ end }}
Environment={{range .EngineOptions.Env}}{{ printf "%q" . }} {{end}}
`

// TestImportKeepsDockerdCommandLine: user-data rendered for an imported
// machine starts dockerd with the options Docker Machine's drop-in gave
// it, the storage driver and provider label that config.json does not
// record among them.
func TestImportKeepsDockerdCommandLine(t *testing.T) {
	c := newCLI(t)
	dmRoot := filepath.Join(c.env["HOME"], ".docker", "machine")
	if _, err := dmtest.Write(dmRoot, "alice", time.Now(), dmtest.Host{Name: "dm1", IP: "203.0.113.5", Labels: []string{"env=prod"}}); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dmRoot, "machines", "dm1", "config.json")
	var cfg map[string]any
	data, err := os.ReadFile(cfgPath)
	if err != nil || json.Unmarshal(data, &cfg) != nil {
		t.Fatalf("config.json: %v", err)
	}
	engine := cfg["HostOptions"].(map[string]any)["EngineOptions"].(map[string]any)
	engine["ArbitraryFlags"] = []string{"log-level=warn"}
	engine["InsecureRegistry"] = []string{"registry.internal:5000"}
	engine["RegistryMirror"] = []string{"https://mirror.example.com"}
	if data, err = json.MarshalIndent(cfg, "", "    "); err != nil || os.WriteFile(cfgPath, data, 0o600) != nil {
		t.Fatalf("config.json: %v", err)
	}

	c.ok("import-docker-machine", "--os", "ubuntu-24.04")
	ud := c.ok("render", "dm1")
	got := dockerdFlags(t, dockerdtest.UserDataFiles(t, []byte(ud))["/etc/systemd/system/docker.service.d/10-machine.conf"].Content)
	want := dockerdFlags(t, dockerMachineDropInFor(t, data))
	// dockbake adds --live-restore of its own, so that a certificate
	// delivered after boot restarts dockerd without stopping containers
	// (docs/after-boot.md); everything else must be Docker Machine's.
	got = slices.DeleteFunc(got, func(f string) bool { return f == "--live-restore" })
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("dockerd options after import:\n got %v\nwant %v (Docker Machine's drop-in)", got, want)
	}
}

// dockerMachineDropInFor renders Docker Machine's drop-in for config.json
// as its Ubuntu provisioner does: Provision sets the storage driver to
// overlay2 when none was given (decideStorageDriver), and
// GenerateDockerOptions appends the label provider=DRIVER.
func dockerMachineDropInFor(t *testing.T, configJSON []byte) string {
	t.Helper()
	var h struct {
		DriverName  string
		HostOptions struct {
			EngineOptions struct {
				ArbitraryFlags, Env, InsecureRegistry, Labels, RegistryMirror []string
				StorageDriver                                                 string
			}
		}
	}
	if err := json.Unmarshal(configJSON, &h); err != nil {
		t.Fatal(err)
	}
	e := h.HostOptions.EngineOptions
	if e.StorageDriver == "" {
		e.StorageDriver = "overlay2"
	}
	e.Labels = append(e.Labels, "provider="+h.DriverName)
	var b strings.Builder
	err := template.Must(template.New("engineConfig").Parse(dockerMachineDropIn)).Execute(&b, map[string]any{
		"DockerPort": 2376, "EngineOptions": e,
		"AuthOptions": map[string]string{"CaCertRemotePath": "/etc/docker/ca.pem", "ServerCertRemotePath": "/etc/docker/server.pem", "ServerKeyRemotePath": "/etc/docker/server-key.pem"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// dockerdFlags are the options of a drop-in's last ExecStart line that
// are not the listen addresses, TLS or containerd (which dockbake sets
// itself), each as --flag=value, sorted.
func dockerdFlags(t *testing.T, dropIn string) []string {
	t.Helper()
	var line string
	for _, l := range strings.Split(dropIn, "\n") {
		if v, ok := strings.CutPrefix(l, "ExecStart="); ok && v != "" {
			line = v
		}
	}
	words := strings.Fields(line)
	if len(words) == 0 {
		t.Fatalf("no ExecStart in the drop-in:\n%s", dropIn)
	}
	var flags []string
	for i := 1; i < len(words); i++ {
		f := words[i]
		if !strings.Contains(f, "=") && i+1 < len(words) && !strings.HasPrefix(words[i+1], "-") {
			f, i = f+"="+words[i+1], i+1
		}
		switch name, _, _ := strings.Cut(f, "="); name {
		case "-H", "--host", "--tlsverify", "--tlscacert", "--tlscert", "--tlskey", "--containerd":
			continue
		}
		flags = append(flags, f)
	}
	sort.Strings(flags)
	return flags
}
