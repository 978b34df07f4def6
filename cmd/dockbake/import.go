package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dockbake/dockbake/dmimport"
	"github.com/dockbake/dockbake/pki"
	"github.com/dockbake/dockbake/store"
)

// importCAName is the shared CA that Docker Machine's CA becomes: Docker
// Machine signs all of a store's machines with one CA.
const importCAName = "docker-machine"

func importCommand(p *proc) *cli.Command {
	return &cli.Command{
		Name:      "import-docker-machine",
		Usage:     "bring Docker Machine's machines, with the certificates their hosts run, into dockbake",
		ArgsUsage: "[NAME...]",
		Description: `Reads the Docker Machine store ($MACHINE_STORAGE_PATH or ~/.docker/machine):
machines/NAME/config.json, the server key pair, and the CA and client certificate
in certs/. Nothing changes on the hosts, and the Docker Machine store is left as it
is. Without NAME every machine is imported. Docker Machine's CA becomes the shared
CA "docker-machine", so dockbake regenerate-certs and client add work for these
machines too.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "machine-storage-path", Usage: "the Docker Machine store `DIR` (default $MACHINE_STORAGE_PATH or ~/.docker/machine)"},
			&cli.StringFlag{Name: "ca", Usage: "keep Docker Machine's CA as the shared CA `NAME`", DefaultText: importCAName},
			&cli.BoolFlag{Name: "force", Usage: "replace dockbake machines of the same names"},
		},
		Action: func(c *cli.Context) error { return importMachines(c, p) },
	}
}

func importMachines(c *cli.Context, p *proc) error {
	root := c.String("machine-storage-path")
	if root == "" {
		var err error
		if root, err = dmimport.DefaultRoot(p.getenv); err != nil {
			return err
		}
	}
	if ca := c.String("ca"); ca != "" {
		if err := store.ValidateName("CA", ca); err != nil {
			return withHint(err, "dockbake import-docker-machine --ca docker-machine")
		}
	}
	dm, err := dmimport.Open(root)
	if err != nil {
		return withHint(err, "point --machine-storage-path (or MACHINE_STORAGE_PATH) at the directory with certs/ and machines/")
	}
	names := c.Args().Slice()
	if len(names) == 0 {
		if names, err = dm.Names(); err != nil {
			return err
		}
		if len(names) == 0 {
			return withHint(fmt.Errorf("no machines in the Docker Machine store %s", dm.Root), "docker-machine ls lists them; --machine-storage-path picks another store")
		}
	}
	s, err := openStore(c, p)
	if err != nil {
		return err
	}
	done, errs, err := importAll(c, p, dm, s, names)
	if err != nil {
		return storeError(s, names[0], err)
	}
	if len(done) > 0 {
		fmt.Fprintf(p.stderr, "Point the docker CLI at one with: eval \"$(dockbake env %s)\"; dockbake verify %s checks it live\n", done[0], done[0])
	}
	if len(errs) == 0 {
		return nil
	}
	allExist := true
	for _, err := range errs {
		allExist = allExist && errors.Is(err, store.ErrExists)
	}
	if allExist {
		return withHint(errors.Join(errs...), "add --force to replace the dockbake machines of the same names")
	}
	return withHint(errors.Join(errs...), "fix what is named above, then import those machines again: dockbake import-docker-machine NAME...")
}

// importAll stages every machine that can come in, in one transaction
// committed once: a crash leaves all of them or none. It reports each
// machine that could not come in; err is for the commit.
func importAll(c *cli.Context, p *proc, dm *dmimport.Store, s *store.Store, names []string) (done []string, errs []error, err error) {
	b, err := s.BeginImport()
	if err != nil {
		return nil, nil, err
	}
	defer b.Discard()
	var reports []func()
	for _, name := range names {
		report, err := importOne(c, p, dm, b, name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		done, reports = append(done, name), append(reports, report)
	}
	if _, err := b.Commit(); err != nil {
		return nil, nil, err
	}
	for _, r := range reports {
		r()
	}
	return done, errs, nil
}

// importOne stages machine name and returns what to say once it is in.
func importOne(c *cli.Context, p *proc, dm *dmimport.Store, b *store.ImportBatch, name string) (func(), error) {
	if err := store.ValidateName("machine", name); err != nil {
		return nil, err
	}
	h, err := dm.Load(name)
	if err != nil {
		return nil, err
	}
	spec, warnings := h.Spec()
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("machine %q: its Docker Machine settings do not make a valid dockbake machine:\n%w", name, err)
	}
	req := store.ImportRequest{Spec: spec, CA: c.String("ca"), CAPair: h.CA, Server: h.Server, Client: h.Client,
		ToolVersion: toolVersion(), Force: c.Bool("force")}
	if req.CA == "" {
		req.CA = importCAName
	}
	err = b.Add(req)
	if errors.Is(err, store.ErrCAMismatch) && !c.IsSet("ca") {
		// A second Docker Machine store has a CA of its own.
		req.CA = importCAName + "-" + strings.ToLower(strings.ReplaceAll(pki.Fingerprint(h.CA.Cert), ":", ""))[:8]
		err = b.Add(req)
	}
	if errors.Is(err, store.ErrCAMismatch) {
		return nil, fmt.Errorf("machine %q: %w: choose another --ca", name, err)
	}
	if err != nil {
		return nil, err
	}
	return func() {
		for _, w := range append(h.Warnings, warnings...) {
			warnf(p.stderr, "%s: %s", name, w)
		}
		fmt.Fprintf(p.stderr, "Imported %s (%s, driver %s) with the shared CA %q\n", name, spec.URL(), h.Driver, req.CA)
	}, nil
}
