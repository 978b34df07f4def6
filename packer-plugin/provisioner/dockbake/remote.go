package dockbake

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"strings"
	"sync"
	"time"

	packersdk "github.com/hashicorp/packer-plugin-sdk/packer"

	"github.com/dockbake/dockbake/generator"
)

// remote runs dockbake's steps on the build VM through Packer's
// communicator. Plain commands run as the SSH user; scripts run through
// execute_command, normally as root.
type remote struct {
	ctx     context.Context
	ui      packersdk.Ui
	comm    packersdk.Communicator
	execute func(path string) (string, error) // renders execute_command
}

// run runs command as the SSH user, collecting its output, and returns its
// exit status.
func (r *remote) run(command string) (int, string, error) {
	var out lockedBuffer
	cmd := &packersdk.RemoteCmd{Command: command, Stdout: &out, Stderr: &out}
	if err := r.comm.Start(r.ctx, cmd); err != nil {
		return 0, "", fmt.Errorf("starting %q on the build VM: %w", command, err)
	}
	status := cmd.Wait()
	if status == packersdk.CmdDisconnect {
		return status, out.String(), fmt.Errorf("%q: the build VM disconnected", command)
	}
	return status, out.String(), nil
}

// output runs command and returns its output, failing on a non-zero exit.
func (r *remote) output(command string) (string, error) {
	status, out, err := r.run(command)
	if err != nil {
		return "", err
	}
	if status != 0 {
		return "", &remoteError{command: command, status: status, output: out}
	}
	return out, nil
}

func (r *remote) detectOS() (string, error) {
	out, err := r.output("cat /etc/os-release")
	if err != nil {
		return "", fmt.Errorf("detecting the OS (set os to skip this): %w", err)
	}
	return osFromRelease(out)
}

// systemdRunning reports whether systemd is the build VM's init, as
// sd_booted(3) decides it.
func (r *remote) systemdRunning() (bool, error) {
	status, out, err := r.run("test -d /run/systemd/system")
	switch {
	case err != nil:
		return false, err
	case status > 1:
		return false, &remoteError{command: "test -d /run/systemd/system", status: status, output: out}
	}
	return status == 0, nil
}

// stagingRE is what a mktemp -d path must look like before it is used in
// scripts and execute_command unquoted.
var stagingRE = regexp.MustCompile(`^/[A-Za-z0-9._/-]+$`)

// mkStaging creates the private staging directory: mktemp -d makes it 0700
// and owned by the SSH user, so no other user of the build VM can read a
// key between upload and install.
func (r *remote) mkStaging() (string, error) {
	out, err := r.output(`mktemp -d "${TMPDIR:-/tmp}/dockbake.XXXXXXXXXX"`)
	if err != nil {
		return "", fmt.Errorf("creating the staging directory: %w", err)
	}
	dir := strings.TrimSpace(out)
	if !stagingRE.MatchString(dir) || strings.Contains(dir, "..") {
		return "", fmt.Errorf("creating the staging directory: mktemp returned %q, not a plain absolute path", dir)
	}
	return dir, nil
}

// removeStaging deletes the staging directory, which holds the server key.
// It runs even when the build was cancelled: r.ctx is done then, so the
// removal gets a context of its own, bounded in time.
func (r *remote) removeStaging(dir string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), time.Minute)
	defer cancel()
	cleanup := *r
	cleanup.ctx = ctx
	if _, err := cleanup.output("rm -rf -- " + generator.ShellQuote(dir)); err != nil {
		return fmt.Errorf("removing the staging directory: %w", err)
	}
	return nil
}

// upload writes content to dst with mode. Passing a FileInfo makes the SSH
// communicator create the file with that mode (without one it uses 0644),
// and spares it a local temporary copy.
func (r *remote) upload(dst string, content []byte, mode fs.FileMode) error {
	var fi os.FileInfo = fileInfo{name: path.Base(dst), size: int64(len(content)), mode: mode}
	return r.comm.Upload(dst, bytes.NewReader(content), &fi)
}

// runScript uploads s into the staging directory and runs it through
// execute_command, streaming its output to the UI. A non-zero exit fails
// with the script's output.
func (r *remote) runScript(staging string, i int, s step) error {
	p := path.Join(staging, fmt.Sprintf("step-%d.sh", i+1))
	if err := r.upload(p, []byte(s.script), 0o600); err != nil {
		return fmt.Errorf("%s: uploading %s: %w", s.title, p, err)
	}
	command, err := r.execute(p)
	if err != nil {
		return fmt.Errorf("execute_command: %w", err)
	}
	var out lockedBuffer
	cmd := &packersdk.RemoteCmd{Command: command, Stdout: &out, Stderr: &out}
	if err := cmd.RunWithUi(r.ctx, r.comm, r.ui); err != nil {
		return fmt.Errorf("%s: %w", s.title, err)
	}
	// RunWithUi reports only failures to start: the exit status is ours to check.
	if status := cmd.ExitStatus(); status != 0 {
		return fmt.Errorf("%s: %w", s.title, &remoteError{command: command, status: status, output: out.String()})
	}
	return nil
}

// remoteError is a command that exited non-zero on the build VM.
type remoteError struct {
	command string
	status  int
	output  string
}

func (e *remoteError) Error() string {
	msg := fmt.Sprintf("%q exited with status %d", e.command, e.status)
	if e.status == packersdk.CmdDisconnect {
		msg = fmt.Sprintf("%q: the build VM disconnected", e.command)
	}
	if out := tailLines(e.output, 40); out != "" {
		msg += ":\n" + out
	}
	if strings.Contains(e.output, "sudo:") {
		msg += "\nhint: sudo failed: a build VM that connects as root needs prevent_sudo = true; a sudo that wants a password needs an execute_command such as \"echo 'PASSWORD' | sudo -S sh {{.Path}}\""
	}
	return msg
}

// tailLines returns the last n lines of s.
func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// lockedBuffer collects a command's stdout and stderr, which communicators
// may write from two goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fileInfo describes an upload that exists only in memory.
type fileInfo struct {
	name string
	size int64
	mode fs.FileMode
}

func (f fileInfo) Name() string       { return f.name }
func (f fileInfo) Size() int64        { return f.size }
func (f fileInfo) Mode() fs.FileMode  { return f.mode }
func (f fileInfo) ModTime() time.Time { return time.Time{} }
func (f fileInfo) IsDir() bool        { return false }
func (f fileInfo) Sys() any           { return nil }
