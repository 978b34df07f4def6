package boottest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// bootTimeout bounds one benchmark boot.
const bootTimeout = 10 * time.Minute

// BenchmarkBootToTLS measures, for both modes, the seconds from starting
// systemd-nspawn to the first `docker version` over TLS (through `dockbake
// env`) that succeeds, and prints the median, minimum and maximum and the
// ratio of the medians. Each sub-benchmark boots once more than -benchtime
// asks for: Go's first run with b.N = 1 serves as a warm-up and is not
// counted (with -benchtime 1x that one boot is all). Run it with
// `make bench-boot`.
func BenchmarkBootToTLS(b *testing.B) {
	requireBoot(b)
	results := map[string][]time.Duration{}
	modes := []bootMode{installAtBoot, baked}
	for _, mode := range modes {
		b.Run(mode.name, func(b *testing.B) {
			times := benchBoots(b, mode)
			results[mode.name] = times // the last run, with the full b.N
			b.ReportMetric(0, "ns/op") // the mean of a few boots says little
			b.ReportMetric(median(times).Seconds(), "median-s")
			b.ReportMetric(times[0].Seconds(), "min-s")
			b.ReportMetric(times[len(times)-1].Seconds(), "max-s")
		})
	}
	fmt.Println("\nboot-to-TLS-ready, seconds from starting systemd-nspawn:")
	for _, mode := range modes {
		if times := results[mode.name]; len(times) > 0 {
			fmt.Printf("  %-16s %2d boots  median %5.1f  min %5.1f  max %5.1f\n", mode.name, len(times),
				median(times).Seconds(), times[0].Seconds(), times[len(times)-1].Seconds())
		}
	}
	install, baked := results[installAtBoot.name], results[baked.name]
	if len(install) > 0 && len(baked) > 0 {
		fmt.Printf("  ratio %s / %s (medians): %.1f\n", installAtBoot.name, "baked", median(install).Seconds()/median(baked).Seconds())
	}
}

// median returns the median of sorted times.
func median(times []time.Duration) time.Duration {
	n := len(times)
	if n%2 == 0 {
		return (times[n/2-1] + times[n/2]) / 2
	}
	return times[n/2]
}

// benchBoots boots a fresh machine of mode b.N times, one at a time, and
// returns each boot's time to TLS, sorted.
func benchBoots(b *testing.B, mode bootMode) []time.Duration {
	b.StopTimer()
	img := buildImage(b, context.Background(), mode)
	var times []time.Duration
	for range b.N {
		m := createMachine(b, b.TempDir(), "bench", mode.port(b), "--os", "debian-12", "--install", mode.install)
		b.StartTimer()
		d := bootToTLS(b, img, mode, m)
		b.StopTimer()
		times = append(times, d)
	}
	slices.Sort(times)
	return times
}

// bootToTLS boots m's user-data, waits for TLS and tears the guest down
// again, keeping its run directory and logging evidence on failure.
func bootToTLS(b *testing.B, img *Image, mode bootMode, m *machine) time.Duration {
	ctx, cancel := context.WithTimeout(context.Background(), bootTimeout)
	defer cancel()
	g, err := Boot(ctx, img, BootOptions{UserData: m.userData, HostNetwork: mode.hostNetwork})
	if err != nil {
		b.Fatal(err)
	}
	d, err := waitTLS(ctx, g, m)
	if err != nil {
		g.Keep = true
		b.Log(g.Evidence(context.Background()))
	}
	if cerr := g.Close(); cerr != nil {
		b.Errorf("teardown: %v", cerr)
	}
	if err != nil {
		b.Fatalf("%v (run directory kept: %s)", err, g.RunDir)
	}
	return d
}
