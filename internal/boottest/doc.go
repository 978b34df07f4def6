// Package boottest boots a real Debian guest with cloud-init under
// systemd-nspawn, so tests can prove that dockbake's user-data turns a fresh
// machine into a TLS-protected Docker host.
//
// The flow is: [BuildImage] bootstraps a Debian root filesystem with
// mmdebstrap once and caches it, keyed by its package list and test-only
// settings; [Boot] mounts a copy-on-write overlay of that image, seeds the
// user-data under test as a NoCloud datasource and starts
// `systemd-nspawn --boot`; the returned [Guest] runs commands inside the
// guest ([Guest.Command]) or host programs inside the guest's network
// namespace ([Guest.NetCommand]); [Guest.Close] tears everything down and
// verifies that no process, mount or cgroup is left behind.
//
// Guests get their own network namespace by default, so parallel runs do not
// clash and the guest cannot touch the host's network. [BootOptions.HostNetwork]
// shares the host's namespace for guests that must reach a package mirror.
//
// Everything here needs root, systemd-nspawn, mmdebstrap and nsenter; see
// [Prerequisites] and [Require]. docs/boot-test.md describes the harness.
package boottest
