package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/store"
)

// The output flags of create, render and regenerate-certs, and the
// user-data they write.

// userData renders a machine's user-data (or script) as the output flags
// ask, and prints the target's notes to stderr.
func userData(c *cli.Context, p *proc, m *store.Machine) ([]byte, error) {
	out, err := outputFromFlags(c)
	if err != nil {
		return nil, err
	}
	if err := osKnown(m); err != nil {
		return nil, err
	}
	plan, err := m.Plan()
	var corrupt *store.CorruptError
	if errors.As(err, &corrupt) || errors.Is(err, fs.ErrNotExist) {
		return nil, withHint(err, "dockbake rm --force %s and create it again", m.Name)
	}
	if err != nil {
		return nil, err
	}
	data, notes, err := generator.UserData(plan, out)
	var size *generator.SizeError
	if errors.As(err, &size) {
		return nil, sizeHint(c, m.Name, size, err)
	}
	if err != nil {
		return nil, withHint(err, "dockbake render --help lists the output flags")
	}
	for _, n := range notes {
		notef(p.stderr, "%s", n.Render(flagName))
	}
	return data, nil
}

// sizeHint says how to get user-data under the target's limit. A create
// that fails made nothing, so its hint is the create to run instead.
func sizeHint(c *cli.Context, name string, size *generator.SizeError, err error) error {
	created := c.Command.Name != "create"
	switch {
	case !size.Gzip && !size.Target.PlainOnly && created:
		return withHint(err, "dockbake render %s --target %s --gzip (with the same --format and --merge) prints it compressed", name, size.Target.Name)
	case !size.Gzip && !size.Target.PlainOnly:
		return withHint(err, "nothing was created: dockbake create %s --target %s --gzip (with the same addresses, --format, --merge and other flags) makes it compressed", name, size.Target.Name)
	case created:
		return withHint(err, "dockbake create %s --force --install none for an image with Docker, or with --key-type ecdsa-p256, makes a smaller one", name)
	}
	return withHint(err, "nothing was created: dockbake create %s --install none for an image with Docker, or with --key-type ecdsa-p256, makes a smaller one", name)
}

// outputFromFlags reads the output flags; --merge files are read here, so
// a missing one is reported before anything is created. They are read once
// a process: a command checks its flags before it makes anything and
// renders later, and a part from a pipe (--merge /dev/stdin) can be read
// only once.
func outputFromFlags(c *cli.Context) (generator.Output, error) {
	if out, ok := c.App.Metadata[outputKey].(generator.Output); ok {
		return out, nil
	}
	out, err := readOutputFlags(c)
	if err != nil {
		return out, err
	}
	if c.App.Metadata == nil {
		c.App.Metadata = map[string]any{}
	}
	c.App.Metadata[outputKey] = out
	return out, nil
}

// outputKey keeps the output flags as read, in the app's Metadata.
const outputKey = "dockbake.output"

// readOutputFlags reads the output flags and the --merge files.
func readOutputFlags(c *cli.Context) (generator.Output, error) {
	out := generator.Output{
		Format:   generator.Format(c.String("format")),
		Encoding: generator.Encoding{Gzip: c.Bool("gzip"), Base64: c.Bool("base64")},
		Target:   c.String("target"),
	}
	for _, name := range c.StringSlice("merge") {
		part, err := readMerge(name, mergeWait)
		if err != nil {
			return out, err
		}
		out.Merge = append(out.Merge, part)
	}
	return out, nil
}

// checkOutputFlags refuses output flags that cannot work for spec's OS,
// before create makes any key.
func checkOutputFlags(c *cli.Context, spec generator.Spec) error {
	out, err := outputFromFlags(c)
	if err != nil {
		return err
	}
	if spec.OS == generator.OSUnknown {
		return fmt.Errorf("machine %q: %w", spec.Name, generator.ErrOSUnknown)
	}
	o, ok := generator.LookupOS(spec.OS)
	if !ok {
		return nil // Validate reports it
	}
	return out.Check(o)
}

// osKnown refuses, before anything is written, a machine whose host's OS
// is not known (imported from Docker Machine without --os): its user-data
// depends on the OS.
func osKnown(m *store.Machine) error {
	if m.Spec.OS != generator.OSUnknown {
		return nil
	}
	return withHint(fmt.Errorf("machine %q: %w", m.Name, generator.ErrOSUnknown),
		"record the host's OS with dockbake import-docker-machine --force --os OS %s (OS is one of %s); the host keeps its certificates",
		m.Name, strings.Join(generator.OSNames(), ", "))
}

// checkOutput refuses to replace an existing --output file without --force:
// it may hold another host's key.
func checkOutput(c *cli.Context) error {
	out := c.String("output")
	if out == "" || out == "-" {
		return nil
	}
	// Checked before any key is made, so that create does not leave a
	// machine behind for want of a directory.
	if fi, err := os.Stat(filepath.Dir(out)); err != nil || !fi.IsDir() {
		return withHint(fmt.Errorf("--output %q: directory %q does not exist", out, filepath.Dir(out)), "create the directory first, or choose another --output")
	}
	fi, err := os.Lstat(out)
	if err != nil {
		return nil
	}
	if !c.Bool("force") {
		return withHint(fmt.Errorf("output file %q already exists", out), "choose another --output, or add --force to replace it")
	}
	// --force replaces a file; a directory, a link or a device (renaming
	// over /dev/full as root would replace it) is refused before anything
	// is made. Write to a device through stdout: dockbake render NAME > DEV.
	if !fi.Mode().IsRegular() {
		return withHint(fmt.Errorf("--output %q is not a regular file: not replacing it, even with --force", out), "choose a file for --output, or write to stdout")
	}
	return nil
}

// writeOutput writes user-data to --output (0600: it holds a private key)
// or to stdout.
func writeOutput(c *cli.Context, p *proc, data []byte) error {
	o, err := stageOutput(c, p, data)
	if err != nil {
		return err
	}
	return o.finish(p)
}

// stagedOutput is user-data written all but the last step, for a command
// that commits a change of the store in between: to a synced temporary
// file beside --output, renamed into place by finish, or to stdout at
// once. So a full disk or an unwritable directory fails the command
// before the store changes.
type stagedOutput struct {
	path, tmp string
}

// stageOutput writes data to a temporary file beside --output, or to
// stdout.
func stageOutput(c *cli.Context, p *proc, data []byte) (*stagedOutput, error) {
	out := c.String("output")
	if out == "" || out == "-" {
		if _, err := p.stdout.Write(data); err != nil {
			return nil, fmt.Errorf("writing the user-data to stdout: %w", err)
		}
		return &stagedOutput{}, nil
	}
	f, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*")
	if err != nil {
		return nil, fmt.Errorf("writing --output %q: %w", out, err)
	}
	o := &stagedOutput{path: out, tmp: f.Name()}
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		o.discard()
		err = fmt.Errorf("writing --output %q: %w", out, err)
		if errors.Is(err, syscall.ENOSPC) {
			return nil, withHint(err, "free space on the disk that holds %s and run the command again: nothing was changed", filepath.Dir(out))
		}
		return nil, err
	}
	return o, nil
}

// finish puts a staged --output file in place.
func (o *stagedOutput) finish(p *proc) error {
	if o.tmp == "" {
		return nil
	}
	if err := os.Rename(o.tmp, o.path); err != nil {
		o.discard()
		return fmt.Errorf("writing --output %q: %w", o.path, err)
	}
	o.tmp = ""
	fmt.Fprintf(p.stderr, "Wrote user-data to %s (mode 0600: it holds the host's private key)\n", o.path)
	return nil
}

// discard removes a staged --output file that was not put in place.
func (o *stagedOutput) discard() {
	if o.tmp != "" {
		os.Remove(o.tmp)
		o.tmp = ""
	}
}

// outputFlags are the flags that say how to write user-data, new for each
// command: urfave/cli keeps a flag's parsed value in the flag itself.
func outputFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the user-data to `FILE` (mode 0600) instead of stdout"},
		&cli.StringFlag{Name: "format", Aliases: []string{"f"}, DefaultText: "cloud-config, or ignition on Flatcar and Fedora CoreOS",
			Usage: "what to write: " + strings.Join(generator.FormatNames(), ", ")},
		&cli.StringSliceFlag{Name: "merge", Usage: "combine your own user-data `FILE` (cloud-config, script, boothook) with ours; needs --format mime (repeatable)"},
		&cli.BoolFlag{Name: "gzip", Usage: "compress the user-data (cloud-init unpacks it)"},
		&cli.BoolFlag{Name: "base64", Usage: "base64-encode the user-data (after --gzip)"},
		&cli.StringFlag{Name: "target", Usage: "check the user-data against `PROVIDER`'s size limit and encoding: " + strings.Join(generator.TargetNames(), ", ")},
	}
}
