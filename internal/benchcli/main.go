// Command benchcli times dockbake's read-only commands as whole processes:
// env, url, config and inspect of one machine, and ls of a store of many,
// each against a Go "hello world" built with the same toolchain and flags
// and run in the same loop, so that the figures and their ratio hold on a
// machine busy with other work. `make bench-cli` runs it; the figures go
// into docs/benchmarks.md.
//
// It execs each binary many times, interleaved, and prints the median wall
// time of each, its CPU time, and the difference and ratio against hello
// world. The store of many machines is made by cloning one machine that
// the real `dockbake create` made, written directly without fsync, and is
// kept between runs in the temporary directory.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "benchcli: error: %v\n", err)
		os.Exit(1)
	}
}

// options are the command line of benchcli.
type options struct {
	dockbake string // the binary under test
	ldflags  string // the -ldflags the binary was built with, for hello world
	tags     string // and its -tags
	runs     int    // runs of each single-machine command
	machines int    // machines in the store that ls lists
	lsRuns   int    // runs of ls
	cache    string // where the store of many machines is kept
	compare  string // another dockbake binary to time in the same loop, or ""
}

func run(args []string, out io.Writer) error {
	var o options
	fl := flag.NewFlagSet("benchcli", flag.ContinueOnError)
	fl.StringVar(&o.dockbake, "dockbake", "bin/dockbake", "the dockbake `BINARY` to time (make build)")
	fl.StringVar(&o.ldflags, "ldflags", "", "the -ldflags the binary was built with; hello world is built with them too")
	fl.StringVar(&o.tags, "tags", "", "the -tags the binary was built with; hello world is built with them too")
	fl.IntVar(&o.runs, "runs", 300, "runs of each single-machine command")
	fl.IntVar(&o.machines, "machines", 10000, "machines in the store that ls lists (0: skip ls)")
	fl.IntVar(&o.lsRuns, "ls-runs", 15, "runs of ls")
	fl.StringVar(&o.cache, "cache", filepath.Join(os.TempDir(), "dockbake-bench-cli"), "`DIR` that keeps the store of many machines between runs")
	fl.StringVar(&o.compare, "compare", "", "another dockbake `BINARY` (an earlier build) to time in the same loop")
	if err := fl.Parse(args); err != nil {
		return err
	}
	bin, err := filepath.Abs(o.dockbake)
	if err != nil {
		return err
	}
	o.dockbake = bin
	if o.compare != "" {
		if o.compare, err = filepath.Abs(o.compare); err != nil {
			return err
		}
	}
	work, err := os.MkdirTemp("", "benchcli-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	hello, err := buildHello(work, o.tags, o.ldflags)
	if err != nil {
		return err
	}
	return bench(o, work, hello, out)
}
