package dockbake

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// scriptView reads the setup script back: the files its put calls write
// and the lines it runs after them, up to its closing message.
func scriptView(t *testing.T, script []byte) (map[string]hostFile, []string) {
	t.Helper()
	lines := strings.Split(string(script), "\n")
	start := slices.Index(lines, "}") // the end of put()
	if start < 0 {
		t.Fatalf("no put function in the script:\n%s", script)
	}
	files := map[string]hostFile{}
	var run []string
	for i := start + 1; i < len(lines); i++ {
		l := lines[i]
		switch {
		case l == "":
		case strings.HasPrefix(l, "#"):
			return files, run
		case strings.HasPrefix(l, "put "):
			// put PATH MODE OWNER <<'DELIMITER', the content, DELIMITER
			head, delim, ok := strings.Cut(l, " <<'")
			end := slices.Index(lines[i+1:], strings.TrimSuffix(delim, "'"))
			if !ok || end < 0 {
				t.Fatalf("unterminated here-document at %q", l)
			}
			addPut(t, files, shellSplit(t, head), strings.Join(lines[i+1:i+1+end], "\n")+"\n")
			i += end + 1
		case strings.HasPrefix(l, "printf '%s' "):
			// printf %s CONTENT | put PATH MODE OWNER, CONTENT a quoted
			// word that may span lines
			text := l
			for _, ok := splitWords(text); !ok && i+1 < len(lines); _, ok = splitWords(text) {
				i++
				text += "\n" + lines[i]
			}
			words := shellSplit(t, text)
			if len(words) != 8 || words[3] != "|" {
				t.Fatalf("unexpected printf line %q", text)
			}
			addPut(t, files, words[4:], words[2])
		default:
			run = append(run, l)
		}
	}
	t.Fatalf("the script has no closing message:\n%s", script)
	return nil, nil
}

// addPut records what put PATH MODE OWNER writes.
func addPut(t *testing.T, files map[string]hostFile, argv []string, content string) {
	t.Helper()
	if len(argv) != 4 || argv[0] != "put" {
		t.Fatalf("unexpected put call %q", argv)
	}
	files[argv[1]] = hostFile{Owner: argv[3], Permissions: argv[2], Content: content}
}

// cloudConfigView reads cloud-config: write_files, yum_repos as the .repo
// files cloud-init writes, package_update, packages and runcmd.
func cloudConfigView(t *testing.T, ud []byte) hostView {
	t.Helper()
	var cc struct {
		WriteFiles []struct {
			Path, Owner, Permissions, Content string
		} `yaml:"write_files"`
		YumRepos map[string]struct {
			Name     string `yaml:"name"`
			BaseURL  string `yaml:"baseurl"`
			Enabled  bool   `yaml:"enabled"`
			GPGCheck bool   `yaml:"gpgcheck"`
			GPGKey   string `yaml:"gpgkey"`
		} `yaml:"yum_repos"`
		PackageUpdate bool       `yaml:"package_update"`
		Packages      []string   `yaml:"packages"`
		RunCmd        [][]string `yaml:"runcmd"`
	}
	if err := yaml.Unmarshal(ud, &cc); err != nil {
		t.Fatal(err)
	}
	v := hostView{files: map[string]hostFile{}, update: cc.PackageUpdate, packages: cc.Packages, commands: cc.RunCmd}
	for _, f := range cc.WriteFiles {
		v.files[f.Path] = hostFile{f.Owner, f.Permissions, f.Content}
	}
	for id, r := range cc.YumRepos {
		// cloud-init's yum_add_repo writes the section as INI, with
		// booleans as 1 and 0.
		content := fmt.Sprintf("[%s]\nname=%s\nbaseurl=%s\nenabled=%d\ngpgcheck=%d\ngpgkey=%s\n", id, r.Name, r.BaseURL, b2i(r.Enabled), b2i(r.GPGCheck), r.GPGKey)
		v.files["/etc/yum.repos.d/"+id+".repo"] = hostFile{"root:root", "0644", content}
	}
	return v
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// mimeCloudConfig reads MIME user-data with the standard library and
// returns its one part, the cloud-config.
func mimeCloudConfig(t *testing.T, data []byte) []byte {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("Content-Type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	r := multipart.NewReader(msg.Body, params["boundary"])
	var parts [][]byte
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); ct != "text/cloud-config" {
			t.Errorf("part of type %q, want text/cloud-config", ct)
		}
		b, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, b)
	}
	if len(parts) != 1 {
		t.Fatalf("%d parts, want the cloud-config alone", len(parts))
	}
	return parts[0]
}

// ignitionFile is a file as Butane and Ignition say it.
type ignitionFile struct {
	Path        string
	Mode        int
	User, Group *struct{ Name string }
}

// owner is user:group; Ignition's files are root's unless they say.
func (f ignitionFile) owner() string {
	user, group := "root", "root"
	if f.User != nil {
		user = f.User.Name
	}
	if f.Group != nil {
		group = f.Group.Name
	}
	return user + ":" + group
}

type ignitionUnits struct {
	Units []struct {
		Name    string
		Enabled bool
	}
}

// enabled lists the units enabled, in order.
func (u ignitionUnits) enabled() []string {
	var names []string
	for _, unit := range u.Units {
		if unit.Enabled {
			names = append(names, unit.Name)
		}
	}
	return names
}

// butaneView reads a Butane config: its files and the units it enables.
func butaneView(t *testing.T, bu []byte) hostView {
	t.Helper()
	var bc struct {
		Storage struct {
			Files []struct {
				ignitionFile `yaml:",inline"`
				Contents     struct{ Inline string }
			}
		}
		Systemd ignitionUnits
	}
	if err := yaml.Unmarshal(bu, &bc); err != nil {
		t.Fatal(err)
	}
	v := hostView{files: map[string]hostFile{}, units: bc.Systemd.enabled()}
	for _, f := range bc.Storage.Files {
		v.files[f.Path] = hostFile{f.owner(), fmt.Sprintf("%04o", f.Mode), f.Contents.Inline}
	}
	return v
}

// ignitionView reads Ignition JSON: its files, their contents decoded
// from data URLs and gunzipped where Butane compressed them, and the units
// it enables.
func ignitionView(t *testing.T, ign []byte) hostView {
	t.Helper()
	var ic struct {
		Storage struct {
			Files []struct {
				ignitionFile
				Contents struct{ Compression, Source string }
			}
		}
		Systemd ignitionUnits
	}
	if err := json.Unmarshal(ign, &ic); err != nil {
		t.Fatal(err)
	}
	v := hostView{files: map[string]hostFile{}, units: ic.Systemd.enabled()}
	for _, f := range ic.Storage.Files {
		content := dataURL(t, f.Contents.Source)
		if f.Contents.Compression == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(content))
			if err != nil {
				t.Fatal(err)
			}
			if content, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
		}
		v.files[f.Path] = hostFile{f.owner(), fmt.Sprintf("%04o", f.Mode), string(content)}
	}
	return v
}

// dataURL decodes an RFC 2397 data URL: base64, or percent-encoded.
func dataURL(t *testing.T, s string) []byte {
	t.Helper()
	rest, ok := strings.CutPrefix(s, "data:")
	meta, data, found := strings.Cut(rest, ",")
	if !ok || !found {
		t.Fatalf("not a data URL: %.40q", s)
	}
	if strings.HasSuffix(meta, ";base64") {
		b, err := base64.StdEncoding.DecodeString(data)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	text, err := url.PathUnescape(data)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(text)
}
