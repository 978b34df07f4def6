// Package pki makes the key pairs and X.509 certificates of a dockbake
// machine: a certificate authority, a server certificate for the Docker
// host and client certificates for the docker CLI.
//
// Each certificate role has one profile (see profile.go), so the key usages
// that decide who may talk to whom live in one place. Keys are ECDSA P-256
// by default; RSA is offered for old clients.
//
// pki and generator are dockbake's supported Go API: other programs may
// build on them, and their exported names change only with a new major
// version. store is the one on-disk model that dockbake's own front ends
// (the CLI, the Packer plugin, the Terraform provider) share; it is
// exported for them, not promised to others. Everything under internal/ is
// dockbake's own.
package pki
