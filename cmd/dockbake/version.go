package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/urfave/cli/v2"
)

// commit is set at build time with -ldflags "-X main.commit=...".
var commit = ""

func versionCommand(p *proc) *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print dockbake's version and the commit it was built from",
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return withHint(fmt.Errorf("version takes no arguments, got %q", c.Args().First()), "dockbake version")
			}
			bi, ok := debug.ReadBuildInfo()
			_, err := fmt.Fprintln(p.stdout, buildOf(version, commit, bi, ok))
			return err
		},
	}
}

// build describes the running binary.
type build struct {
	Version, Commit, Go, Platform string
}

func (b build) String() string {
	return fmt.Sprintf("dockbake %s (commit %s, %s %s)", b.Version, b.Commit, b.Go, b.Platform)
}

// buildOf prefers the values set with -ldflags -X and falls back to what the
// Go toolchain recorded: the module version of `go install ...@v1.2.3`, and
// the VCS revision of a build inside a checkout, marked "-dirty" when the
// tree had changes.
func buildOf(version, commit string, bi *debug.BuildInfo, ok bool) build {
	b := build{Version: version, Commit: commit, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if ok {
		if b.Version == "" && bi.Main.Version != "" {
			b.Version = bi.Main.Version
		}
		if bi.GoVersion != "" {
			b.Go = bi.GoVersion
		}
		var revision string
		var modified bool
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if b.Commit == "" && revision != "" {
			b.Commit = revision
			if modified {
				b.Commit += "-dirty"
			}
		}
	}
	if b.Version == "" {
		b.Version = "(devel)"
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	return b
}
