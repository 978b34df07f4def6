// Package store keeps dockbake machines on disk.
//
// Layout below the root (default ~/.docker/dockbake):
//
//	machines/NAME/   ca.pem cert.pem key.pem: what DOCKER_CERT_PATH points at,
//	                 exactly what a docker client needs and nothing else
//	hosts/NAME/      machine.json, server.pem, server-key.pem and, for a machine
//	                 with its own CA, ca.pem and ca-key.pem; clients/USER.pem
//	                 keeps each teammate's certificate (never its key)
//	cas/NAME/        ca.pem, ca-key.pem of a CA shared with --ca NAME
//	.lock            writers take it alone, readers together
//	.staging/        changes being made, each in a directory of its own
//
// Directories are 0700, keys 0600, certificates 0644; nothing is replaced
// without Force, and no symbolic link inside the store is followed.
//
// Every change is a transaction (txn.go): staged in full under .staging,
// synced, committed by renaming its journal into force, then renamed into
// place. The next holder of the lock rolls a committed change forward and
// removes whatever else a killed command left, so a crash at any instant
// leaves each machine as it was or as it was to be, never a mix, and no
// key behind. A front end that must check its output before anything
// changes stages a Change (StageCreate, StageRotate), renders from it and
// commits last. Every read and change goes through Disk, one call per
// step: the tests fail or stop the store at each step in turn
// (docs/reliability.md).
//
// A Machine is the one model of a machine: the record of machine.json with
// its spec typed and validated, where its files are, and its certificates as
// they were read together with the record. Load reads all of it under the
// shared lock, so a reader never mixes an old record with new certificates.
// The front ends (the CLI, the Packer plugin) convert their own inputs to
// CreateRequest and the like, and read Machine, at their edges only.
package store
