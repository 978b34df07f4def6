#!/bin/sh
# generate.sh regenerates every generated file of the plugin from its
# sources: the HCL2 specs (*.hcl2spec.go, packer-sdc mapstructure-to-hcl2),
# the docs partials made from the Config field comments (docs-partials/,
# packer-sdc struct-markdown) and the rendered docs (.web-docs/). Its output
# depends only on the sources, so running it again leaves no diff.
#
# packer-sdc is the version pinned by go.mod's tool line.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$root"

go generate ./...

# struct-markdown finds the project root by walking up to a directory named
# packer-plugin-*; where there is none, packer-sdc v0.6.6 loops forever at
# "/" (filepath.Dir("/") == "/"). Run it through a symlink so named, and
# under a timeout in case a future layout still misses it.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ln -s "$root" "$tmp/packer-plugin-dockbake"
rm -rf docs-partials
for f in machine/config.go provisioner/dockbake/config.go datasource/dockbake/config.go; do
	timeout 300 go tool packer-sdc struct-markdown "$tmp/packer-plugin-dockbake/$f"
done

# Expand the @include lines, then lay the pages out as the Packer
# integrations site reads them (the scaffolding's .web-docs).
go tool packer-sdc renderdocs -src docs -partials docs-partials -dst "$tmp/docs" 2>/dev/null
rm -rf .web-docs/components .web-docs/README.md
mkdir -p .web-docs/components/provisioner/dockbake .web-docs/components/data-source/dockbake
# The site takes a component page without its front matter.
strip_front_matter() {
	awk 'NR == 1 && $0 == "---" { skip = 1; next } skip && $0 == "---" { skip = 0; next } !skip' "$1" >"$2"
}
cp "$tmp/docs/README.md" .web-docs/README.md
strip_front_matter "$tmp/docs/provisioners/dockbake.mdx" .web-docs/components/provisioner/dockbake/README.md
strip_front_matter "$tmp/docs/datasources/dockbake.mdx" .web-docs/components/data-source/dockbake/README.md
