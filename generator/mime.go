package generator

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/multipart"
	"net/textproto"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// MergeType is the X-Merge-Type of every cloud-config part: lists are
// appended and maps merged, so a user's write_files and runcmd add to ours
// instead of replacing them (cloud-init's default for a later part).
const MergeType = "list(append)+dict(no_replace,recurse_list)+str()"

// MergePart is a user's own user-data, combined with the machine's into
// one MIME multipart user-data.
type MergePart struct {
	Name    string // the file name, for errors and the part's file name
	Content []byte
}

// partTypes maps the first line of a user-data file to its MIME type, as
// cloud-init's handlers know them, and checks that the part is what that
// line claims. Longer prefixes come first.
var partTypes = []struct {
	prefix, contentType string
	check               func(MergePart) error
}{
	{"#cloud-config-archive", "text/cloud-config-archive", checkArchive},
	{"#cloud-config-jsonp", "text/cloud-config-jsonp", checkJSONPatch},
	{"#cloud-config", "text/cloud-config", checkCloudConfig},
	{"#cloud-boothook", "text/cloud-boothook", checkBoothook},
	{"#include-once", "text/x-include-once-url", checkInclude},
	{"#include", "text/x-include-url", checkInclude},
	{"#part-handler", "text/part-handler", nil},
	{"## template: jinja", "text/jinja2", nil},
	{"#!", "text/x-shellscript", checkShebang},
}

// partType finds the MIME type of a merged file from its first line and
// checks the part: its size, that it is text, and its content.
func partType(m MergePart) (string, error) {
	c := m.Content
	if err := checkSize(m); err != nil {
		return "", err
	}
	switch {
	case bytes.HasPrefix(c, []byte{0x1f, 0x8b}):
		return "", &FieldError{Field: FieldMerge, Value: m.Name, Msg: "gzip-compressed", Hint: "merge the uncompressed file"}
	case !utf8.Valid(c) || bytes.IndexByte(c, 0) >= 0:
		return "", &FieldError{Field: FieldMerge, Value: m.Name, Msg: "not text", Hint: "give a cloud-config, a script or a boothook"}
	}
	if h := strings.ToLower(firstLine(c)); strings.HasPrefix(h, "content-type:") || strings.HasPrefix(h, "mime-version:") {
		return "", &FieldError{Field: FieldMerge, Value: m.Name, Msg: "already MIME multipart", Hint: "merge its parts as separate files"}
	}
	for _, t := range partTypes {
		if strings.HasPrefix(firstLine(c), t.prefix) {
			if t.check != nil {
				if err := t.check(m); err != nil {
					return "", err
				}
			}
			return t.contentType, nil
		}
	}
	return "", &FieldError{Field: FieldMerge, Value: m.Name, Msg: "unknown user-data type",
		Hint: "the first line must be one of " + partMarkers()}
}

// partMarkers lists the first lines partType accepts.
func partMarkers() string {
	var names []string
	for _, t := range partTypes {
		if t.prefix == "#!" {
			names = append(names, "#!<interpreter>")
		} else {
			names = append(names, t.prefix)
		}
	}
	return joinNames(names)
}

func firstLine(b []byte) string {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	return strings.TrimRight(string(line), "\r")
}

type mimePart struct {
	name, contentType string
	content           []byte
}

// RenderMIME writes the plan's cloud-config and the user's merge files as
// one multipart/mixed user-data, in that order. Each cloud-config part
// carries MergeType, so whichever part cloud-init reads later appends to
// the lists of the earlier ones.
func RenderMIME(p *Plan, merge []MergePart) ([]byte, error) {
	cc, err := RenderCloudConfig(p)
	if err != nil {
		return nil, err
	}
	parts := []mimePart{{name: "dockbake-" + p.Machine + ".cfg", contentType: "text/cloud-config", content: cc}}
	seen := map[string]bool{parts[0].name: true}
	for _, m := range merge {
		ct, err := partType(m)
		if err != nil {
			return nil, err
		}
		// cloud-init stores scripts under their part's file name: two
		// parts of the same name would overwrite each other.
		name := filepath.Base(m.Name)
		if seen[name] {
			return nil, &FieldError{Field: FieldMerge, Value: m.Name, Msg: fmt.Sprintf("a second part named %q", name), Hint: "rename one of the files"}
		}
		seen[name] = true
		parts = append(parts, mimePart{name: name, contentType: ct, content: m.Content})
	}
	return writeMultipart(parts)
}

// writeMultipart lays out the parts. The boundary is derived from the
// content, so the same input gives the same bytes, and cannot occur in it.
func writeMultipart(parts []mimePart) ([]byte, error) {
	h := sha256.New()
	for _, pt := range parts {
		h.Write(pt.content)
	}
	boundary := "dockbake-" + hex.EncodeToString(h.Sum(nil))[:40]
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if err := mw.SetBoundary(boundary); err != nil {
		return nil, err
	}
	for _, pt := range parts {
		if bytes.Contains(pt.content, []byte("--"+boundary)) {
			return nil, fmt.Errorf("part %q contains the MIME boundary", pt.name)
		}
		w, err := mw.CreatePart(partHeader(pt))
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(pt.content); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	// cloud-init treats user-data as MIME when MIME-Version appears in its
	// first 4096 bytes: it is the second line.
	var b bytes.Buffer
	fmt.Fprintf(&b, "Content-Type: %s\r\nMIME-Version: 1.0\r\n\r\n", mime.FormatMediaType("multipart/mixed", map[string]string{"boundary": boundary}))
	b.Write(body.Bytes())
	return b.Bytes(), nil
}

func partHeader(pt mimePart) textproto.MIMEHeader {
	h := textproto.MIMEHeader{}
	h.Set("Content-Type", mime.FormatMediaType(pt.contentType, map[string]string{"charset": "utf-8"}))
	h.Set("MIME-Version", "1.0")
	h.Set("Content-Transfer-Encoding", transferEncoding(pt.content))
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": pt.name}))
	if pt.contentType == "text/cloud-config" {
		h.Set("X-Merge-Type", MergeType)
	}
	return h
}

// transferEncoding is 7bit for ASCII text with lines of at most 998
// bytes (RFC 5322), else 8bit; the content is never re-encoded.
func transferEncoding(c []byte) string {
	for _, line := range bytes.Split(c, []byte("\n")) {
		if len(line) > 998 {
			return "8bit"
		}
	}
	for _, b := range c {
		if b >= 0x80 {
			return "8bit"
		}
	}
	return "7bit"
}
