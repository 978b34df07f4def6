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
//	.lock            serialises writers
//
// Directories are 0700, keys 0600, certificates 0644. A machine is staged in
// a private directory and renamed into place, so it is completely there or
// not at all; nothing is replaced without Force.
package store
