package pki

import (
	"crypto/x509"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dockbake/dockbake/internal/testenv"
)

func mustCA(t *testing.T, o Options) *Pair {
	t.Helper()
	ca, err := NewCA("test CA", o)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

var testSANs = SANs{IPs: []net.IP{net.ParseIP("203.0.113.10"), net.ParseIP("127.0.0.1")}, DNSNames: []string{"web1.example.com", "localhost"}}

func TestChainsAndUsages(t *testing.T) {
	for _, kt := range KeyTypes() {
		t.Run(string(kt), func(t *testing.T) {
			if testing.Short() && strings.HasPrefix(string(kt), "rsa-4096") {
				t.Skip("slow key type in -short mode")
			}
			o := Options{KeyType: kt}
			ca := mustCA(t, o)
			srv, err := ca.IssueServer("web1", testSANs, o)
			if err != nil {
				t.Fatal(err)
			}
			cli, err := ca.IssueClient("web1 client", o)
			if err != nil {
				t.Fatal(err)
			}
			if got := TypeOf(srv.Cert.PublicKey); got != kt {
				t.Errorf("server key type = %q, want %q", got, kt)
			}
			roots := x509.NewCertPool()
			roots.AddCert(ca.Cert)
			verify := func(c *x509.Certificate, usage x509.ExtKeyUsage, dns string) error {
				_, err := c.Verify(x509.VerifyOptions{Roots: roots, DNSName: dns, KeyUsages: []x509.ExtKeyUsage{usage}})
				return err
			}
			for _, name := range []string{"web1.example.com", "localhost", "203.0.113.10", "127.0.0.1"} {
				if err := verify(srv.Cert, x509.ExtKeyUsageServerAuth, name); err != nil {
					t.Errorf("server cert for %s: %v", name, err)
				}
			}
			if err := verify(srv.Cert, x509.ExtKeyUsageServerAuth, "other.example.com"); err == nil {
				t.Error("server cert verified for a name it does not carry")
			}
			if err := verify(cli.Cert, x509.ExtKeyUsageClientAuth, ""); err != nil {
				t.Errorf("client cert: %v", err)
			}
			// A host's own certificate must never work as a client certificate,
			// and a client certificate never as a server's.
			if err := verify(srv.Cert, x509.ExtKeyUsageClientAuth, ""); err == nil {
				t.Error("server cert verifies for clientAuth")
			}
			if err := verify(cli.Cert, x509.ExtKeyUsageServerAuth, ""); err == nil {
				t.Error("client cert verifies for serverAuth")
			}
			if !ca.Cert.IsCA || !ca.Cert.MaxPathLenZero || ca.Cert.KeyUsage&x509.KeyUsageCertSign == 0 || ca.Cert.KeyUsage&x509.KeyUsageCRLSign == 0 {
				t.Errorf("CA constraints wrong: IsCA=%v MaxPathLenZero=%v KeyUsage=%b", ca.Cert.IsCA, ca.Cert.MaxPathLenZero, ca.Cert.KeyUsage)
			}
			if srv.Cert.IsCA || cli.Cert.IsCA {
				t.Error("leaf certificate marked as CA")
			}
			// A leaf must not sign certificates.
			if _, err := (&Pair{Cert: srv.Cert, Key: srv.Key}).IssueClient("x", o); err == nil {
				t.Error("a server certificate issued a client certificate")
			}
		})
	}
}

func TestValidityAndSerials(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	o := Options{Now: func() time.Time { return now }}
	ca := mustCA(t, o)
	a, _ := ca.IssueClient("a", o)
	b, _ := ca.IssueClient("b", o)
	if !a.Cert.NotBefore.Before(now) || now.Sub(a.Cert.NotBefore) > 10*time.Minute {
		t.Errorf("NotBefore %v not backdated by a few minutes from %v", a.Cert.NotBefore, now)
	}
	if got := a.Cert.NotAfter.Sub(a.Cert.NotBefore); got != DefaultCertValidity {
		t.Errorf("leaf validity %v, want %v", got, DefaultCertValidity)
	}
	if got := ca.Cert.NotAfter.Sub(ca.Cert.NotBefore); got != DefaultCAValidity {
		t.Errorf("CA validity %v, want %v", got, DefaultCAValidity)
	}
	if a.Cert.SerialNumber.Cmp(b.Cert.SerialNumber) == 0 {
		t.Error("two certificates share a serial number")
	}
	if a.Cert.SerialNumber.BitLen() < 64 {
		t.Errorf("serial %v looks too small to be 128 random bits", a.Cert.SerialNumber)
	}
	short := Options{Now: o.Now, Validity: 24 * time.Hour}
	c, _ := ca.IssueClient("c", short)
	if got := c.Cert.NotAfter.Sub(c.Cert.NotBefore); got != 24*time.Hour {
		t.Errorf("validity option ignored: %v", got)
	}
	if _, err := ca.IssueClient("d", Options{Now: o.Now, Validity: DefaultCAValidity * 2}); err == nil || !strings.Contains(err.Error(), "outlive its CA") {
		t.Errorf("leaf outliving its CA: err = %v", err)
	}
}

func TestServerNeedsSAN(t *testing.T) {
	ca := mustCA(t, Options{})
	if _, err := ca.IssueServer("x", SANs{}, Options{}); err == nil {
		t.Fatal("server certificate without SANs was issued")
	}
}

func TestKeyRoundTrip(t *testing.T) {
	ca := mustCA(t, Options{})
	kp, _ := ca.KeyPEM()
	back, err := LoadPair(ca.CertPEM(), kp)
	if err != nil {
		t.Fatal(err)
	}
	if Fingerprint(back.Cert) != Fingerprint(ca.Cert) {
		t.Error("fingerprint changed across PEM round trip")
	}
	other := mustCA(t, Options{})
	okp, _ := other.KeyPEM()
	if _, err := LoadPair(ca.CertPEM(), okp); err == nil {
		t.Error("mismatched key accepted")
	}
	if _, err := ParseKey([]byte("garbage")); err == nil {
		t.Error("garbage parsed as key")
	}
}

func TestParseKeyType(t *testing.T) {
	_, err := ParseKeyType("dsa-1024")
	var ve *ValueError
	if !errors.As(err, &ve) || ve.Value != "dsa-1024" || ve.Msg != "unknown key type" || !strings.Contains(ve.Hint, "ecdsa-p256") {
		t.Errorf("err = %#v", err)
	}
}

// TestOpenSSLVerifies checks the chain with an independent implementation.
func TestOpenSSLVerifies(t *testing.T) {
	openssl := testenv.LookPath(t, "openssl", "apt-get install openssl")
	dir := t.TempDir()
	ca := mustCA(t, Options{})
	srv, _ := ca.IssueServer("web1", testSANs, Options{})
	cli, _ := ca.IssueClient("web1 client", Options{})
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	caf := write("ca.pem", ca.CertPEM())
	run := func(wantOK bool, args ...string) {
		t.Helper()
		out, err := exec.Command(openssl, args...).CombinedOutput()
		if (err == nil) != wantOK {
			t.Errorf("openssl %v: ok=%v want %v\n%s", args, err == nil, wantOK, out)
		}
	}
	sf, cf := write("server.pem", srv.CertPEM()), write("cert.pem", cli.CertPEM())
	run(true, "verify", "-CAfile", caf, "-purpose", "sslserver", "-verify_ip", "203.0.113.10", sf)
	run(true, "verify", "-CAfile", caf, "-purpose", "sslserver", "-verify_hostname", "web1.example.com", sf)
	run(false, "verify", "-CAfile", caf, "-purpose", "sslserver", "-verify_ip", "198.51.100.1", sf)
	run(true, "verify", "-CAfile", caf, "-purpose", "sslclient", cf)
	run(false, "verify", "-CAfile", caf, "-purpose", "sslclient", sf)
	run(false, "verify", "-CAfile", caf, "-purpose", "sslserver", cf)
	kp, _ := cli.KeyPEM()
	run(true, "pkey", "-in", write("key.pem", kp), "-noout")
}

func TestParseValidity(t *testing.T) {
	for in, want := range map[string]time.Duration{"825d": 825 * 24 * time.Hour, "48h": 48 * time.Hour, "1h": time.Hour} {
		if got, err := ParseValidity(in); err != nil || got != want {
			t.Errorf("%q = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "d", "-5d", "0d", "59m", "1y", "10 d", "300000d", "9999999999999d", "900000h"} {
		_, err := ParseValidity(bad)
		var ve *ValueError
		if !errors.As(err, &ve) || ve.Value != bad || ve.Hint == "" {
			t.Errorf("%q: err = %#v, want a ValueError naming it, with the fix", bad, err)
		}
	}
}

// TestFormatValidity holds that a lifetime is written the way ParseValidity
// reads it back, and the defaults the way help texts show them.
func TestFormatValidity(t *testing.T) {
	for d, want := range map[time.Duration]string{
		DefaultCertValidity: "825d", DefaultCAValidity: "3650d", 48 * time.Hour: "2d", 90 * time.Minute: "1h30m0s",
	} {
		got := FormatValidity(d)
		if got != want {
			t.Errorf("FormatValidity(%v) = %q, want %q", d, got, want)
		}
		if back, err := ParseValidity(got); err != nil || back != d {
			t.Errorf("ParseValidity(%q) = %v, %v; want %v", got, back, err, d)
		}
	}
}

// TestIsFingerprintTakesWhatFingerprintGives: the form Fingerprint gives
// passes, and each way of breaking it is refused, as the expression of
// the form, ^[0-9A-F]{2}(:[0-9A-F]{2}){31}$, would.
func TestIsFingerprintTakesWhatFingerprintGives(t *testing.T) {
	fp := Fingerprint(mustCA(t, Options{}).Cert)
	if !IsFingerprint(fp) {
		t.Fatalf("IsFingerprint(%q) = false", fp)
	}
	form := regexp.MustCompile(`^[0-9A-F]{2}(:[0-9A-F]{2}){31}$`)
	broken := []string{"", fp[:len(fp)-1], fp + ":", fp + "0", strings.ToLower(fp), strings.ReplaceAll(fp, ":", ""),
		strings.Replace(fp, ":", "-", 1), "G" + fp[1:], fp[:len(fp)-1] + "\n", " " + fp[1:], fp[:2] + "::" + fp[4:]}
	for i := range fp {
		for _, c := range []byte{':', 'g', 'F', '0', 0, 0xff} {
			b := []byte(fp)
			b[i] = c
			broken = append(broken, string(b))
		}
	}
	for _, s := range broken {
		if got, want := IsFingerprint(s), form.MatchString(s); got != want {
			t.Errorf("IsFingerprint(%q) = %v, the form says %v", s, got, want)
		}
	}
}
