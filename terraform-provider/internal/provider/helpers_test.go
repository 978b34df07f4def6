package provider

import (
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

func tfjsonpathRoot(name string) tfjsonpath.Path { return tfjsonpath.New(name) }

func knownString() knownvalue.Check { return knownvalue.NotNull() }
