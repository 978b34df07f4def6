# Metadata of the dockbake plugin for the Packer integrations site, next to
# the components/ documentation that scripts/generate.sh renders from docs/.
integration {
  name        = "dockbake"
  description = "Bake Docker with mutual TLS and a dockbake machine's certificates into images."
  identifier  = "packer/dockbake/dockbake"
  docs {
    process_docs    = true
    readme_location = "./README.md"
  }
  component {
    type = "provisioner"
    name = "dockbake"
    slug = "dockbake"
  }
  component {
    type = "data-source"
    name = "dockbake"
    slug = "dockbake"
  }
}
