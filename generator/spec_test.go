package generator

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateReportsEveryProblem(t *testing.T) {
	spec := Spec{
		Name: "web1", IPs: []string{"10.0.0.300", "fe80::1%eth0"}, DNSNames: []string{"bad_name", "-x.example.com"},
		Port: 70000, OS: "windows-11", Install: "snap", DockerUser: "Root",
		Engine: Engine{
			Opts:   []string{"--tlsverify=false", "host=tcp://0.0.0.0:2375", "Bad Flag=1"},
			Labels: []string{"nokey", "=v"}, Env: []string{"1X=y", "NOEQUALS"}, StorageDriver: "over lay",
			RegistryMirrors: []string{""},
		},
	}
	err := spec.Validate()
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("err = %v", err)
	}
	wantFields := map[string]int{FieldIP: 2, FieldDNS: 2, FieldPort: 1, FieldOS: 1, FieldInstall: 1, FieldDockerUser: 1,
		FieldEngineOpt: 3, FieldEngineLabel: 2, FieldEngineEnv: 2, FieldEngineStorageDriver: 1, FieldEngineRegistryMirror: 1}
	got := map[string]int{}
	for _, e := range es {
		got[e.Field]++
		if e.Value != "" && !strings.Contains(e.Error(), `"`+e.Value+`"`) {
			t.Errorf("error %q does not quote its value", e.Error())
		}
	}
	for f, n := range wantFields {
		if got[f] != n {
			t.Errorf("field %s: %d errors, want %d (all: %v)", f, got[f], n, err)
		}
	}
	for _, want := range []string{`ip "10.0.0.300": not an IP address`, "use one of debian-12", "TLS is always on"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("errors lack %q:\n%v", want, err)
		}
	}
}

func TestValidateNoAddress(t *testing.T) {
	s := Spec{Name: "web1"}.WithDefaults()
	if err := s.Validate(); err != nil {
		t.Fatalf("a spec without an address (not attached) is refused: %v", err)
	}
	if s.Attached() || s.Address() != "" {
		t.Errorf("Attached() = %v, Address() = %q; want false, \"\"", s.Attached(), s.Address())
	}
	sans := s.SANs()
	if len(sans.IPs) != 1 || sans.IPs[0].String() != "127.0.0.1" || len(sans.DNSNames) != 1 || sans.DNSNames[0] != "localhost" {
		t.Errorf("SANs = %v; want only 127.0.0.1 and localhost", sans)
	}
	if !(Spec{Name: "web1", DNSNames: []string{"h.example"}}).Attached() {
		t.Error("a spec with a DNS name is not attached")
	}
}

func TestSANsAndURL(t *testing.T) {
	s := Spec{Name: "m", IPs: []string{"::ffff:203.0.113.10", "2001:db8::1", "127.0.0.1"}, DNSNames: []string{"Web1.Example.com.", "localhost"}}.WithDefaults()
	sans := s.SANs()
	var ips []string
	for _, ip := range sans.IPs {
		ips = append(ips, ip.String())
	}
	if strings.Join(ips, " ") != "203.0.113.10 2001:db8::1 127.0.0.1" {
		t.Errorf("IPs = %v", ips)
	}
	if strings.Join(sans.DNSNames, " ") != "web1.example.com localhost" {
		t.Errorf("DNS = %v", sans.DNSNames)
	}
	if s.URL() != "tcp://203.0.113.10:2376" {
		t.Errorf("URL = %s", s.URL())
	}
	v6 := Spec{IPs: []string{"2001:db8::1"}, Port: 2376}
	if v6.URL() != "tcp://[2001:db8::1]:2376" {
		t.Errorf("v6 URL = %s", v6.URL())
	}
	dns := Spec{DNSNames: []string{"docker.example.com"}, Port: 12376}
	if dns.URL() != "tcp://docker.example.com:12376" {
		t.Errorf("dns URL = %s", dns.URL())
	}
}

func TestDockerdPathPerInstall(t *testing.T) {
	for _, tc := range []struct {
		os      string
		install Install
		head    string
	}{
		{"debian-12", InstallDistro, "/usr/sbin/dockerd"},
		{"debian-13", InstallDistro, "/usr/sbin/dockerd"},
		{"ubuntu-24.04", InstallDistro, "dockerd"},
		{"ubuntu-22.04", InstallDockerCE, "/usr/bin/dockerd"},
		{"debian-12", InstallNone, "dockerd"},
	} {
		o, _ := LookupOS(tc.os)
		args := DaemonArgs(Spec{Install: tc.install, Port: 2376}, o)
		if args[0] != tc.head {
			t.Errorf("%s/%s: dockerd %q, want %q", tc.os, tc.install, args[0], tc.head)
		}
		hasContainerd := strings.Contains(strings.Join(args, " "), "--containerd=")
		if hasContainerd != (tc.install == InstallDockerCE) {
			t.Errorf("%s/%s: --containerd present = %v", tc.os, tc.install, hasContainerd)
		}
	}
}

// An imported host's OS may be unknown: the spec validates, so the machine
// is kept, but no plan is built for it. Any other OS must be a known one.
func TestOSUnknown(t *testing.T) {
	spec := Spec{Name: "dm1", IPs: []string{"203.0.113.5"}, Port: DefaultPort, OS: OSUnknown, Install: InstallNone}
	if err := spec.Validate(); err != nil {
		t.Fatalf("an unknown OS does not validate: %v", err)
	}
	_, err := BuildPlan(spec, FixtureCerts(t))
	if !errors.Is(err, ErrOSUnknown) || !strings.Contains(err.Error(), `machine "dm1": os: the host's OS is not known`) {
		t.Errorf("BuildPlan of an unknown OS: %v", err)
	}
	spec.OS = "windows-11"
	if err := spec.Validate(); err == nil || errors.Is(err, ErrOSUnknown) {
		t.Errorf("an OS that is not in the table: %v", err)
	}
	spec.OS = "debian-12"
	if _, err := BuildPlan(spec, FixtureCerts(t)); err != nil {
		t.Errorf("with the OS given: %v", err)
	}
}
