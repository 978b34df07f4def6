package generator

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
)

// RenderIgnition writes the plan as an Ignition config: compact JSON, one
// line, byte for byte what Butane's strict translation of RenderButane's
// config gives (TestIgnitionIsButanesTranslation, FuzzIgnitionIsButanes).
// dockbake writes it itself rather than through Butane: Butane's packages
// cost every dockbake command, env and ls included, a millisecond or two
// of package initialisation, and they link a test framework into the
// binary. Butane stays in the tests as the proof.
func RenderIgnition(p *Plan) ([]byte, error) {
	if err := checkIgnitionPlan(p); err != nil {
		return nil, err
	}
	if p.OS.Butane.Ignition == "" {
		return nil, fmt.Errorf("machine %q: %s has no Ignition spec version", p.Machine, p.OS.ID)
	}
	var cfg ignitionConfig
	cfg.Ignition.Version = p.OS.Butane.Ignition
	if len(p.Files) > 0 {
		cfg.Storage = &ignitionStorage{Files: make([]ignitionFile, len(p.Files))}
	}
	for i, f := range p.Files {
		source, compression := dataURL(f.Content)
		file := ignitionFile{
			Path:     f.Path,
			Contents: ignitionResource{Compression: compression, Source: source},
			Mode:     int(f.Mode.Perm()),
		}
		if user, group, ok := fileOwner(f); ok {
			file.User, file.Group = &ignitionName{user}, &ignitionName{group}
		}
		cfg.Storage.Files[i] = file
	}
	if len(p.EnableUnits) > 0 {
		cfg.Systemd = &ignitionSystemd{Units: make([]ignitionUnit, len(p.EnableUnits))}
	}
	for i, u := range p.EnableUnits {
		cfg.Systemd.Units[i] = ignitionUnit{Enabled: true, Name: u}
	}
	out, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("encoding Ignition config: %w", err)
	}
	return append(out, '\n'), nil
}

// ignitionConfig is the part of Ignition's config spec (3.4.0 and 3.5.0)
// that dockbake writes. The fields are in the order of Ignition's own
// types, and empty ones are left out, as Butane's encoder does.
type ignitionConfig struct {
	Ignition struct {
		Version string `json:"version"`
	} `json:"ignition"`
	Storage *ignitionStorage `json:"storage,omitempty"`
	Systemd *ignitionSystemd `json:"systemd,omitempty"`
}

type ignitionStorage struct {
	Files []ignitionFile `json:"files"`
}

type ignitionFile struct {
	Group    *ignitionName    `json:"group,omitempty"`
	Path     string           `json:"path"`
	User     *ignitionName    `json:"user,omitempty"`
	Contents ignitionResource `json:"contents"`
	Mode     int              `json:"mode"`
}

type ignitionName struct {
	Name string `json:"name"`
}

// ignitionResource is a file's contents. Compression is always written,
// empty when there is none, so that a merged child config does not
// inherit its parent's.
type ignitionResource struct {
	Compression string `json:"compression"`
	Source      string `json:"source"`
}

type ignitionSystemd struct {
	Units []ignitionUnit `json:"units"`
}

type ignitionUnit struct {
	Enabled bool   `json:"enabled"`
	Name    string `json:"name"`
}

// dataURL is b as the shortest of the three data URLs Butane chooses
// from: percent-escaped, base64, and gzipped base64 (with compression
// "gzip", whose four characters count against it). A tie goes to the
// earlier one.
func dataURL(b []byte) (source, compression string) {
	escaped := 1 + escapedLen(b) // ","
	encoded := len(";base64,") + base64.StdEncoding.EncodedLen(len(b))
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression) // the level is valid
	zw.Write(b)                                             // a bytes.Buffer takes every write
	zw.Close()
	zipped := len(";base64,") + base64.StdEncoding.EncodedLen(gz.Len())
	best := min(escaped, encoded)
	switch {
	case zipped+len("gzip") < best:
		return "data:;base64," + base64.StdEncoding.EncodeToString(gz.Bytes()), "gzip"
	case encoded < escaped:
		return "data:;base64," + base64.StdEncoding.EncodeToString(b), ""
	}
	return "data:," + string(escape(make([]byte, 0, escaped-1), b)), ""
}

// unreserved reports whether c stands for itself in a data URL: RFC
// 2396's unreserved characters, as Butane's data URL package escapes.
func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '!' || c == '~' || c == '*' || c == '\'' || c == '(' || c == ')'
}

// escapedLen is the length of b percent-escaped.
func escapedLen(b []byte) int {
	n := 0
	for _, c := range b {
		if unreserved(c) {
			n++
		} else {
			n += 3
		}
	}
	return n
}

// escape appends b to dst percent-escaped, with upper-case hex digits.
func escape(dst, b []byte) []byte {
	const hex = "0123456789ABCDEF"
	for _, c := range b {
		if unreserved(c) {
			dst = append(dst, c)
		} else {
			dst = append(dst, '%', hex[c>>4], hex[c&15])
		}
	}
	return dst
}
