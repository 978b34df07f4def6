package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/store"
)

// openStore opens the store named by --storage-path, $DOCKBAKE_STORAGE_PATH
// or the default.
func openStore(c *cli.Context, e *env) (*store.Store, error) {
	root := c.String("storage-path")
	if root == "" {
		var err error
		if root, err = store.DefaultRoot(e.getenv); err != nil {
			return nil, err
		}
	}
	return store.Open(root)
}

// machineArg returns the single NAME argument of a command.
func machineArg(c *cli.Context) (string, error) {
	switch c.NArg() {
	case 1:
		name := c.Args().First()
		return name, store.ValidateName("machine", name)
	case 0:
		return "", withHint(errors.New("missing machine name"), "dockbake %s NAME (see dockbake ls)", c.Command.Name)
	}
	return "", withHint(fmt.Errorf("expected one machine name, got %d arguments", c.NArg()), "dockbake %s NAME", c.Command.Name)
}

// loaded is a machine read back from the store with its spec.
type loaded struct {
	store   *store.Store
	machine *store.Machine
	spec    generator.Spec
}

// loadMachine reads machine name and re-validates its spec.
func loadMachine(c *cli.Context, e *env, name string) (*loaded, error) {
	s, err := openStore(c, e)
	if err != nil {
		return nil, err
	}
	m, err := s.Load(name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, withHint(err, "dockbake ls lists the machines; dockbake create %s --ip ADDRESS makes this one", name)
	}
	var corrupt *store.CorruptError
	if errors.As(err, &corrupt) {
		return nil, withHint(err, "restore the file from a backup, or run dockbake rm --force %s and create it again", name)
	}
	if err != nil {
		return nil, err
	}
	for _, w := range m.Warnings {
		fmt.Fprintf(e.stderr, "dockbake: warning: %s\n", w)
	}
	var spec generator.Spec
	dec := json.NewDecoder(bytes.NewReader(m.Spec))
	dec.DisallowUnknownFields()
	err = dec.Decode(&spec)
	if err == nil {
		err = spec.Validate()
	}
	if err != nil {
		return nil, withHint(&store.CorruptError{Path: s.HostDir(name), Err: err}, "dockbake rm --force %s and create it again", name)
	}
	return &loaded{store: s, machine: m, spec: spec}, nil
}

// userData renders a machine's cloud-config.
func (l *loaded) userData() ([]byte, error) {
	hf, err := l.store.HostFiles(l.machine)
	if err != nil {
		return nil, withHint(err, "dockbake rm --force %s and create it again", l.machine.Name)
	}
	plan, err := generator.BuildPlan(l.spec, generator.HostCerts{CACert: hf.CACert, ServerCert: hf.ServerCert, ServerKey: hf.ServerKey})
	if err != nil {
		return nil, err
	}
	return generator.RenderCloudConfig(plan)
}

// checkOutput refuses to replace an existing --output file without --force:
// it may hold another host's key.
func checkOutput(c *cli.Context) error {
	out := c.String("output")
	if out == "" || out == "-" || c.Bool("force") {
		return nil
	}
	if _, err := os.Lstat(out); err == nil {
		return withHint(fmt.Errorf("output file %q already exists", out), "choose another --output, or add --force to replace it")
	}
	return nil
}

// writeOutput writes user-data to --output (0600: it holds a private key)
// or to stdout.
func writeOutput(c *cli.Context, e *env, data []byte) error {
	out := c.String("output")
	if out == "" || out == "-" {
		_, err := e.stdout.Write(data)
		return err
	}
	if err := store.WriteFileAtomic(out, data, 0o600); err != nil {
		return fmt.Errorf("writing --output %q: %w", out, err)
	}
	fmt.Fprintf(e.stderr, "Wrote user-data to %s (mode 0600: it holds the host's private key)\n", out)
	return nil
}

var outputFlags = []cli.Flag{
	&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the user-data to `FILE` (mode 0600) instead of stdout"},
}
