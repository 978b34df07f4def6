#!/bin/sh
# build-packer.sh builds, from Go modules at exact versions, the Packer
# binaries the plugin's tests run, caches them, and prints the path of the
# one asked for:
#
#   build-packer.sh                  packer itself (PACKER_VERSION)
#   build-packer.sh amazon-plugin    packer-plugin-amazon (AMAZON_PLUGIN_VERSION),
#                                    so `packer validate` can check the
#                                    amazon-ebs example without `packer init`
#
# These are test tools: built locally, never vendored or redistributed
# (Packer core is BUSL-1.1 since 1.10).
#
# Packer's go.mod replaces go-cty with a fork; replaces in dependencies are
# ignored, so the throwaway module repeats it (packer-plugin-sdk#187).
#
# Environment:
#   PACKER_VERSION         default v1.12.0
#   AMAZON_PLUGIN_VERSION  default v1.3.4
#   DOCKBAKE_CACHE_DIR     cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/dockbake)
set -eu

what=${1:-packer}
cache=${DOCKBAKE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dockbake}
case $what in
packer)
	module=github.com/hashicorp/packer
	version=${PACKER_VERSION:-v1.12.0}
	name=packer
	;;
amazon-plugin)
	module=github.com/hashicorp/packer-plugin-amazon
	version=${AMAZON_PLUGIN_VERSION:-v1.3.4}
	name=packer-plugin-amazon
	;;
*)
	echo "build-packer: unknown binary \"$what\": use packer or amazon-plugin" >&2
	exit 2
	;;
esac
dir=$cache/$name-$version
bin=$dir/$name

if [ -x "$bin" ]; then
	echo "$bin"
	exit 0
fi

mkdir -p "$dir"
work=$(mktemp -d "$dir/build.XXXXXX")
trap 'rm -rf "$work"; rmdir "$dir" 2>/dev/null || true' EXIT

cat >"$work/go.mod" <<MOD
module dockbake.invalid/packerbuild

go 1.23

replace github.com/zclconf/go-cty => github.com/nywilken/go-cty v1.13.3
MOD
cat >"$work/tools.go" <<GO
//go:build tools

package packerbuild

import _ "$module"
GO

echo "build-packer: fetching $module@$version" >&2
(cd "$work" && GOFLAGS=-mod=mod go get "$module@$version") >&2
echo "build-packer: building $name (minutes on a small machine)" >&2
(cd "$work" && GOFLAGS=-mod=mod go build -trimpath -o "$work/$name" "$module") >&2

if [ "$what" = packer ]; then
	got=v$(CHECKPOINT_DISABLE=1 "$work/packer" -machine-readable version | awk -F, '$3 == "version" { print $4; exit }')
else
	got=v$("$work/$name" describe | sed -n 's/.*"version":"\([^"-]*\).*/\1/p')
fi
if [ "$got" != "$version" ]; then
	echo "build-packer: built $name reports version \"$got\", want \"$version\"" >&2
	exit 1
fi
mv "$work/$name" "$bin"
echo "$bin"
