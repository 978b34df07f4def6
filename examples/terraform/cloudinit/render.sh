#!/bin/sh
# Renders dockbake's cloud-config for main.tf, which combines it with
# extra.yaml in a cloudinit_config data source.
set -eu
cd "$(dirname "$0")"
dockbake create web2 --ip "${DOCKBAKE_IP:-203.0.113.11}" --output web2.cloud-config.yaml
