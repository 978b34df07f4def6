package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dockbake/dockbake/store"
)

// The docker CLI's context store, written directly where the docker CLI is
// not installed: contexts/meta/ID/meta.json and contexts/tls/ID/docker/,
// as docker/cli's cli/context/store lays them out.

// contextMeta is the docker CLI's contexts/meta/ID/meta.json.
type contextMeta struct {
	Name     string
	Metadata struct {
		Description string `json:",omitempty"`
	}
	Endpoints map[string]contextEndpoint
}

type contextEndpoint struct {
	Host          string `json:",omitempty"`
	SkipTLSVerify bool
}

// contextID is the directory name of a context in the docker CLI's store:
// the hex SHA-256 of its name.
func contextID(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:])
}

func readContextMeta(cfgDir, name string) (*contextMeta, error) {
	path := filepath.Join(cfgDir, "contexts", "meta", contextID(name), "meta.json")
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m contextMeta
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("docker context %q: %s: %w", name, path, err)
	}
	return &m, nil
}

// writeContextStore writes a context the way the docker CLI does: the TLS
// files (0600, in 0700 directories) first, staged and renamed into place,
// then meta.json, so a context never points at missing files.
func writeContextStore(cfgDir string, dc dockerContext) error {
	id := contextID(dc.Name)
	tlsRoot := filepath.Join(cfgDir, "contexts", "tls")
	if err := os.MkdirAll(tlsRoot, 0o700); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(tlsRoot, "."+id+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := os.Mkdir(filepath.Join(tmp, "docker"), 0o700); err != nil {
		return err
	}
	for name, src := range map[string]string{store.ClientCAFile: dc.CA, store.ClientCertFile: dc.Cert, store.ClientKeyFile: dc.Key} {
		data, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		if err := store.WriteFileAtomic(filepath.Join(tmp, "docker", name), data, 0o600); err != nil {
			return err
		}
	}
	final, old := filepath.Join(tlsRoot, id), tmp+".old"
	if _, err := os.Lstat(final); err == nil {
		if err := os.Rename(final, old); err != nil {
			return err
		}
		defer os.RemoveAll(old)
	}
	if err := os.Rename(tmp, final); err != nil {
		os.Rename(old, final) // the existing context keeps its files
		return err
	}
	meta := contextMeta{Name: dc.Name, Endpoints: map[string]contextEndpoint{"docker": {Host: dc.Host}}}
	meta.Metadata.Description = dc.Description
	data, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	metaDir := filepath.Join(cfgDir, "contexts", "meta", id)
	if err := os.MkdirAll(metaDir, 0o755); err != nil {
		return err
	}
	return store.WriteFileAtomic(filepath.Join(metaDir, "meta.json"), data, 0o644)
}

// removeContextStore deletes a context from the docker CLI's store. Like
// docker context rm, it refuses the current context unless forced, and then
// makes "default" current again.
func removeContextStore(cfgDir, name string, force bool) error {
	cfgPath := filepath.Join(cfgDir, "config.json")
	cfg := map[string]json.RawMessage{}
	data, err := os.ReadFile(cfgPath)
	if err == nil {
		if err := json.Unmarshal(data, &cfg); err != nil {
			return fmt.Errorf("%s: %w", cfgPath, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	var current string
	json.Unmarshal(cfg["currentContext"], &current)
	if current == name {
		if !force {
			return withHint(fmt.Errorf("docker context %q is the current one", name), "run docker context use default first, or add --force")
		}
		delete(cfg, "currentContext")
		out, err := json.MarshalIndent(cfg, "", "\t")
		if err != nil {
			return err
		}
		if err := store.WriteFileAtomic(cfgPath, out, 0o600); err != nil {
			return err
		}
	}
	for _, kind := range []string{"meta", "tls"} {
		if err := os.RemoveAll(filepath.Join(cfgDir, "contexts", kind, contextID(name))); err != nil {
			return err
		}
	}
	return nil
}
