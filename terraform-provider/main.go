// Command terraform-provider-dockbake is dockbake's Terraform and OpenTofu
// provider: dockbake machines as resources, their user-data as data.
package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/dockbake/dockbake/terraform-provider/internal/provider"
)

// version is the provider's version; `make terraform-install` sets it
// with -ldflags "-X main.version=...".
var version = "0.1.0"

func main() {
	debug := flag.Bool("debug", false, "run with support for debuggers such as delve")
	flag.Parse()
	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: provider.Address,
		Debug:   *debug,
	})
	if err != nil {
		log.Fatal(err)
	}
}
