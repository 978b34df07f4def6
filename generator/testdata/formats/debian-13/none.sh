#!/bin/sh
# dockbake machine web1: Docker with mutual TLS on tcp://203.0.113.10:2376
# This script carries the host's private TLS key: treat it as a secret.
#
# It sets up a debian-13 host the way the machine's cloud-init user-data
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
MIIBpzCCAU6gAwIBAgIRANziYZCJv5WgrZ9DNRDOfDkwCgYIKoZIzj0EAwIwMjER
MA8GA1UEChMIZG9ja2Jha2UxHTAbBgNVBAMTFGRvY2tiYWtlIENBIGZvciB3ZWIx
MB4XDTI2MTEyNzE1NTM1OVoXDTM2MTEyNDE1NTM1OVowMjERMA8GA1UEChMIZG9j
a2Jha2UxHTAbBgNVBAMTFGRvY2tiYWtlIENBIGZvciB3ZWIxMFkwEwYHKoZIzj0C
AQYIKoZIzj0DAQcDQgAEt10Z1ydCkzTIl1rHOpFR/zWLGrp4XuenVemJH1Ke3xiP
Z+YIYF4rbXteSIHaW3GarUIhNjbysJtvFDeFyIVwUKNFMEMwDgYDVR0PAQH/BAQD
AgGGMBIGA1UdEwEB/wQIMAYBAf8CAQAwHQYDVR0OBBYEFP0rbK6igwk9Zk7E0rnw
grODBfMRMAoGCCqGSM49BAMCA0cAMEQCIBZA5XEs91QouUItGNLGYdzLQuhxFpLR
Yg5jyvOB23acAiB6usnpP/WLQU6HNBA38w6GqYk/mc4U10QqgRot+NftPA==
-----END CERTIFICATE-----
DOCKBAKE_EOF

put /etc/docker/server.pem 0644 root:root <<'DOCKBAKE_EOF'
-----BEGIN CERTIFICATE-----
MIIByjCCAXGgAwIBAgIRAKmgUGAkCBJZ3z2TU0I5ef8wCgYIKoZIzj0EAwIwMjER
MA8GA1UEChMIZG9ja2Jha2UxHTAbBgNVBAMTFGRvY2tiYWtlIENBIGZvciB3ZWIx
MB4XDTI2MTEyNzE1NTM1OVoXDTI5MDMwMTE1NTM1OVowIjERMA8GA1UEChMIZG9j
a2Jha2UxDTALBgNVBAMTBHdlYjEwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQL
7dLohI2cehNTh8APXIO6xW87l6y7TK5GMKmsWv2VWB9tvqmTCRtEfw/CeBUduA1T
6RlHaOsjghY1vUtH9+rpo3gwdjAOBgNVHQ8BAf8EBAMCB4AwEwYDVR0lBAwwCgYI
KwYBBQUHAwEwDAYDVR0TAQH/BAIwADAfBgNVHSMEGDAWgBT9K2yuooMJPWZOxNK5
8IKzgwXzETAgBgNVHREEGTAXgglsb2NhbGhvc3SHBMsAcQqHBH8AAAEwCgYIKoZI
zj0EAwIDRwAwRAIgKpTiqoIU1joEWn3F9V9QOu//M86qorY3Doc3ouObQFoCIB2K
TJCp9ktONyz+8UenzmSkR84nozYr9WcMe2phhBc5
-----END CERTIFICATE-----
DOCKBAKE_EOF

put /etc/docker/server-key.pem 0600 root:root <<'DOCKBAKE_EOF'
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgB+qv8ncQ9JMsnxl5
F/ylUxdknB+NXw6PLdbBQOAal6GhRANCAAQL7dLohI2cehNTh8APXIO6xW87l6y7
TK5GMKmsWv2VWB9tvqmTCRtEfw/CeBUduA1T6RlHaOsjghY1vUtH9+rp
-----END PRIVATE KEY-----
DOCKBAKE_EOF

put /etc/systemd/system/docker.service.d/10-machine.conf 0644 root:root <<'DOCKBAKE_EOF'
# Written by dockbake for machine web1.
# dockerd listens on the local socket and on TCP with mutual TLS: only a
# client certificate signed by this machine's CA is accepted.
[Service]
ExecStart=
ExecStart=dockerd -H unix:///var/run/docker.sock -H tcp://0.0.0.0:2376 --tlsverify --tlscacert=/etc/docker/ca.pem --tlscert=/etc/docker/server.pem --tlskey=/etc/docker/server-key.pem --label=env=prod
DOCKBAKE_EOF

systemctl daemon-reload
sh -c 'systemctl reset-failed docker.service || true'
systemctl enable docker.service
systemctl restart docker.service

# shellcheck disable=SC2016 # the $(...) is for the user to type
printf '%s\n' 'dockbake: Docker on this host now takes mutual TLS on tcp://203.0.113.10:2376; on your machine run: eval "$(dockbake env web1)"' >&2
