// Package generator turns a machine spec into a Plan, the one description of
// what goes onto a Docker host, and renders that Plan for each way of
// delivering it (cloud-config user-data, and the client side's shell
// environment).
//
// Renderers decide only how to say things. What lands on the host is decided
// once, in BuildPlan.
package generator
