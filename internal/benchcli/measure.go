package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"text/tabwriter"
	"time"
)

// helloSource is the program every figure is compared with.
const helloSource = `package main

import "fmt"

func main() { fmt.Println("hello, world") }
`

// buildHello builds hello world in dir with the toolchain, -tags and
// -ldflags dockbake was built with, and returns its path.
func buildHello(dir, tags, ldflags string) (string, error) {
	src := filepath.Join(dir, "hello")
	if err := os.MkdirAll(src, 0o700); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte("module hello\n\ngo 1.21\n"), 0o600); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(src, "main.go"), []byte(helloSource), 0o600); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "hello-world")
	cmd := exec.Command("go", "build", "-tags", tags, "-ldflags", ldflags, "-o", bin, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0") // as make build
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building hello world: %w\n%s", err, out)
	}
	return bin, nil
}

// command is one process to time.
type command struct {
	label string
	argv  []string
	env   []string
}

// sample is the cost of one run.
type sample struct{ wall, cpu time.Duration }

// once runs c and returns its cost; a run that fails is an error with its
// stderr, since the figure of a failing command means nothing.
func (c command) once() (sample, error) {
	cmd := exec.Command(c.argv[0], c.argv[1:]...)
	cmd.Env = append(os.Environ(), c.env...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return sample{}, fmt.Errorf("%s: %w\n%s", c.label, err, stderr.Bytes())
	}
	ps := cmd.ProcessState
	return sample{wall: wall, cpu: ps.UserTime() + ps.SystemTime()}, nil
}

// timeAll runs every command runs times, interleaved, so that a change of
// the machine's load touches each alike, after one warm-up run of each.
func timeAll(cmds []command, runs int) ([][]sample, error) {
	got := make([][]sample, len(cmds))
	for i := -1; i < runs; i++ {
		for j, c := range cmds {
			s, err := c.once()
			if err != nil {
				return nil, err
			}
			if i >= 0 {
				got[j] = append(got[j], s)
			}
		}
	}
	return got, nil
}

// median is the median wall and CPU time of samples.
func median(samples []sample) sample {
	walls := make([]time.Duration, len(samples))
	cpus := make([]time.Duration, len(samples))
	for i, s := range samples {
		walls[i], cpus[i] = s.wall, s.cpu
	}
	slices.Sort(walls)
	slices.Sort(cpus)
	return sample{wall: walls[len(walls)/2], cpu: cpus[len(cpus)/2]}
}

// report prints one table: the median of each command, and its difference
// and ratio against the first, hello world.
func report(out io.Writer, title string, cmds []command, got [][]sample) error {
	fmt.Fprintf(out, "%s (%d runs each, medians; %s, %s/%s, %d CPUs)\n", title, len(got[0]),
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "command\twall\tcpu\tminus hello\tratio\t")
	base := median(got[0])
	for i, c := range cmds {
		m := median(got[i])
		fmt.Fprintf(tw, "%s\t%s\t%s\t%+.2f ms\t%.2fx\t\n", c.label, ms(m.wall), ms(m.cpu),
			float64(m.wall-base.wall)/1e6, float64(m.wall)/float64(base.wall))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(out)
	return err
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }
