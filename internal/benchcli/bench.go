package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
)

// machineName is the machine the single-machine commands read.
const machineName = "web1"

// bench makes the stores, then times the single-machine commands and ls,
// each table against hello world.
func bench(o options, work, hello string, out io.Writer) error {
	one := filepath.Join(work, "store")
	if err := create(o.dockbake, one, machineName); err != nil {
		return err
	}
	env := []string{"DOCKBAKE_STORAGE_PATH=" + one, "SHELL=/bin/bash"}
	cmds := []command{{label: "hello world", argv: []string{hello}}}
	for _, c := range []string{"env", "url", "config", "inspect"} {
		for _, b := range o.binaries() {
			cmds = append(cmds, command{label: b.label + c, argv: []string{b.path, c, machineName}, env: env})
		}
	}
	got, err := timeAll(cmds, o.runs)
	if err != nil {
		return err
	}
	if err := report(out, "read-only commands of one machine", cmds, got); err != nil {
		return err
	}
	if o.machines == 0 {
		return nil
	}
	many, err := manyMachines(o)
	if err != nil {
		return err
	}
	stores := map[string]string{o.dockbake: many}
	if o.compare != "" {
		if stores[o.compare], err = comparedStore(o, many); err != nil {
			return err
		}
	}
	ls := []command{{label: "hello world", argv: []string{hello}}}
	for _, b := range o.binaries() {
		ls = append(ls, command{label: fmt.Sprintf("%sls (%d machines)", b.label, o.machines),
			argv: []string{b.path, "ls"}, env: []string{"DOCKBAKE_STORAGE_PATH=" + stores[b.path]}})
	}
	got, err = timeAll(ls, o.lsRuns)
	if err != nil {
		return err
	}
	return report(out, "ls", ls, got)
}

// create makes machine name in the store at root with the real dockbake.
func create(dockbake, root, name string) error {
	cmd := exec.Command(dockbake, "create", name, "--ip", "203.0.113.10")
	cmd.Env = append(os.Environ(), "DOCKBAKE_STORAGE_PATH="+root)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("dockbake create %s: %w\n%s", name, err, out)
	}
	return nil
}

// binary is a dockbake binary to time, and the start of its rows' labels.
type binary struct{ path, label string }

// binaries are the binary under test and the one to compare it with.
func (o options) binaries() []binary {
	bs := []binary{{o.dockbake, "dockbake "}}
	if o.compare != "" {
		bs = append(bs, binary{o.compare, "compared: dockbake "})
	}
	return bs
}
