package main

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/dockbake/dockbake/store"
)

// openStore opens the store named by --storage-path, $DOCKBAKE_STORAGE_PATH
// or the default. An empty --storage-path is refused: it is a variable
// that was meant to be set, and the default store is not what was asked
// for. An empty $DOCKBAKE_STORAGE_PATH counts as unset, as an empty
// $DOCKER_CONFIG does for the docker CLI.
func openStore(c *cli.Context, p *proc) (*store.Store, error) {
	root := c.String("storage-path")
	if root == "" && c.IsSet("storage-path") {
		return nil, withHint(errors.New(`--storage-path "": the storage path is empty`), "give a directory, or leave --storage-path out for $DOCKBAKE_STORAGE_PATH or ~/.docker/dockbake")
	}
	if root == "" {
		var err error
		if root, err = store.DefaultRoot(p.getenv); err != nil {
			return nil, err
		}
	}
	s, err := store.Open(root)
	if err != nil {
		return nil, err
	}
	s.Disk = p.disk
	return s, nil
}

// storeError gives an error of a command that writes the store the hint
// for what went wrong: a full disk, damage, a change left unfinished.
func storeError(s *store.Store, name string, err error) error {
	var unfinished *store.UnfinishedError
	var corrupt *store.CorruptError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &unfinished):
		return withHint(err, "dockbake ls completes it")
	case errors.Is(err, syscall.ENOSPC):
		return withHint(err, "free space on the disk that holds %s and run the command again: nothing was changed", s.Root)
	case errors.As(err, &corrupt):
		return withHint(err, "%s", damagedHint(err, name))
	}
	return err
}

// damagedHint is the way out for a machine whose store files do not read
// back. A record that another version of dockbake wrote, with a field or
// a version this one does not know, is most likely no damage: it wants
// that version, and removing the machine would be the wrong fix.
func damagedHint(err error, name string) string {
	if v, ok := writtenByAnother(err); ok {
		return fmt.Sprintf("dockbake %s wrote it: use that version, or a newer one, for %s (this is %s); nothing was changed", v, name, toolVersion())
	}
	return fmt.Sprintf("restore the file from a backup, or run dockbake rm --force %s and create it again", name)
}

// writtenByAnother reports whether err is a record this dockbake does not
// know that another version of dockbake wrote, and which.
func writtenByAnother(err error) (string, bool) {
	var unknown *store.UnknownRecordError
	if errors.As(err, &unknown) && unknown.ToolVersion != "" && unknown.ToolVersion != toolVersion() {
		return unknown.ToolVersion, true
	}
	return "", false
}

// machineNameArg returns the single NAME argument of a command, checked
// against the store's rule for names; it loads nothing.
func machineNameArg(c *cli.Context) (string, error) {
	switch c.NArg() {
	case 1:
		name := c.Args().First()
		return name, store.ValidateName("machine", name)
	case 0:
		return "", withHint(errors.New("missing machine name"), "dockbake %s NAME (see dockbake ls)", c.Command.Name)
	}
	return "", withHint(fmt.Errorf("expected one machine name, got %d arguments", c.NArg()), "dockbake %s NAME", c.Command.Name)
}

// loadMachineArg loads the machine named by the command's one argument.
func loadMachineArg(c *cli.Context, p *proc) (*store.Store, *store.Machine, error) {
	name, err := machineNameArg(c)
	if err != nil {
		return nil, nil, err
	}
	return loadMachine(c, p, name)
}

// loadMachine reads machine name, with its spec re-validated, from the
// store, and returns both.
func loadMachine(c *cli.Context, p *proc, name string) (*store.Store, *store.Machine, error) {
	s, err := openStore(c, p)
	if err != nil {
		return nil, nil, err
	}
	m, err := s.Load(name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, withHint(err, "dockbake ls lists the machines; dockbake create %s --ip ADDRESS makes this one", name)
	}
	var corrupt *store.CorruptError
	if errors.As(err, &corrupt) {
		return nil, nil, withHint(err, "%s", damagedHint(err, name))
	}
	if err != nil {
		return nil, nil, err
	}
	for _, w := range m.Warnings {
		warnf(p.stderr, "%s", w)
	}
	return s, m, nil
}
