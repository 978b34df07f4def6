package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/dockbake/dockbake/pki"
)

// Load reads machine name: its record, whose spec must decode strictly and
// validate, and its certificates and server key. It holds the store's
// shared lock while it reads, so a machine being replaced by a rotation or
// a forced create is seen whole, before or after, never half of each.
//
// A missing machine wraps ErrNotFound; a record that cannot be read back is
// a *CorruptError naming machine.json. A missing or damaged certificate is
// reported by the accessor that needs it (HostCerts, CACert, ...), so that
// what needs only the record keeps working; Check looks for all damage.
func (s *Store) Load(name string) (*Machine, error) {
	if err := ValidateName("machine", name); err != nil {
		return nil, err
	}
	unlock, err := s.rlock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	return s.oneRead().read(name)
}

// read is Load for a caller that holds the lock already.
func (s *Store) read(name string) (*Machine, error) {
	return s.readFrom(name, s.HostDir(name), s.ClientDir(name))
}

// readFrom reads machine name with its host and client files in host and
// client: where they are, or where a change stages them. The Machine names
// the directories it has, or will have, in the store.
func (s *Store) readFrom(name, host, client string) (*Machine, error) {
	rec, err := s.readRecord(name, host)
	if err != nil {
		return nil, err
	}
	m := &Machine{Record: *rec, StoreDir: s.Root, ClientDir: s.ClientDir(name), HostDir: s.HostDir(name), CADir: s.HostDir(name)}
	if rec.CA != "" {
		m.CADir = s.CADir(rec.CA)
	}
	f := s.files()
	m.files = readSnapshot(f, host, client)
	m.Warnings = checkModes(f, client, ClientKeyFile)
	m.Warnings = append(m.Warnings, checkModes(f, host, serverKeyFile, caKeyFile)...)
	if rec.CA != "" {
		m.Warnings = append(m.Warnings, checkModes(f, m.CADir, caKeyFile)...)
	}
	return m, nil
}

// readRecord reads and checks machine.json of machine name in dir.
func (s *Store) readRecord(name, dir string) (*Record, error) {
	path := filepath.Join(dir, recordFile)
	data, err := s.files().readFile(path)
	if errors.Is(err, fs.ErrNotExist) && s.Exists(name) {
		return nil, &CorruptError{Path: path, Err: errMissing}
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("machine %q: %w in store %s", name, ErrNotFound, s.Root)
	}
	if err != nil {
		return nil, err
	}
	rec, err := ParseRecord(data)
	if err == nil && rec.Name != name {
		err = fmt.Errorf("the record names machine %q", rec.Name)
	}
	if err != nil {
		return nil, &CorruptError{Path: path, Err: unknownToUs(data, err)}
	}
	return rec, nil
}

// UnknownRecordError is a record with a version or a field that this
// dockbake does not know: most likely a newer dockbake wrote it, which
// its ToolVersion names, and then it is no damage at all. It is still
// refused, read and written alike: a field we do not know is a field we
// would drop.
type UnknownRecordError struct {
	// ToolVersion is the version of dockbake the record says wrote it.
	ToolVersion string
	// What is what is not known: `field "x"` or `version 2`.
	What string
}

func (e *UnknownRecordError) Error() string {
	by := "an unknown dockbake"
	if e.ToolVersion != "" {
		by = "dockbake " + e.ToolVersion
	}
	return fmt.Sprintf("%s is not known to this dockbake (%s wrote the record)", e.What, by)
}

// unknownToUs makes an UnknownRecordError of err, ParseRecord's, when it
// is a record version above ours or a field we do not know; other errors
// it returns as they are. encoding/json says an unknown field only in
// its message (TestUnknownRecordFields holds the form).
func unknownToUs(data []byte, err error) error {
	var head struct {
		Version     int    `json:"version"`
		ToolVersion string `json:"tool_version"`
	}
	if json.Unmarshal(data, &head) != nil {
		return err
	}
	if len(head.ToolVersion) > 100 || strings.ContainsFunc(head.ToolVersion, func(r rune) bool { return !unicode.IsPrint(r) }) {
		head.ToolVersion = "" // it goes into messages: no control characters
	}
	if head.Version > RecordVersion {
		return &UnknownRecordError{ToolVersion: head.ToolVersion, What: fmt.Sprintf("version %d", head.Version)}
	}
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return &UnknownRecordError{ToolVersion: head.ToolVersion, What: "field " + field}
	}
	return err
}

// ParseRecord decodes machine.json strictly and checks it: its version, its
// names (the machine's, and the shared CA's, which become paths in the
// store and so must stay inside it) and its spec, which must validate.
func ParseRecord(data []byte) (*Record, error) {
	var rec Record
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields() // in the spec too: a field we do not know is a field we would drop
	if err := dec.Decode(&rec); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value")
	}
	if rec.Version != RecordVersion {
		return nil, fmt.Errorf("unexpected version %d", rec.Version)
	}
	if err := ValidateName("machine", rec.Name); err != nil {
		return nil, err
	}
	if rec.CA != "" {
		if err := ValidateName("CA", rec.CA); err != nil {
			return nil, err
		}
	}
	if rec.Fleet != "" {
		if err := ValidateName("fleet", rec.Fleet); err != nil {
			return nil, err
		}
	}
	if rec.KeyType != "" { // empty: an imported key of a type dockbake does not make
		if _, err := pki.ParseKeyType(string(rec.KeyType)); err != nil {
			return nil, fmt.Errorf("key_type: %w", err)
		}
	}
	if !pki.IsFingerprint(rec.CAFingerprint) {
		return nil, fmt.Errorf("ca_fingerprint %q: not a SHA-256 fingerprint", rec.CAFingerprint)
	}
	if rec.NextCAFingerprint != "" && !pki.IsFingerprint(rec.NextCAFingerprint) {
		return nil, fmt.Errorf("next_ca_fingerprint %q: not a SHA-256 fingerprint", rec.NextCAFingerprint)
	}
	if err := rec.Spec.Validate(); err != nil {
		return nil, err
	}
	if rec.Spec.Name != rec.Name {
		return nil, fmt.Errorf("the spec names machine %q, the record %q", rec.Spec.Name, rec.Name)
	}
	return &rec, nil
}

// snapshot holds a machine's certificates and its server and client keys
// as they were read with its record. It never holds a CA key.
type snapshot struct {
	caCert, serverCert, serverKey, clientCert, clientKey fileRead
}

// fileRead is one file of a snapshot, or the error reading it gave.
type fileRead struct {
	path string
	data []byte
	err  error
}

func readSnapshot(f files, host, client string) *snapshot {
	read := func(path string) fileRead {
		data, err := f.readFile(path)
		return fileRead{path: path, data: data, err: err}
	}
	cf := ClientFilesIn(client)
	return &snapshot{
		caCert:     read(cf.CA),
		clientCert: read(cf.Cert),
		clientKey:  read(cf.Key),
		serverCert: read(filepath.Join(host, serverCertFile)),
		serverKey:  read(filepath.Join(host, serverKeyFile)),
	}
}

// CorruptError reports a store file that cannot be read back.
type CorruptError struct {
	Path string
	Err  error
}

func (e *CorruptError) Error() string {
	var unknown *UnknownRecordError
	if errors.As(e.Err, &unknown) {
		return fmt.Sprintf("store file %s: %v", e.Path, e.Err)
	}
	return fmt.Sprintf("store file %s is damaged: %v", e.Path, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// checkModes warns about key files that group or others can read.
func checkModes(f files, dir string, keys ...string) []string {
	var warnings []string
	for _, k := range keys {
		fi, err := f.lstat(filepath.Join(dir, k))
		if err == nil && fi.Mode().Perm()&0o077 != 0 {
			warnings = append(warnings, fmt.Sprintf("%s is readable by others (mode %04o): run chmod 600 on it", filepath.Join(dir, k), fi.Mode().Perm()))
		}
	}
	return warnings
}
