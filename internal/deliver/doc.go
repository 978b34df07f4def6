// Package deliver hands a host new TLS files through its own Docker API,
// the client side of the apply mechanism that docs/after-boot.md
// describes: it dials the host trusting only a pinned server certificate,
// writes a generator.Delivery into the host's spool through a created,
// never started, container, reads the outcome back, waits until the host
// serves the new certificate, and removes what it made, also when the
// context is cancelled. It never writes the store: a caller records the
// new files only once Deliver has returned them served.
package deliver
