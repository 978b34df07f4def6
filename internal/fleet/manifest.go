package fleet

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/store"
)

// The manifest is apply's note, in the user-data directory, of what each
// file it wrote was made from (a digest of the machine's spec, CA
// fingerprint, key type, format, target and the dockbake version) and the
// file's size and modification time as written. A second apply finds a
// machine unchanged by its record and one stat of its file, without
// rendering: a thousand machines in a fraction of a second. A file whose
// size or time differs, a machine without an entry, or no manifest at
// all, is rendered and compared byte for byte, so the manifest only ever
// saves work: deleting it is harmless.

// manifestVersion is the format version of a manifest.
const manifestVersion = 1

type manifest struct {
	Version  int              `json:"version"`
	Fleet    string           `json:"fleet"`
	Machines map[string]entry `json:"machines"`
}

// entry is what one machine's file was made from, and how it was left.
type entry struct {
	Inputs string `json:"inputs"`
	File   string `json:"file"`
	Size   int64  `json:"size"`
	MTime  int64  `json:"mtime_ns"`
}

func manifestPath(dir, fleet string) string {
	return filepath.Join(dir, ".dockbake-fleet-"+fleet+".json")
}

// readManifest reads the fleet's manifest in dir; an empty one when there
// is none or it cannot be read.
func readManifest(dir, fleet string) *manifest {
	m := &manifest{Version: manifestVersion, Fleet: fleet, Machines: map[string]entry{}}
	data, err := os.ReadFile(manifestPath(dir, fleet))
	if err != nil {
		return m
	}
	var read manifest
	if json.Unmarshal(data, &read) != nil || read.Version != manifestVersion || read.Fleet != fleet || read.Machines == nil {
		return m
	}
	return &read
}

// inputsOf is the digest of what a machine's user-data is made from.
func inputsOf(spec generator.Spec, caFingerprint string, m *Machine) string {
	data, _ := json.Marshal(struct {
		Tool, CA, KeyType, Format, Target string
		Spec                              generator.Spec
	}{m.Request.ToolVersion, caFingerprint, string(m.Request.KeyType), m.Settings.Format, m.Settings.Target, spec})
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// fresh reports whether path is as the manifest says it was written from
// inputs.
func (man *manifest) fresh(name, path, inputs string) bool {
	e, ok := man.Machines[name]
	if !ok || e.Inputs != inputs || e.File != filepath.Base(path) {
		return false
	}
	fi, err := os.Lstat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Size() == e.Size && fi.ModTime().UnixNano() == e.MTime
}

// note records path as made from inputs, as it is now on disk.
func (man *manifest) note(name, path, inputs string) {
	fi, err := os.Lstat(path)
	if err != nil {
		delete(man.Machines, name)
		return
	}
	man.Machines[name] = entry{Inputs: inputs, File: filepath.Base(path), Size: fi.Size(), MTime: fi.ModTime().UnixNano()}
}

// write replaces the manifest in dir.
func (man *manifest) write(dir string) error {
	data, err := json.Marshal(man)
	if err != nil {
		return err
	}
	return store.WriteFileAtomic(manifestPath(dir, man.Fleet), append(data, '\n'), 0o600)
}

// recordInputs is the digest of the user-data of a machine as recorded.
func recordInputs(rec *store.Record, m *Machine) string {
	return inputsOf(rec.Spec, rec.CAFingerprint, m)
}
