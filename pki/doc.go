// Package pki makes the key pairs and X.509 certificates of a dockbake
// machine: a certificate authority, a server certificate for the Docker
// host and client certificates for the docker CLI.
//
// Each certificate role has one profile (see profile.go), so the key usages
// that decide who may talk to whom live in one place. Keys are ECDSA P-256
// by default; RSA is offered for old clients.
package pki
