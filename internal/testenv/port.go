package testenv

import (
	"net"
	"os"
	"strconv"
	"sync"
	"testing"
)

// Test ports come from [portLow, portHigh): below Linux's ephemeral range
// (32768 and up), where a loop that dials a port before anything listens
// on it can connect to itself, its source port picked equal to the
// destination.
const (
	portLow  = 20000
	portHigh = 32768
)

var (
	portMu   sync.Mutex
	nextPort = portLow + os.Getpid()%(portHigh-portLow)
)

// Listen returns a TCP listener on host (an address of 127.0.0.0/8 or
// ::1; empty: every address, for a guest in the host's network namespace)
// at a free port below 32768, closed when the test ends.
func Listen(t testing.TB, host string) net.Listener {
	t.Helper()
	portMu.Lock()
	defer portMu.Unlock()
	for range portHigh - portLow {
		port := nextPort
		nextPort++
		if nextPort == portHigh {
			nextPort = portLow
		}
		l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err == nil {
			t.Cleanup(func() { l.Close() })
			return l
		}
	}
	t.Fatalf("no free TCP port on %q below %d", host, portHigh)
	return nil
}

// FreePort returns a TCP port below 32768 that is free on host right now
// (see Listen), for a program under test to listen on.
func FreePort(t testing.TB, host string) int {
	t.Helper()
	l := Listen(t, host)
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}
