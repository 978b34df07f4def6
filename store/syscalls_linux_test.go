package store

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dockbake/dockbake/internal/testenv"
)

// fileCalls are the system calls of the file layer that the staging and
// commit of a machine can make, counted by strace.
const fileCalls = "openat,open,creat,newfstatat,fstat,lstat,stat,statx,read,write,close,fchmod,chmod,fchmodat,fcntl," +
	"mkdirat,mkdir,renameat,renameat2,rename,unlinkat,unlink,rmdir,getdents64,fsync,fdatasync,syncfs,epoll_ctl"

// maxCallsPerMachine bounds what a batch spends on the disk per new
// machine: eight files (create, write, close each), two directories and
// their two moves. It was 60 when each file was also chmodded and had its
// flags read, each path was looked at four times and each move looked at
// its target once more.
const maxCallsPerMachine = 28

// The system calls of a batch that creates machines grow by at most
// maxCallsPerMachine a machine: counted by strace for two batches, of 10
// and of 40 machines, in a child process, whose fixed costs cancel out.
func TestBatchSyscallsPerMachine(t *testing.T) {
	strace := testenv.LookPath(t, "strace", "apt-get install strace")
	calls := func(n int) int {
		out := filepath.Join(t.TempDir(), "strace")
		cmd := exec.Command(strace, "-f", "-qq", "-c", "-o", out, "-e", "trace="+fileCalls,
			os.Args[0], "-test.run=^TestBatchSyscallsChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), fmt.Sprintf("DOCKBAKE_BATCH_CHILD=%d:%s", n, t.TempDir()))
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("strace of a batch of %d: %v\n%s", n, err, b)
		}
		return straceTotal(t, out)
	}
	few, many := calls(10), calls(40)
	per := float64(many-few) / 30
	t.Logf("%d calls for 10 machines, %d for 40: %.1f a machine", few, many, per)
	if per > maxCallsPerMachine {
		t.Errorf("%.1f file system calls a machine, want at most %d", per, maxCallsPerMachine)
	}
}

// TestBatchSyscallsChild is the child of TestBatchSyscallsPerMachine: it
// issues the machines first, then lists the store, and stages and commits
// them in one batch, as fleet apply does.
func TestBatchSyscallsChild(t *testing.T) {
	n, dir, ok := strings.Cut(os.Getenv("DOCKBAKE_BATCH_CHILD"), ":")
	if !ok {
		t.Skip("run by TestBatchSyscallsPerMachine")
	}
	count, _ := strconv.Atoi(n)
	s, err := Open(filepath.Join(dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	reqs, issued := make([]CreateRequest, count), make([]*Issued, count)
	for i := range reqs {
		reqs[i] = req(fmt.Sprintf("m%d", i))
		if issued[i], err = s.Issue(reqs[i]); err != nil {
			t.Fatal(err)
		}
	}
	b, err := s.BeginBatch("t")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Discard()
	if _, err := b.Names(); err != nil {
		t.Fatal(err)
	}
	for i := range reqs {
		if _, err := b.Create(reqs[i], issued[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
}

// straceTotal is the number of calls on the total line of strace -c.
func straceTotal(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) >= 5 && fields[len(fields)-1] == "total" {
			n, err := strconv.Atoi(fields[3])
			if err == nil {
				return n
			}
		}
	}
	t.Fatalf("no total line in the strace summary %s", path)
	return 0
}
