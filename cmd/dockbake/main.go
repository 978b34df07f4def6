// Command dockbake makes remote Docker hosts with TLS done right, without SSH
// after boot: it writes the certificates into a local store, renders the
// cloud-init user-data that sets the host up, and points the docker CLI at
// the host with `eval "$(dockbake env NAME)"`.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args, &proc{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}))
}
