package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/dockbake/dockbake/store"
)

// template is the machine that the store of many machines is cloned from.
const template = "template"

// manyMachines returns a store of o.machines machines, kept in o.cache
// for the next run and checked each time with one ls, which a store of
// records another dockbake cannot read fails. Each machine is a copy of
// one that the real `dockbake create` made, its record renamed: creating
// ten thousand machines one process each would take minutes, and their
// keys and certificates matter to ls only as files to read and check.
func manyMachines(o options) (string, error) {
	root := filepath.Join(o.cache, fmt.Sprintf("v%d-%d", store.RecordVersion, o.machines), "store")
	if _, err := os.Stat(root); err == nil {
		if err := verifyList(o.dockbake, root, o.machines); err == nil {
			return root, nil
		}
	}
	// Made by another dockbake, or half made: keep only the one made now.
	if err := os.RemoveAll(o.cache); err != nil {
		return "", err
	}
	tmp := filepath.Join(o.cache, "making")
	if err := create(o.dockbake, filepath.Join(tmp, "store"), template); err != nil {
		return "", err
	}
	if err := cloneAll(filepath.Join(tmp, "store"), o.machines); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, filepath.Dir(root)); err != nil {
		return "", err
	}
	return root, verifyList(o.dockbake, root, o.machines)
}

// comparedStore is a copy of the store of many machines at root for the
// compared binary, kept beside it: ls keeps a cache in the store, and two
// builds that write it in different versions would each find the other's
// unreadable and list every machine in full, every run.
func comparedStore(o options, root string) (string, error) {
	copied := root + "-compared"
	if _, err := os.Stat(copied); err == nil {
		if err := verifyList(o.compare, copied, o.machines); err == nil {
			return copied, nil
		}
	}
	if err := os.RemoveAll(copied); err != nil {
		return "", err
	}
	if err := os.CopyFS(copied, os.DirFS(root)); err != nil {
		return "", err
	}
	// CopyFS makes directories 0777 and files 0666 less the umask: give
	// each its mode in the store, which the check of every machine wants.
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		return os.Chmod(filepath.Join(copied, rel), fi.Mode().Perm())
	})
	if err != nil {
		return "", err
	}
	return copied, verifyList(o.compare, copied, o.machines)
}

// cloneAll copies the template machine to n machines, on every CPU, and
// removes the template.
func cloneAll(root string, n int) error {
	src, err := readMachine(root, template)
	if err != nil {
		return err
	}
	names := make(chan string)
	errs := make(chan error, runtime.NumCPU())
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Go(func() {
			for name := range names {
				if err := src.writeAs(root, name); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for i := range n {
		names <- fmt.Sprintf("m%05d", i)
	}
	close(names)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	if err := os.RemoveAll(filepath.Join(root, "hosts", template)); err != nil {
		return err
	}
	return os.RemoveAll(filepath.Join(root, "machines", template))
}

// machineFiles is every file of one machine, by directory ("hosts",
// "machines") and name, with its mode.
type machineFiles map[string]map[string]fileCopy

type fileCopy struct {
	data []byte
	mode os.FileMode
}

func readMachine(root, name string) (machineFiles, error) {
	m := machineFiles{}
	for _, dir := range []string{"hosts", "machines"} {
		entries, err := os.ReadDir(filepath.Join(root, dir, name))
		if err != nil {
			return nil, err
		}
		m[dir] = map[string]fileCopy{}
		for _, e := range entries {
			path := filepath.Join(root, dir, name, e.Name())
			fi, err := os.Lstat(path)
			if err != nil {
				return nil, err
			}
			if !fi.Mode().IsRegular() {
				return nil, fmt.Errorf("%s: the template machine has more than files", path)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return nil, err
			}
			m[dir][e.Name()] = fileCopy{data: data, mode: fi.Mode().Perm()}
		}
	}
	return m, nil
}

// writeAs writes the machine as machine name, its record renamed.
func (m machineFiles) writeAs(root, name string) error {
	for dir, files := range m {
		d := filepath.Join(root, dir, name)
		if err := os.Mkdir(d, 0o700); err != nil {
			return err
		}
		for file, c := range files {
			data := c.data
			if file == "machine.json" {
				var err error
				if data, err = renameRecord(data, name); err != nil {
					return err
				}
			}
			if err := os.WriteFile(filepath.Join(d, file), data, c.mode); err != nil {
				return err
			}
		}
	}
	return nil
}

// renameRecord is the record data with its machine's name, and its spec's,
// set to name.
func renameRecord(data []byte, name string) ([]byte, error) {
	var rec map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&rec); err != nil {
		return nil, fmt.Errorf("the template's record: %w", err)
	}
	spec, ok := rec["spec"].(map[string]any)
	if !ok {
		return nil, errors.New("the template's record has no spec")
	}
	rec["name"], spec["name"] = name, name
	return json.MarshalIndent(rec, "", "  ")
}

// verifyList checks that ls lists every machine of the store at root, and
// finds none damaged.
func verifyList(dockbake, root string, n int) error {
	cmd := exec.Command(dockbake, "ls")
	cmd.Env = append(os.Environ(), "DOCKBAKE_STORAGE_PATH="+root)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("dockbake ls of the store of many machines: %w\n%s", err, stderr.Bytes())
	}
	if lines := bytes.Count(out, []byte("\n")); lines != n+1 || stderr.Len() > 0 {
		return fmt.Errorf("dockbake ls of %d machines printed %d lines and %q on stderr", n, lines, stderr.Bytes())
	}
	return nil
}
