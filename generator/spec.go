package generator

import (
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/dockbake/dockbake/pki"
)

// DefaultPort is Docker's registered port for the TLS API.
const DefaultPort = 2376

// Spec is what a user asks for: one Docker host. It is stored, as given,
// in the machine record and re-validated whenever it is read back.
type Spec struct {
	Name       string   `json:"name"`
	IPs        []string `json:"ips,omitempty"`
	DNSNames   []string `json:"dns_names,omitempty"`
	Port       int      `json:"port"`
	OS         string   `json:"os"`
	Install    Install  `json:"install"`
	Engine     Engine   `json:"engine"`
	DockerUser string   `json:"docker_user,omitempty"`
}

// Engine holds Docker Machine's --engine-* options.
type Engine struct {
	Opts               []string `json:"opts,omitempty"`   // "flag=value" or "flag": --flag=value
	Labels             []string `json:"labels,omitempty"` // "key=value"
	Env                []string `json:"env,omitempty"`    // "NAME=value" for dockerd's environment
	RegistryMirrors    []string `json:"registry_mirrors,omitempty"`
	InsecureRegistries []string `json:"insecure_registries,omitempty"`
	StorageDriver      string   `json:"storage_driver,omitempty"`
}

// WithDefaults fills in the port, OS and install method (the OS's own
// default: its Docker package where it has one). It is for a spec being
// made from a user's input, where an empty OS means "the default"; a
// stored spec's empty OS is OSUnknown and must stay so.
func (s Spec) WithDefaults() Spec {
	if s.Port == 0 {
		s.Port = DefaultPort
	}
	if s.OS == "" {
		s.OS = DefaultOS
	}
	if s.Install == "" {
		s.Install = DefaultInstall
		if o, ok := LookupOS(s.OS); ok {
			s.Install = o.DefaultInstall()
		}
	}
	return s
}

// CheckName holds a name to the rule every machine, CA and user name
// follows (nameWord); field says which it is: FieldName, FieldCA or
// FieldUser. A name becomes a directory of the store and lands in YAML and
// unit-file comments and in shell words, so the spec holds it to the rule
// itself rather than trust every caller to.
func CheckName(field, name string) error {
	if e := nameError(field, name); e != nil {
		return e
	}
	return nil
}

// nameError is CheckName's problem, or nil. A name with ".." would climb
// out of the store's directories, so it is refused too.
func nameError(field, name string) *FieldError {
	if nameWord.match(name) && !strings.Contains(name, "..") {
		return nil
	}
	msg := "not a valid name"
	switch field {
	case FieldCA:
		msg = "not a valid CA name"
	case FieldUser:
		msg = "not a valid user name"
	}
	return &FieldError{Field: field, Value: name, Msg: msg, Hint: "use 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit"}
}

// managedFlags are dockerd flags that dockbake sets itself; setting them
// again through an engine option would break TLS or conflict.
var managedFlags = map[string]string{
	"host": "the listen addresses are dockbake's", "H": "the listen addresses are dockbake's",
	"tls": "TLS is always on", "tlsverify": "TLS is always on", "tlscacert": "the CA is dockbake's",
	"tlscert": "the server certificate is dockbake's", "tlskey": "the server key is dockbake's",
	"containerd": "the containerd socket follows the install method",
	"label":      "use {engine_label}", "registry-mirror": "use {engine_registry_mirror}",
	"insecure-registry": "use {engine_insecure_registry}", "storage-driver": "use {engine_storage_driver}",
	"s": "use {engine_storage_driver}",
}

// Validate checks every field and returns all problems at once.
func (s Spec) Validate() error {
	var es Errors
	if s.Name == "" {
		es.add(FieldName, "", "a machine needs a name", "")
	} else if e := nameError(FieldName, s.Name); e != nil {
		es = append(es, e)
	}
	s.checkAddresses(&es)
	if s.Port < 1 || s.Port > 65535 {
		es.add(FieldPort, strconv.Itoa(s.Port), "not a TCP port (1-65535)", "")
	}
	o, knownOS := LookupOS(s.OS)
	if !knownOS && s.OS != OSUnknown {
		es.add(FieldOS, s.OS, "unknown OS", "use one of "+joinNames(OSNames()))
	}
	switch s.Install {
	case InstallDistro, InstallDockerCE, InstallNone:
		if knownOS {
			s.checkOS(&es, o)
		}
	default:
		es.add(FieldInstall, string(s.Install), "unknown install method", "use one of "+joinNames(InstallNames()))
	}
	if s.DockerUser != "" && !userWord.match(s.DockerUser) {
		es.add(FieldDockerUser, s.DockerUser, "not a valid user name (lower-case letters, digits, '_' and '-', at most 32)", "")
	}
	s.Engine.validate(&es)
	return es.err()
}

func (e Engine) validate(es *Errors) {
	for _, o := range e.Opts {
		name, _, _ := strings.Cut(o, "=")
		name = strings.TrimLeft(name, "-")
		switch {
		case !flagWord.match(name) && name != "H":
			es.add(FieldEngineOpt, o, "not a dockerd flag", "write flag=value without the leading dashes, e.g. log-level=warn")
		case managedFlags[name] != "":
			es.add(FieldEngineOpt, o, "dockbake sets this flag itself ("+managedFlags[name]+")", "")
		}
	}
	for _, l := range e.Labels {
		if k, _, ok := strings.Cut(l, "="); !ok || k == "" {
			es.add(FieldEngineLabel, l, "a label is key=value", "")
		}
	}
	for _, v := range e.Env {
		if k, _, ok := strings.Cut(v, "="); !ok || !envNameWord.match(k) {
			es.add(FieldEngineEnv, v, "an environment entry is NAME=value with NAME made of letters, digits and '_'", "")
		}
	}
	if e.StorageDriver != "" && !storageDriverWord.match(e.StorageDriver) {
		es.add(FieldEngineStorageDriver, e.StorageDriver, "not a storage driver name (e.g. overlay2)", "")
	}
	check := func(field string, vals []string) {
		for _, v := range vals {
			if v == "" {
				es.add(field, v, "must not be empty", "")
			}
		}
	}
	check(FieldEngineRegistryMirror, e.RegistryMirrors)
	check(FieldEngineInsecureRegistry, e.InsecureRegistries)
	// Every value ends up in a systemd unit; refuse what cannot be said there.
	for _, f := range []struct {
		field string
		vals  []string
	}{{FieldEngineOpt, e.Opts}, {FieldEngineLabel, e.Labels}, {FieldEngineEnv, e.Env},
		{FieldEngineRegistryMirror, e.RegistryMirrors}, {FieldEngineInsecureRegistry, e.InsecureRegistries}} {
		for _, v := range f.vals {
			if err := checkSystemdValue(v); err != nil {
				es.add(f.field, v, err.Error(), "")
			}
		}
	}
}

// SANs are the names the server certificate carries: every IP and DNS name,
// plus localhost and 127.0.0.1 for use on the host itself.
func (s Spec) SANs() pki.SANs {
	var sans pki.SANs
	seenIP := map[netip.Addr]bool{}
	for _, ip := range append(append([]string{}, s.IPs...), "127.0.0.1") {
		a, err := netip.ParseAddr(ip)
		if err != nil || seenIP[a.Unmap()] {
			continue
		}
		seenIP[a.Unmap()] = true
		sans.IPs = append(sans.IPs, net.IP(a.Unmap().AsSlice()))
	}
	seenDNS := map[string]bool{}
	for _, d := range append(append([]string{}, s.DNSNames...), "localhost") {
		d = strings.ToLower(strings.TrimSuffix(d, "."))
		if !seenDNS[d] {
			seenDNS[d] = true
			sans.DNSNames = append(sans.DNSNames, d)
		}
	}
	return sans
}

// Attached reports whether the spec names an address clients dial. A
// machine created without one is not attached: its server certificate
// names only localhost and 127.0.0.1 until `dockbake attach` gives it the
// address the host turned out to have.
func (s Spec) Attached() bool { return len(s.IPs)+len(s.DNSNames) > 0 }

// Address is the host clients dial: the first IP, else the first DNS name.
func (s Spec) Address() string {
	if len(s.IPs) > 0 {
		if a, err := netip.ParseAddr(s.IPs[0]); err == nil {
			return a.Unmap().String()
		}
		return s.IPs[0]
	}
	if len(s.DNSNames) > 0 {
		return s.DNSNames[0]
	}
	return ""
}

// URL is the DOCKER_HOST value, tcp://address:port, or "" for a spec
// that is not attached: there is no address to dial yet.
func (s Spec) URL() string {
	if !s.Attached() {
		return ""
	}
	return "tcp://" + net.JoinHostPort(s.Address(), strconv.Itoa(s.Port))
}
