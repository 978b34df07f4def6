package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/internal/dmimport"
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
in certs/, and says which file it took for what. Nothing changes on the hosts, and
the Docker Machine store is left as it is. Without NAME every machine is imported.
Docker Machine's CA becomes the shared CA "docker-machine", so dockbake
regenerate-certs and client add work for these machines too.

Only files inside the store are read: a path in config.json (or a symbolic link)
that leads to another store is refused unless --allow-outside-store. A store that
was moved still names its old place in config.json; those paths are read at the
same place in this store. config.json does not record the hosts' OS: without --os
it is recorded as unknown, and render and regenerate-certs ask for it.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "machine-storage-path", Usage: "the Docker Machine store `DIR` (default $MACHINE_STORAGE_PATH or ~/.docker/machine)"},
			&cli.StringFlag{Name: "ca", Usage: "keep Docker Machine's CA as the shared CA `NAME`", DefaultText: importCAName},
			&cli.StringFlag{Name: "os", Usage: "the `OS` the hosts run, for render: " + strings.Join(generator.OSNames(), ", "), DefaultText: "unknown"},
			&cli.BoolFlag{Name: "allow-outside-store", Usage: "read the files config.json names (or symbolic links lead to) outside the Docker Machine store, such as another store's CA"},
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
	if osID := c.String("os"); osID != generator.OSUnknown {
		if _, ok := generator.LookupOS(osID); !ok {
			return withHint(&generator.FieldError{Field: generator.FieldOS, Value: osID, Msg: "unknown OS"},
				"use one of %s, or leave --os out to record it as unknown", strings.Join(generator.OSNames(), ", "))
		}
	}
	dm, err := dmimport.Open(root)
	if err != nil {
		return withHint(err, "point --machine-storage-path (or MACHINE_STORAGE_PATH) at the directory with certs/ and machines/")
	}
	dm.AllowOutside = c.Bool("allow-outside-store")
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
	fmt.Fprintf(p.stderr, "Reading the Docker Machine store %s; the files below are in it unless marked\n", dm.Root)
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
	var outside *dmimport.OutsideError
	if errors.As(errors.Join(errs...), &outside) {
		return withHint(errors.Join(errs...), "point --machine-storage-path at the store that holds those files, or, if reading them there is meant (a CA shared with another store, a store of symbolic links), add --allow-outside-store")
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
	spec, warnings := h.Spec(c.String("os"))
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
		reportImport(p, h, spec)
	}, nil
}

// reportImport says where each file of h came from and what the import
// recorded that config.json does not hold.
func reportImport(p *proc, h *dmimport.Host, spec generator.Spec) {
	line := func(what, text string) { fmt.Fprintf(p.stderr, "  %-18s  %s\n", what, text) }
	for _, f := range h.Files {
		line(f.Role, f.Source())
	}
	for _, n := range h.Notes {
		line("engine", n)
	}
	if spec.OS == generator.OSUnknown {
		line("OS", fmt.Sprintf("unknown (config.json does not record it): render and regenerate-certs need it; dockbake import-docker-machine --force --os OS %s records it", h.Name))
	} else {
		line("OS", spec.OS+" (from --os)")
	}
}
