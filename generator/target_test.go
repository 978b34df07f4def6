package generator_test

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/dockbake/dockbake/generator"
)

// TestTargetLimits holds each provider's documented limit and what it
// counts, at the limit and one byte over.
func TestTargetLimits(t *testing.T) {
	for _, tc := range []struct {
		target string
		limit  int
		counts generator.Counting
	}{
		{"aws", 16384, generator.CountRaw},
		{"gcp", 262144, generator.CountStored},
		{"azure", 65535, generator.CountRaw},
		{"digitalocean", 65536, generator.CountStored},
		{"hetzner", 32768, generator.CountStored},
		{"openstack", 65535, generator.CountBase64},
		{"oracle", 32000, generator.CountBase64},
	} {
		t.Run(tc.target, func(t *testing.T) {
			tg, err := generator.LookupTarget(tc.target)
			if err != nil {
				t.Fatal(err)
			}
			if tg.Limit != tc.limit || tg.Counts != tc.counts {
				t.Fatalf("limit %d counted %v, want %d counted %v", tg.Limit, tg.Counts, tc.limit, tc.counts)
			}
			// The largest plain payload that fits: base64 counts 4 per 3 bytes.
			fits := tc.limit
			if tc.counts == generator.CountBase64 {
				fits = tc.limit / 4 * 3
			}
			if err := tg.Check(make([]byte, fits), generator.Encoding{}); err != nil {
				t.Errorf("%d bytes: %v", fits, err)
			}
			err = tg.Check(make([]byte, fits+1), generator.Encoding{})
			var size *generator.SizeError
			if !errors.As(err, &size) {
				t.Fatalf("%d bytes: err = %v, want a SizeError", fits+1, err)
			}
			if size.Size <= tc.limit || !strings.Contains(err.Error(), "bytes over the") || !strings.Contains(err.Error(), "install none") {
				t.Errorf("message: %v", err)
			}
		})
	}
}

// TestSizeErrorSaysByHowMuch checks the whole message for AWS.
func TestSizeErrorSaysByHowMuch(t *testing.T) {
	tg, _ := generator.LookupTarget("aws")
	err := tg.Check(make([]byte, 17000), generator.Encoding{})
	want := "target aws: the user-data is 17,000 bytes (before the API's base64), 616 bytes over the AWS EC2 user data limit of 16,384 bytes: add gzip (cloud-init unpacks it), or use install none with an image that already has Docker, or a smaller key_type (ecdsa-p256)"
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
	// Counted after gzip: incompressible data stays over, and the advice
	// no longer offers gzip.
	noise := make([]byte, 17000)
	rand.Read(noise)
	err = tg.Check(noise, generator.Encoding{Gzip: true, Base64: true})
	if err == nil || strings.Contains(err.Error(), "add gzip") {
		t.Errorf("gzip'd noise: %v", err)
	}
	// Compressible data fits once gzip'd, even with base64 for the API.
	if err := tg.Check(bytes.Repeat([]byte("#cloud-config\n"), 2000), generator.Encoding{Gzip: true, Base64: true}); err != nil {
		t.Errorf("gzip'd text: %v", err)
	}
}

func TestTargetEncodings(t *testing.T) {
	for _, tc := range []struct {
		target  string
		in      generator.Encoding
		want    generator.Encoding
		wantErr string
		note    string
	}{
		{"gcp", generator.Encoding{Gzip: true}, generator.Encoding{Gzip: true, Base64: true}, "", "user-data-encoding=base64"},
		{"hetzner", generator.Encoding{Gzip: true}, generator.Encoding{Gzip: true, Base64: true}, "", "decodes it"},
		{"aws", generator.Encoding{Gzip: true}, generator.Encoding{Gzip: true}, "", ""},
		{"digitalocean", generator.Encoding{Gzip: true}, generator.Encoding{}, "gzip: DigitalOcean user_data takes plain text only", ""},
		{"digitalocean", generator.Encoding{Base64: true}, generator.Encoding{}, "base64: DigitalOcean", ""},
		{"openstack", generator.Encoding{}, generator.Encoding{}, "", ""},
	} {
		t.Run(tc.target, func(t *testing.T) {
			tg, _ := generator.LookupTarget(tc.target)
			got, notes, err := tg.Encoding(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %+v, %v; want %+v", got, err, tc.want)
			}
			var said []string
			for _, n := range notes {
				said = append(said, n.String())
				if strings.Contains(n.String(), "--") {
					t.Errorf("note %q speaks a front end's language", n)
				}
			}
			if all := strings.Join(said, "\n"); !strings.Contains(all, tc.note) {
				t.Errorf("notes %q lack %q", all, tc.note)
			}
		})
	}
	if _, err := generator.LookupTarget("linode"); err == nil || !strings.Contains(err.Error(), "use one of aws, gcp, azure, digitalocean, hetzner, openstack, oracle") {
		t.Errorf("unknown target: %v", err)
	}
}

// TestEncodeRoundTrip unpacks what Encode packs, the way a provider and
// cloud-init do: base64 first, then gzip.
func TestEncodeRoundTrip(t *testing.T) {
	data := []byte("#cloud-config\nwrite_files: []\n")
	out, err := generator.Encode(data, generator.Encoding{Gzip: true, Base64: true})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.ContainsAny(out, "\r\n") {
		t.Error("base64 output has line breaks")
	}
	raw, err := base64.StdEncoding.DecodeString(string(out))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if zr.Name != "" || !zr.ModTime.IsZero() {
		t.Errorf("gzip header carries name %q, time %v", zr.Name, zr.ModTime)
	}
	back, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(back, data) {
		t.Errorf("round trip: %q, %v", back, err)
	}
	again, _ := generator.Encode(data, generator.Encoding{Gzip: true, Base64: true})
	if !bytes.Equal(out, again) {
		t.Error("the same data packed differently")
	}
}

// TestUserDataChecksBeforeWriting runs the whole pipeline: a plan over
// AWS's limit fails, and fits with gzip.
func TestUserDataChecksBeforeWriting(t *testing.T) {
	spec := formatCase{os: "ubuntu-24.04", install: generator.InstallDockerCE}.spec()
	spec.Engine.Labels = nil
	for i := 0; i < 200; i++ { // pad the plan past 16 KiB with labels
		spec.Engine.Labels = append(spec.Engine.Labels, "padding.example.com/label-number="+strings.Repeat("x", 40))
	}
	p, err := generator.BuildPlan(spec, generator.FixtureCerts(t))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = generator.UserData(p, generator.Output{Target: "aws"})
	var size *generator.SizeError
	if !errors.As(err, &size) {
		t.Fatalf("err = %v, want a SizeError", err)
	}
	data, _, err := generator.UserData(p, generator.Output{Target: "aws", Encoding: generator.Encoding{Gzip: true}})
	if err != nil || !bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
		t.Errorf("with gzip: %v", err)
	}
}
