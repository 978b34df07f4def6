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
//
// Directories are 0700, keys 0600, certificates 0644. A machine is staged in
// a private directory and renamed into place, so it is completely there or
// not at all; nothing is replaced without Force.
//
// A Machine is the one model of a machine: the record of machine.json with
// its spec typed and validated, where its files are, and its certificates as
// they were read together with the record. Load reads all of it under the
// shared lock, so a reader never mixes an old record with new certificates.
// The front ends (the CLI, the Packer plugin) convert their own inputs to
// CreateRequest and the like, and read Machine, at their edges only.
package store
