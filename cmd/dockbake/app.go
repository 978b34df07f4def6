package main

import (
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dockbake/dockbake/store"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

// proc is everything of the process that the commands touch: its standard
// streams, environment and command line, injected so that tests run the
// real app in-process.
type proc struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	args           []string // the command line as typed
	// disk is the store's file layer; nil is the operating system's. Tests
	// put one here that stops the command at a chosen step.
	disk store.Disk
}

func toolVersion() string {
	bi, ok := debug.ReadBuildInfo()
	return buildOf(version, commit, bi, ok).Version
}

func newApp(p *proc) *cli.App {
	return &cli.App{
		Name:    "dockbake",
		Usage:   "remote Docker hosts with TLS done right, set up by cloud-init, no SSH",
		Version: toolVersion(),
		Flags: []cli.Flag{
			// No EnvVars: openStore reads $DOCKBAKE_STORAGE_PATH through
			// proc, and tells an empty flag from an unset one.
			&cli.StringFlag{Name: "storage-path", Aliases: []string{"s"},
				Usage: "store `DIR` (default $DOCKBAKE_STORAGE_PATH, else ~/.docker/dockbake)"},
		},
		Commands: []*cli.Command{
			createCommand(p), renderCommand(p), envCommand(p), lsCommand(p),
			inspectCommand(p), urlCommand(p), configCommand(p), rmCommand(p),
			regenerateCommand(p), verifyCommand(p), contextCommand(p), clientCommand(p),
			importCommand(p), attachCommand(p), fleetCommand(p), completionCommand(p), versionCommand(p), completeCommand(p),
		},
		Reader:                    p.stdin,
		Writer:                    p.stdout,
		ErrWriter:                 p.stderr,
		DisableSliceFlagSeparator: true, // a label value may contain commas
		HideHelpCommand:           true,
		ExitErrHandler:            func(*cli.Context, error) {},
	}
}

// run executes the app and turns its error into messages and an exit code.
func run(args []string, p *proc) int {
	p.args = args
	app := newApp(p)
	err := app.Run(reorderArgs(app, args))
	if err == nil {
		return 0
	}
	var code exitCode
	if errors.As(err, &code) {
		return int(code)
	}
	printError(p.stderr, err)
	return 1
}

// hintError carries the next step to suggest with an error.
type hintError struct {
	err  error
	hint string
}

func (h *hintError) Error() string { return h.err.Error() }
func (h *hintError) Unwrap() error { return h.err }

func withHint(err error, format string, args ...any) error {
	return &hintError{err: err, hint: fmt.Sprintf(format, args...)}
}

// printError prints err with the core's fields named as flags, each
// problem once.
func printError(w io.Writer, err error) {
	seen := map[string]bool{}
	for _, line := range strings.Split(renderError(err), "\n") {
		if !seen[line] {
			seen[line] = true
			fmt.Fprintf(w, "dockbake: error: %s\n", line)
		}
	}
	var h *hintError
	if errors.As(err, &h) && h.hint != "" {
		fmt.Fprintf(w, "dockbake: hint: %s\n", h.hint)
	}
}

// warnf prints a warning: a problem that does not stop the command.
func warnf(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "dockbake: warning: "+format+"\n", args...)
}

// notef prints a note: something to know that is not a problem.
func notef(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "dockbake: note: "+format+"\n", args...)
}

// reorderArgs moves a subcommand's flags in front of its positional
// arguments, and global flags (--storage-path) given after the command in
// front of it: urfave/cli stops at the first positional argument, and
// `dockbake create web1 --ip 203.0.113.10 --storage-path DIR` is how people
// type it.
func reorderArgs(app *cli.App, args []string) []string {
	i := 1
	for i < len(args) && strings.HasPrefix(args[i], "-") {
		if takesValue(app.Flags, args[i]) {
			i++
		}
		i++
	}
	if i >= len(args) {
		return args
	}
	cmd := app.Command(args[i])
	if cmd == nil || cmd.SkipFlagParsing {
		return args
	}
	// A subcommand (client add, context rm) owns the flags that follow it.
	for i+1 < len(args) && cmd.Command(args[i+1]) != nil {
		i++
		cmd = cmd.Command(args[i])
	}
	var globals, flags, pos []string
	rest := args[i+1:]
	for j := 0; j < len(rest); j++ {
		a := rest[j]
		switch {
		case a == "--":
			pos = append(pos, rest[j+1:]...)
			j = len(rest)
		case strings.HasPrefix(a, "-") && a != "-":
			into, defs := &flags, cmd.Flags
			if flagNamed(cmd.Flags, a) == nil && flagNamed(app.Flags, a) != nil {
				into, defs = &globals, app.Flags
			}
			*into = append(*into, a)
			if takesValue(defs, a) && j+1 < len(rest) {
				*into = append(*into, rest[j+1])
				j++
			}
		default:
			pos = append(pos, a)
		}
	}
	out := append([]string{args[0]}, globals...)
	out = append(append(out, args[1:i+1]...), flags...)
	if len(pos) > 0 {
		out = append(append(out, "--"), pos...)
	}
	return out
}

// takesValue reports whether the flag token names a flag that takes a
// separate value argument.
func takesValue(flags []cli.Flag, tok string) bool {
	if strings.Contains(tok, "=") {
		return false
	}
	f := flagNamed(flags, tok)
	_, isBool := f.(*cli.BoolFlag)
	return f != nil && !isBool
}

// flagNamed finds the flag a token such as --ip or --ip=x names.
func flagNamed(flags []cli.Flag, tok string) cli.Flag {
	name, _, _ := strings.Cut(strings.TrimLeft(tok, "-"), "=")
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return f
			}
		}
	}
	return nil
}
