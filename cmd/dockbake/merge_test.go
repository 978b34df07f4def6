//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fifo makes a named pipe and, if write is set, runs it as the pipe's
// writer until the reader goes away or the test ends.
func fifo(t *testing.T, write func(f *os.File)) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "part.fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	if write == nil {
		// Release a reader still waiting in open once the test is over.
		t.Cleanup(func() {
			if w, err := os.OpenFile(p, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				w.Close()
			}
		})
	} else {
		done := make(chan struct{})
		go func() {
			defer close(done)
			f, err := os.OpenFile(p, os.O_WRONLY, 0)
			if err != nil {
				return
			}
			defer f.Close()
			write(f)
		}()
		t.Cleanup(func() {
			// Unblock a writer still waiting for a reader, then wait for it.
			if r, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
				r.Close()
			}
			<-done
		})
	}
	return p
}

// TestReadMergeEndsOnPipesAndDevices: what never ends, or never starts,
// ends with a clear error instead of a hang or a full memory.
func TestReadMergeEndsOnPipesAndDevices(t *testing.T) {
	const wait = 300 * time.Millisecond
	for _, tc := range []struct {
		name    string
		path    func(t *testing.T) string
		wantErr string
	}{
		{"a pipe that never ends", func(t *testing.T) string {
			return fifo(t, func(f *os.File) {
				f.WriteString("#cloud-config\n")
				for line := []byte(strings.Repeat("# padding\n", 100)); ; {
					if _, err := f.Write(line); err != nil {
						return // the reader stopped
					}
				}
			})
		}, "larger than 262,144 bytes, the most user-data any provider takes"},
		{"/dev/zero", func(*testing.T) string { return "/dev/zero" }, "larger than 262,144 bytes"},
		{"a pipe nothing writes to", func(t *testing.T) string { return fifo(t, nil) }, "a named pipe that nothing opened for writing in 300ms"},
		{"a pipe that stays silent", func(t *testing.T) string {
			return fifo(t, func(*os.File) { time.Sleep(3 * wait) })
		}, "the pipe delivered no end of its part in 300ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := readMerge(tc.path(t), wait)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want %q", err, tc.wantErr)
			}
			if d := time.Since(start); d > 10*wait {
				t.Errorf("took %s", d)
			}
		})
	}
	// A pipe that delivers a part in time is read like a file.
	p := fifo(t, func(f *os.File) { f.WriteString("#!/bin/sh\necho hi\n") })
	if part, err := readMerge(p, 5*time.Second); err != nil || string(part.Content) != "#!/bin/sh\necho hi\n" {
		t.Errorf("readMerge = %q, %v", part.Content, err)
	}
}
