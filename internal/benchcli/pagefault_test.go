//go:build linux

package main

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// BenchmarkPageFault is the cost of a page fault on this machine: each
// iteration maps fresh anonymous memory and touches one byte of each of
// its pages, so that each page is faulted in once. Start-up figures of
// docs/benchmarks.md count page faults; this is what one costs.
//
//	go test -run '^$' -bench PageFault ./internal/benchcli
func BenchmarkPageFault(b *testing.B) {
	const pages = 256
	size := pages * os.Getpagesize()
	for b.Loop() {
		mem, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < size; i += os.Getpagesize() {
			mem[i] = 1
		}
		if err := unix.Munmap(mem); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*pages), "ns/fault")
}
