package dockbake

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"

	packersdk "github.com/hashicorp/packer-plugin-sdk/packer"
)

// upload is one file a test communicator received.
type upload struct {
	path    string
	content []byte
	mode    fs.FileMode // from the FileInfo; 0 when none was passed
}

// recordingComm is a packersdk.Communicator that keeps every upload and
// every command in order (the SDK's MockCommunicator keeps only the last),
// and answers commands through respond.
type recordingComm struct {
	mu       sync.Mutex
	uploads  []upload
	commands []string
	// respond returns a command's output and exit status; nil answers
	// everything with no output and status 0.
	respond func(command string) (string, int)
}

// Start records cmd; like the SSH communicator, it starts nothing once ctx
// is done.
func (c *recordingComm) Start(ctx context.Context, cmd *packersdk.RemoteCmd) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.commands = append(c.commands, cmd.Command)
	c.mu.Unlock()
	out, status := "", 0
	if c.respond != nil {
		out, status = c.respond(cmd.Command)
	}
	go func() {
		if out != "" && cmd.Stdout != nil {
			io.WriteString(cmd.Stdout, out)
		}
		cmd.SetExited(status)
	}()
	return nil
}

func (c *recordingComm) Upload(dst string, r io.Reader, fi *os.FileInfo) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	u := upload{path: dst, content: b}
	if fi != nil {
		u.mode = (*fi).Mode()
		if (*fi).Size() != int64(len(b)) {
			return fmt.Errorf("upload %s: FileInfo says %d bytes, reader gave %d", dst, (*fi).Size(), len(b))
		}
	}
	c.mu.Lock()
	c.uploads = append(c.uploads, u)
	c.mu.Unlock()
	return nil
}

func (c *recordingComm) UploadDir(string, string, []string) error {
	return fmt.Errorf("UploadDir is not expected")
}

func (c *recordingComm) Download(string, io.Writer) error {
	return fmt.Errorf("Download is not expected")
}

func (c *recordingComm) DownloadDir(string, string, []string) error {
	return fmt.Errorf("DownloadDir is not expected")
}

// file returns the last upload to path.
func (c *recordingComm) file(path string) (upload, bool) {
	for i := len(c.uploads) - 1; i >= 0; i-- {
		if c.uploads[i].path == path {
			return c.uploads[i], true
		}
	}
	return upload{}, false
}

// vm answers commands like a build VM: a fixed staging directory, an
// os-release, systemd running or not, and every script exiting 0 unless
// fail names a fragment of its content.
type vm struct {
	comm      *recordingComm
	osRelease string
	systemd   bool
	// fail makes the script containing this fragment exit 1 with
	// failOutput.
	fail, failOutput string
}

const testStaging = "/tmp/dockbake.Ab3dE5fG7h"

func newVM(systemd bool) *vm {
	v := &vm{comm: &recordingComm{}, systemd: systemd,
		osRelease: "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n"}
	v.comm.respond = v.respond
	return v
}

func (v *vm) respond(command string) (string, int) {
	switch {
	case strings.HasPrefix(command, "mktemp -d"):
		return testStaging + "\n", 0
	case command == "cat /etc/os-release":
		return v.osRelease, 0
	case command == "test -d /run/systemd/system":
		if v.systemd {
			return "", 0
		}
		return "", 1
	case strings.Contains(command, testStaging+"/step-"):
		script := command[strings.Index(command, testStaging):]
		script, _, _ = strings.Cut(script, " ")
		if u, ok := v.comm.file(script); ok && v.fail != "" && strings.Contains(string(u.content), v.fail) {
			return v.failOutput, 1
		}
	}
	return "", 0
}

// recordingUi keeps everything said and every error, in order.
type recordingUi struct {
	packersdk.MockUi
	mu    sync.Mutex
	lines []string
}

func (u *recordingUi) Say(m string) { u.add(m) }

func (u *recordingUi) Sayf(f string, a ...any) { u.add(fmt.Sprintf(f, a...)) }

func (u *recordingUi) Message(m string) { u.add(m) }

func (u *recordingUi) Error(m string) { u.add("error: " + m) }

func (u *recordingUi) Errorf(f string, a ...any) { u.add("error: " + fmt.Sprintf(f, a...)) }

func (u *recordingUi) add(m string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.lines = append(u.lines, m)
}

func (u *recordingUi) String() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return strings.Join(u.lines, "\n")
}
