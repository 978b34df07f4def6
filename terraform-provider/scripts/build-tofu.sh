#!/bin/sh
# build-tofu.sh builds OpenTofu from its Go module at an exact version,
# caches it, and prints the binary's path, for the provider's acceptance
# tests (TF_ACC_TERRAFORM_PATH). It is a test tool, built locally.
#
# OpenTofu's module builds as it is downloaded (Terraform's does not: its
# go.mod replaces nested modules by paths the module zip leaves out), so
# the module's own directory is copied and built there.
#
# Environment:
#   TOFU_VERSION        default v1.9.1
#   DOCKBAKE_CACHE_DIR  cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/dockbake)
set -eu

version=${TOFU_VERSION:-v1.9.1}
module=github.com/opentofu/opentofu
cache=${DOCKBAKE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dockbake}
dir=$cache/tofu-$version
bin=$dir/tofu

if [ -x "$bin" ]; then
	echo "$bin"
	exit 0
fi

mkdir -p "$dir"
work=$(mktemp -d "$dir/build.XXXXXX")
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"; rmdir "$dir" 2>/dev/null || true' EXIT

echo "build-tofu: fetching $module@$version" >&2
src=$(go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
if [ -z "$src" ] || [ ! -d "$src" ]; then
	echo "build-tofu: go mod download gave no directory for $module@$version" >&2
	exit 1
fi
cp -R "$src" "$work/src"
chmod -R u+w "$work/src"
echo "build-tofu: building tofu (about four minutes on two cores)" >&2
(cd "$work/src" && GOFLAGS=-mod=mod go build -trimpath \
	-ldflags "-X $module/version.dev=no" -o "$work/tofu" ./cmd/tofu) >&2

got=$("$work/tofu" version | sed -n '1s/^OpenTofu v\([^ ]*\).*/v\1/p')
case $got in
"$version" | "$version"-*) ;;
*)
	echo "build-tofu: built tofu reports version \"$got\", want \"$version\"" >&2
	exit 1
	;;
esac
mv "$work/tofu" "$bin"
echo "$bin"
