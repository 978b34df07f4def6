package generator

import (
	"net"
	"net/netip"
	"regexp"
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
// default: its Docker package where it has one).
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

var (
	// RFC 1123 host names, with an optional leading wildcard label.
	dnsLabelRE = regexp.MustCompile(`^(\*|[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)$`)
	userRE     = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)
	// nameRE is the store's rule for machine names. The name lands in YAML
	// and unit-file comments and in shell words, so the spec holds it to
	// that rule itself rather than trust every caller to.
	nameRE    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)
	flagRE    = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// managedFlags are dockerd flags that dockbake sets itself; setting them
// again through --engine-opt would break TLS or conflict.
var managedFlags = map[string]string{
	"host": "the listen addresses are dockbake's", "H": "the listen addresses are dockbake's",
	"tls": "TLS is always on", "tlsverify": "TLS is always on", "tlscacert": "the CA is dockbake's",
	"tlscert": "the server certificate is dockbake's", "tlskey": "the server key is dockbake's",
	"containerd": "the containerd socket follows the install method",
	"label":      "use --engine-label", "registry-mirror": "use --engine-registry-mirror",
	"insecure-registry": "use --engine-insecure-registry", "storage-driver": "use --engine-storage-driver",
	"s": "use --engine-storage-driver",
}

// Validate checks every field and returns all problems at once.
func (s Spec) Validate() error {
	var es Errors
	if s.Name == "" {
		es.add("name", "", "a machine needs a name")
	} else if !nameRE.MatchString(s.Name) {
		es.add("name", s.Name, "use 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	for _, ip := range s.IPs {
		if _, err := netip.ParseAddr(ip); err != nil || strings.Contains(ip, "%") {
			es.add("ip", ip, "not an IP address")
		}
	}
	for _, d := range s.DNSNames {
		if !validDNSName(d) {
			es.add("dns", d, "not a valid DNS name (letters, digits and '-' in dot-separated labels of at most 63 characters)")
		}
	}
	if len(s.IPs)+len(s.DNSNames) == 0 {
		es.add("ip", "", "give at least one --ip or --dns: the server certificate must name the address clients dial")
	}
	if s.Port < 1 || s.Port > 65535 {
		es.add("port", strconv.Itoa(s.Port), "not a TCP port (1-65535)")
	}
	o, knownOS := LookupOS(s.OS)
	if !knownOS {
		es.add("os", s.OS, "unknown OS: use one of %s", joinNames(OSNames()))
	}
	switch s.Install {
	case InstallDistro, InstallDockerCE, InstallNone:
		if knownOS {
			s.checkOS(&es, o)
		}
	default:
		es.add("install", string(s.Install), "unknown install method: use one of %s", joinNames(InstallNames()))
	}
	if s.DockerUser != "" && !userRE.MatchString(s.DockerUser) {
		es.add("docker-user", s.DockerUser, "not a valid user name (lower-case letters, digits, '_' and '-', at most 32)")
	}
	s.Engine.validate(&es)
	return es.err()
}

func validDNSName(d string) bool {
	if len(d) == 0 || len(d) > 253 {
		return false
	}
	labels := strings.Split(strings.TrimSuffix(d, "."), ".")
	for i, l := range labels {
		if !dnsLabelRE.MatchString(l) || (l == "*" && i != 0) {
			return false
		}
	}
	// An all-numeric name would be read as an IP address by clients.
	return net.ParseIP(d) == nil
}

func (e Engine) validate(es *Errors) {
	for _, o := range e.Opts {
		name, _, _ := strings.Cut(o, "=")
		name = strings.TrimLeft(name, "-")
		switch {
		case !flagRE.MatchString(name) && name != "H":
			es.add("engine-opt", o, "not a dockerd flag: write flag=value without the leading dashes, e.g. log-level=warn")
		case managedFlags[name] != "":
			es.add("engine-opt", o, "dockbake sets this flag itself (%s)", managedFlags[name])
		}
	}
	for _, l := range e.Labels {
		if k, _, ok := strings.Cut(l, "="); !ok || k == "" {
			es.add("engine-label", l, "a label is key=value")
		}
	}
	for _, v := range e.Env {
		if k, _, ok := strings.Cut(v, "="); !ok || !envNameRE.MatchString(k) {
			es.add("engine-env", v, "an environment entry is NAME=value with NAME made of letters, digits and '_'")
		}
	}
	if e.StorageDriver != "" && !regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`).MatchString(e.StorageDriver) {
		es.add("engine-storage-driver", e.StorageDriver, "not a storage driver name (e.g. overlay2)")
	}
	check := func(field string, vals []string) {
		for _, v := range vals {
			if v == "" {
				es.add(field, v, "must not be empty")
			}
		}
	}
	check("engine-registry-mirror", e.RegistryMirrors)
	check("engine-insecure-registry", e.InsecureRegistries)
	// Every value ends up in a systemd unit; refuse what cannot be said there.
	for _, f := range []struct {
		field string
		vals  []string
	}{{"engine-opt", e.Opts}, {"engine-label", e.Labels}, {"engine-env", e.Env},
		{"engine-registry-mirror", e.RegistryMirrors}, {"engine-insecure-registry", e.InsecureRegistries}} {
		for _, v := range f.vals {
			if err := checkSystemdValue(v); err != nil {
				es.add(f.field, v, "%v", err)
			}
		}
	}
}

// SANs are the names the server certificate carries: every --ip and --dns,
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

// Address is the host clients dial: the first --ip, else the first --dns.
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

// URL is the DOCKER_HOST value, tcp://address:port.
func (s Spec) URL() string {
	return "tcp://" + net.JoinHostPort(s.Address(), strconv.Itoa(s.Port))
}
