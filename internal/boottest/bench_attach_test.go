package boottest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"
)

// BenchmarkBootToAttached measures the after-boot path on baked guests
// booted from `dockbake create` without an address: the seconds from
// starting systemd-nspawn until `docker ps` works through `dockbake env`
// after `dockbake attach --wait` (started with the boot, as a script right
// after launching an instance would), and the seconds of one
// `regenerate-certs --apply` (delivery to the new certificate served).
// Run it with `make bench-boot`.
func BenchmarkBootToAttached(b *testing.B) {
	requireBoot(b)
	b.StopTimer()
	img := buildImage(b, context.Background(), baked)
	var attached, applied []time.Duration
	for range b.N {
		a, p := bootToAttached(b, img)
		attached, applied = append(attached, a), append(applied, p)
	}
	slices.Sort(attached)
	slices.Sort(applied)
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(median(attached).Seconds(), "attached-median-s")
	b.ReportMetric(median(applied).Seconds(), "apply-median-s")
	fmt.Printf("\nafter boot, baked guests without an address (%d boots):\n", len(attached))
	fmt.Printf("  boot to docker ps through attach --wait  median %5.1f  min %5.1f  max %5.1f\n", median(attached).Seconds(), attached[0].Seconds(), attached[len(attached)-1].Seconds())
	fmt.Printf("  one regenerate-certs --apply            median %5.1f  min %5.1f  max %5.1f\n", median(applied).Seconds(), applied[0].Seconds(), applied[len(applied)-1].Seconds())
}

// bootToAttached boots one guest, attaches it while it boots, and applies
// one rotation; it returns both times and tears the guest down.
func bootToAttached(b *testing.B, img *Image) (attached, applied time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), bootTimeout)
	defer cancel()
	m := createBare(b, b.TempDir(), "web1", baked.port(b), "--os", "debian-12", "--install", baked.install)
	g, err := Boot(ctx, img, BootOptions{UserData: m.userData})
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if cerr := g.Close(); cerr != nil {
			b.Errorf("teardown: %v", cerr)
		}
	}()
	port := strconv.Itoa(m.port)
	run := func(name string, args ...string) {
		cmd := g.NetCommand(ctx, name, args...)
		cmd.Env = m.env()
		if out, err := cmd.CombinedOutput(); err != nil {
			g.Keep = true
			b.Fatalf("%s %v: %v\n%s\n%s", name, args, err, out, g.Evidence(context.Background()))
		}
	}
	run(dockbakeBin, "attach", "web1", "--ip", "127.0.0.2", "--port", port, "--wait", "--timeout", "5m")
	run("bash", "-c", `eval "$(dockbake env web1)" && docker ps`)
	attached = time.Since(g.Started)
	start := time.Now()
	run(dockbakeBin, "regenerate-certs", "web1", "--ip", "127.0.0.3", "--apply")
	return attached, time.Since(start)
}
