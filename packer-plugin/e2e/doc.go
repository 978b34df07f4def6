// Package e2e runs the plugin under a real packer binary: `packer
// validate` of every example template, the data source through `packer
// build`, and a `packer build` over SSH into a booted Debian guest whose
// dockerd the docker CLI then reaches with `dockbake env`.
//
// The packer binary comes from $DOCKBAKE_PACKER or the cache of
// scripts/build-packer.sh; tests that lack it, or root and
// systemd-nspawn for the guest, skip, and fail instead when CI=true or
// DOCKBAKE_REQUIRE_E2E=1. Every packer run has CHECKPOINT_DISABLE=1 and
// its own config, cache and plugin directories.
package e2e
