#!/bin/sh
# Renders the user-data main.tf reads. The address must be known before the
# instance exists, because the server certificate names it: allocate an
# Elastic IP first (aws ec2 allocate-address) and pass it as DOCKBAKE_IP.
set -eu
cd "$(dirname "$0")"
dockbake create web1 --ip "${DOCKBAKE_IP:-203.0.113.10}" --target aws --output web1.user-data.yaml
