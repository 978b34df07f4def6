package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/dockbake/dockbake/generator"
)

// mergeWait is how long a --merge named pipe may take to get a writer,
// and then to deliver its part.
const mergeWait = time.Minute

// readMerge reads one --merge file. generator.ReadMergePart bounds the
// read, so /dev/zero or a pipe that never ends stops with an error; a
// named pipe (also <(command)) gets wait to open and wait to finish, so
// one that nothing writes to does not hang the command.
func readMerge(name string, wait time.Duration) (generator.MergePart, error) {
	f, err := openMerge(name, wait)
	if err != nil {
		return generator.MergePart{}, err
	}
	defer f.Close()
	// Only pipes take a deadline; files and devices end or hit the bound.
	_ = f.SetReadDeadline(time.Now().Add(wait))
	part, err := generator.ReadMergePart(name, f)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return part, withHint(fmt.Errorf("--merge %q: the pipe delivered no end of its part in %s", name, wait),
			"make the writer close the pipe when it is done, or give a file")
	}
	return part, err
}

// openMerge opens a --merge file; a named pipe blocks until a writer
// opens it, so it is opened aside and given up after wait.
func openMerge(name string, wait time.Duration) (*os.File, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return nil, fmt.Errorf("--merge %q: %w", name, errors.Unwrap(err))
	}
	if fi.Mode()&fs.ModeNamedPipe == 0 {
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("--merge %q: %w", name, errors.Unwrap(err))
		}
		return f, nil
	}
	type opened struct {
		f   *os.File
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		f, err := os.Open(name)
		ch <- opened{f, err} // after a timeout nobody reads it; the command is ending anyway
	}()
	select {
	case o := <-ch:
		if o.err != nil {
			return nil, fmt.Errorf("--merge %q: %w", name, errors.Unwrap(o.err))
		}
		return o.f, nil
	case <-time.After(wait):
		return nil, withHint(fmt.Errorf("--merge %q: a named pipe that nothing opened for writing in %s", name, wait),
			"start the command that writes to it first, or give a file")
	}
}
