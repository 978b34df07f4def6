package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Load reads machine name: its record, whose spec must decode strictly and
// validate, and its certificates and server key. It holds the store's
// shared lock while it reads, so a machine being replaced by a rotation or
// a forced create is seen whole, before or after, never half of each.
//
// A missing machine wraps ErrNotFound; a record that cannot be read back is
// a *CorruptError naming machine.json. A missing or damaged certificate is
// reported by the accessor that needs it (HostCerts, CACert, ...), so that
// what needs only the record keeps working.
func (s *Store) Load(name string) (*Machine, error) {
	if err := ValidateName("machine", name); err != nil {
		return nil, err
	}
	unlock, err := s.rlock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	return s.read(name)
}

// read is Load for a caller that holds the lock already.
func (s *Store) read(name string) (*Machine, error) {
	rec, err := s.readRecord(name)
	if err != nil {
		return nil, err
	}
	m := &Machine{Record: *rec, StoreDir: s.Root, ClientDir: s.ClientDir(name), HostDir: s.HostDir(name), CADir: s.HostDir(name)}
	if rec.CA != "" {
		m.CADir = s.CADir(rec.CA)
	}
	m.files = readSnapshot(m)
	m.Warnings = checkModes(m.ClientDir, ClientKeyFile)
	m.Warnings = append(m.Warnings, checkModes(m.HostDir, serverKeyFile, caKeyFile)...)
	if rec.CA != "" {
		m.Warnings = append(m.Warnings, checkModes(m.CADir, caKeyFile)...)
	}
	return m, nil
}

// readRecord reads and checks machine.json of machine name.
func (s *Store) readRecord(name string) (*Record, error) {
	path := filepath.Join(s.HostDir(name), recordFile)
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, fmt.Errorf("machine %q: %w in store %s", name, ErrNotFound, s.Root)
	}
	if err != nil {
		return nil, err
	}
	var rec Record
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields() // in the spec too: a field we do not know is a field we would drop
	if err := dec.Decode(&rec); err != nil {
		return nil, &CorruptError{Path: path, Err: err}
	}
	if rec.Version != RecordVersion || rec.Name != name {
		return nil, &CorruptError{Path: path, Err: fmt.Errorf("unexpected version %d or name %q", rec.Version, rec.Name)}
	}
	if err := rec.Spec.Validate(); err != nil {
		return nil, &CorruptError{Path: path, Err: err}
	}
	return &rec, nil
}

// snapshot holds a machine's certificates and server key as they were read
// with its record. It never holds a CA key.
type snapshot struct {
	caCert, serverCert, serverKey, clientCert fileRead
}

// fileRead is one file of a snapshot, or the error reading it gave.
type fileRead struct {
	path string
	data []byte
	err  error
}

func readSnapshot(m *Machine) *snapshot {
	read := func(path string) fileRead {
		data, err := os.ReadFile(path)
		return fileRead{path: path, data: data, err: err}
	}
	cf := m.ClientFiles()
	return &snapshot{
		caCert:     read(cf.CA),
		clientCert: read(cf.Cert),
		serverCert: read(filepath.Join(m.HostDir, serverCertFile)),
		serverKey:  read(filepath.Join(m.HostDir, serverKeyFile)),
	}
}

// CorruptError reports a store file that cannot be read back.
type CorruptError struct {
	Path string
	Err  error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("store file %s is damaged: %v", e.Path, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// checkModes warns about key files that group or others can read.
func checkModes(dir string, keys ...string) []string {
	var warnings []string
	for _, k := range keys {
		fi, err := os.Stat(filepath.Join(dir, k))
		if err == nil && fi.Mode().Perm()&0o077 != 0 {
			warnings = append(warnings, fmt.Sprintf("%s is readable by others (mode %04o): run chmod 600 on it", filepath.Join(dir, k), fi.Mode().Perm()))
		}
	}
	return warnings
}
