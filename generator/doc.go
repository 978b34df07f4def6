// Package generator turns a machine spec into a Plan, the one description of
// what goes onto a Docker host, and renders that Plan for each way of
// delivering it: cloud-config user-data, MIME multipart user-data with the
// user's own parts, a POSIX sh script for a running host, Butane and
// Ignition for Flatcar and Fedora CoreOS, and the client side's shell
// environment. Encodings (gzip, base64) and the providers' size limits
// apply to every user-data format alike.
//
// Renderers decide only how to say things. What lands on the host is decided
// once, in BuildPlan, from the OS table in os.go.
//
// generator and pki are dockbake's supported Go API (see package pki for
// what that promises); the Example functions show the intended use.
package generator
