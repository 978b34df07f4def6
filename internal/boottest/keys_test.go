package boottest

import (
	"bytes"
	"encoding/pem"
	"os"
	"regexp"
	"strings"
	"testing"
)

// checkKeys proves that no CA private key, and no private key other than the
// machine's server key (and the SSH host keys the guest generates itself),
// reached the guest: in the overlay's upper layer (every file the guest
// wrote) and the guest's in-memory filesystems. The CA keys are looked for by
// their base64 lines, so re-indented or JSON-escaped copies count too.
func (p *proof) checkKeys(t *testing.T) {
	secrets := map[string][][]byte{
		"CA key of machine " + p.machine.name:     keyLines(t, p.machine.hostFile("ca-key.pem")),
		"client key of machine " + p.machine.name: keyLines(t, p.machine.clientFile("key.pem")),
		"CA key of machine " + p.other.name:       keyLines(t, p.other.hostFile("ca-key.pem")),
	}
	serverKey := keyBody(t, p.machine.hostFile("server-key.pem"))
	files, serverKeyCopies := 0, 0
	err := p.guest.WalkWritten(func(guestPath, hostPath string) error {
		data, err := os.ReadFile(hostPath)
		if os.IsNotExist(err) {
			return nil // a short-lived file in /run
		}
		if err != nil {
			return err
		}
		files++
		for name, lines := range secrets {
			if containsAny(data, lines) {
				t.Errorf("%s contains the %s", guestPath, name)
			}
		}
		for _, k := range privateKeys(data) {
			switch {
			case k.body == serverKey:
				serverKeyCopies++
			case k.kind == "OPENSSH " && strings.HasPrefix(guestPath, "/etc/ssh/ssh_host_"):
			default:
				t.Errorf("%s holds a %sPRIVATE KEY that is not the machine's server key", guestPath, k.kind)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if serverKeyCopies == 0 {
		t.Errorf("scanned %d files and found no copy of the server key: the scan is broken", files)
	}
	t.Logf("scanned %d files written by the guest; %d hold the server key (user-data copies and /etc/docker)", files, serverKeyCopies)
}

// keyLines returns the base64 lines of the PEM key at path: any one of them
// found in a file means the key is there.
func keyLines(t *testing.T, path string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lines [][]byte
	for _, l := range bytes.Split(data, []byte("\n")) {
		if len(l) >= 32 && !bytes.HasPrefix(l, []byte("-----")) {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		t.Fatalf("%s: no PEM body", path)
	}
	return lines
}

// keyBody returns the normalized base64 body of the PEM key at path.
func keyBody(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatalf("%s: not PEM", path)
	}
	keys := privateKeys(data)
	if len(keys) != 1 {
		t.Fatalf("%s: want one PRIVATE KEY block, found %d", path, len(keys))
	}
	return keys[0].body
}

func containsAny(data []byte, needles [][]byte) bool {
	for _, n := range needles {
		if bytes.Contains(data, n) {
			return true
		}
	}
	return false
}

// pemPrivateKey matches a PEM private key block, also when it is indented
// (YAML) or has its newlines escaped (JSON, Python reprs).
var pemPrivateKey = regexp.MustCompile(`-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----((?:[A-Za-z0-9+/=\s]|\\[rn])+?)-----END `)

var notBase64 = regexp.MustCompile(`\\[rn]|[^A-Za-z0-9+/=]`)

// privateKey is a PEM private key found in a file.
type privateKey struct {
	kind string // "", "EC ", "RSA ", "OPENSSH ", ...
	body string // base64 without whitespace
}

func privateKeys(data []byte) []privateKey {
	var keys []privateKey
	for _, m := range pemPrivateKey.FindAllSubmatch(data, -1) {
		keys = append(keys, privateKey{kind: string(m[1]), body: notBase64.ReplaceAllString(string(m[2]), "")})
	}
	return keys
}
