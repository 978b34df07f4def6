#!/bin/sh
# dockbake machine web1: Docker with mutual TLS on tcp://203.0.113.10:2376
# This script carries the host's private TLS key: treat it as a secret.
#
# It sets up a amazonlinux-2023 host the way the machine's cloud-init user-data
# would. Run it as root, e.g. `ssh HOST sudo sh -s < FILE`, as a Packer
# shell provisioner, or as user-data of its own. Running it again leaves the
# host as it is and restarts Docker.
set -eu
umask 077

uid=$(id -u)
if [ "${uid}" -ne 0 ]; then
	echo "dockbake: run this script as root" >&2
	exit 1
fi

# put PATH MODE OWNER: replace PATH with standard input. The new file gets
# its owner and mode before it is renamed into place, so a key is never
# readable by others, not even for a moment.
put() {
	(umask 022 && mkdir -p "${1%/*}")
	cat >"$1.dockbake-new"
	chown "$3" "$1.dockbake-new"
	chmod "$2" "$1.dockbake-new"
	mv -f "$1.dockbake-new" "$1"
}

put /etc/docker/ca.pem 0644 root:root <<'DOCKBAKE_EOF'
-----BEGIN CERTIFICATE-----
MIIBsjCCAVegAwIBAgIQb/8/Hs63YChg0yQ0y8HWZjAKBggqhkjOPQQDAjA2MREw
DwYDVQQKEwhkb2NrYmFrZTEhMB8GA1UEAxMYZG9ja2Jha2UgdGVzdCBmaXh0dXJl
IENBMCAXDTI1MTIzMTIzNTUwMFoYDzIxMjUxMjA3MjM1NTAwWjA2MREwDwYDVQQK
Ewhkb2NrYmFrZTEhMB8GA1UEAxMYZG9ja2Jha2UgdGVzdCBmaXh0dXJlIENBMFkw
EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEIa9CVKrlbbYtE9OgpNTeRO0x+sKsROqm
85Hm0IBNYlJb+44fjA1xsbbmEByOOMXJOp/TdEkf+K3B+/9WFmTQqaNFMEMwDgYD
VR0PAQH/BAQDAgGGMBIGA1UdEwEB/wQIMAYBAf8CAQAwHQYDVR0OBBYEFL0xZfnI
K6hH3Ovl7FKHdqfVdXgvMAoGCCqGSM49BAMCA0kAMEYCIQC1h/cUND8YyMqE/tsc
ML/cS5qSJB41Xi+BPLPqab0vLAIhAODLpP0LA0rcY/xdbeGNyWFihNLSSltMq46S
GQla5q8V
-----END CERTIFICATE-----
DOCKBAKE_EOF

put /etc/docker/server.pem 0644 root:root <<'DOCKBAKE_EOF'
-----BEGIN CERTIFICATE-----
MIIB0jCCAXmgAwIBAgIQcH/vpfftSRuHz71PcS5lxjAKBggqhkjOPQQDAjA2MREw
DwYDVQQKEwhkb2NrYmFrZTEhMB8GA1UEAxMYZG9ja2Jha2UgdGVzdCBmaXh0dXJl
IENBMCAXDTI1MTIzMTIzNTUwMFoYDzIxMjQxMjA3MjM1NTAwWjAlMREwDwYDVQQK
Ewhkb2NrYmFrZTEQMA4GA1UEAxMHZml4dHVyZTBZMBMGByqGSM49AgEGCCqGSM49
AwEHA0IABMb1VoSDSgMqzQlaSe4y8NMe24fs+zOaC+kqS/9OOjmA9XIVSsYum7KT
qFeQpYZX6UbaEyg3Bim7Qc02doVJvtWjeDB2MA4GA1UdDwEB/wQEAwIHgDATBgNV
HSUEDDAKBggrBgEFBQcDATAMBgNVHRMBAf8EAjAAMB8GA1UdIwQYMBaAFL0xZfnI
K6hH3Ovl7FKHdqfVdXgvMCAGA1UdEQQZMBeCCWxvY2FsaG9zdIcEywBxCocEfwAA
ATAKBggqhkjOPQQDAgNHADBEAiA0y4+g5qZYHBTikA5fULRkaUG+/otgbYDtBN4o
WuGQBAIgSUNG863DoPoJ4cwpb1w9TqtxIeydyGgO6LvdOtsaQHE=
-----END CERTIFICATE-----
DOCKBAKE_EOF

put /etc/docker/server-key.pem 0600 root:root <<'DOCKBAKE_EOF'
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgeq7312VRT7vGCozr
hrTzjz4SnkRTwhgVa1ocKgQBKaGhRANCAATG9VaEg0oDKs0JWknuMvDTHtuH7Psz
mgvpKkv/Tjo5gPVyFUrGLpuyk6hXkKWGV+lG2hMoNwYpu0HNNnaFSb7V
-----END PRIVATE KEY-----
DOCKBAKE_EOF

put /etc/systemd/system/docker.service.d/10-machine.conf 0644 root:root <<'DOCKBAKE_EOF'
# Written by dockbake for machine web1.
# dockerd listens on the local socket and on TCP with mutual TLS: only a
# client certificate signed by this machine's CA is accepted.
[Service]
ExecStart=
ExecStart=/usr/bin/dockerd -H unix:///var/run/docker.sock -H tcp://0.0.0.0:2376 --tlsverify --tlscacert=/etc/docker/ca.pem --tlscert=/etc/docker/server.pem --tlskey=/etc/docker/server-key.pem --containerd=/run/containerd/containerd.sock --label=env=prod $OPTIONS $DOCKER_STORAGE_OPTIONS $DOCKER_ADD_RUNTIMES
DOCKBAKE_EOF

sh -c 'if [ -d /run/systemd/system ] && command -v cloud-init >/dev/null 2>&1 && ! grep -qs /cloud- /proc/self/cgroup; then timeout 900 cloud-init status --wait >/dev/null 2>&1 || true; fi'
dnf -q makecache
dnf install -y docker

systemctl daemon-reload
sh -c 'systemctl reset-failed docker.service || true'
systemctl try-restart docker.service
systemctl enable --now docker.service

# shellcheck disable=SC2016 # the $(...) is for the user to type
printf '%s\n' 'dockbake: Docker on this host now takes mutual TLS on tcp://203.0.113.10:2376; on your machine run: eval "$(dockbake env web1)"' >&2
