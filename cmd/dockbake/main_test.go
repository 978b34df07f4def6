package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dockbake/dockbake/internal/testenv"
)

func TestMain(m *testing.M) {
	if os.Getenv(asDockbake) == "1" {
		// The test binary as dockbake, for tests that trace it. Every
		// syscall of the command on one thread, so that strace's counts,
		// which are per thread, name the same step in every run.
		runtime.LockOSThread()
		os.Exit(run(os.Args, &proc{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}))
	}
	testscript.Main(m, map[string]func(){
		"dockbake": func() {
			os.Exit(run(os.Args, &proc{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}))
		},
	})
}

// asDockbake set to 1 in its environment makes the test binary run as
// dockbake.
const asDockbake = "DOCKBAKE_TEST_AS_DOCKBAKE"

// TestScripts runs the CLI scenarios in testdata/script: real invocations
// of the dockbake command, with the store in the script's work directory.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "script"),
		Setup: func(e *testscript.Env) error {
			e.Setenv("DOCKBAKE_STORAGE_PATH", filepath.Join(e.WorkDir, "store"))
			e.Setenv("SHELL", "/bin/bash")
			return nil
		},
		Condition: func(cond string) (bool, error) {
			// [need:PROGRAM] is true when PROGRAM is installed; when it is
			// missing the script skips, except in CI, where it fails.
			if prog, ok := strings.CutPrefix(cond, "need:"); ok {
				if _, err := exec.LookPath(prog); err != nil {
					if testenv.Strict() {
						return false, fmt.Errorf("%s is required in CI but missing", prog)
					}
					return false, nil
				}
				return true, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"mode":        cmdMode,
			"nocakey":     cmdNoCAKey,
			"cloudinit":   cmdCloudInit,
			"samecontent": cmdSameContent,
			"dmstore":     cmdDMStore,
		},
	})
}

// mode PATH OCTAL: the file's permission bits are exactly OCTAL.
func cmdMode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: mode PATH OCTAL")
	}
	fi, err := os.Stat(ts.MkAbs(args[0]))
	ts.Check(err)
	want, err := strconv.ParseUint(args[1], 8, 32)
	ts.Check(err)
	if got := uint64(fi.Mode().Perm()); (got == want) == neg {
		ts.Fatalf("%s has mode %04o; want %s%04o", args[0], got, map[bool]string{true: "not ", false: ""}[neg], want)
	}
}

// nocakey FILE: FILE holds no CA private key of any machine or shared CA
// in the store. It compares text, so give it a plain-text rendering (Butane
// rather than Ignition, whose contents are compressed).
func cmdNoCAKey(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: nocakey FILE")
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	keys, _ := filepath.Glob(filepath.Join(ts.Getenv("DOCKBAKE_STORAGE_PATH"), "*", "*", "ca-key.pem"))
	if len(keys) == 0 {
		ts.Fatalf("no CA keys found in the store to compare with")
	}
	for _, k := range keys {
		key, err := os.ReadFile(k)
		ts.Check(err)
		body := bytes.TrimSpace(key)
		if bytes.Contains(data, body) || bytes.Contains(data, body[40:80]) {
			ts.Fatalf("%s contains the CA key %s", args[0], k)
		}
	}
}

// cloudinit FILE: cloud-init's own schema check accepts FILE.
func cmdCloudInit(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: cloudinit FILE")
	}
	out, err := exec.Command("cloud-init", "schema", "--config-file", ts.MkAbs(args[0])).CombinedOutput()
	valid := err == nil && bytes.Contains(out, []byte("Valid cloud-config"))
	if valid == neg {
		ts.Fatalf("cloud-init schema (valid=%v):\n%s", valid, out)
	}
}

// samecontent A B: two files have the same bytes (cmp, without the diff
// output that would print key material).
func cmdSameContent(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: samecontent A B")
	}
	a, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	b, err := os.ReadFile(ts.MkAbs(args[1]))
	ts.Check(err)
	if bytes.Equal(a, b) == neg {
		ts.Fatalf("%s and %s: equal=%v", args[0], args[1], !neg)
	}
}
