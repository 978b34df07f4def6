#!/bin/sh
# dockbake machine web1: Docker with mutual TLS on tcp://203.0.113.10:2376
# This script carries the host's private TLS key: treat it as a secret.
#
# It sets up a debian-12 host the way the machine's cloud-init user-data
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
ExecStart=dockerd -H unix:///var/run/docker.sock -H tcp://0.0.0.0:2376 --tlsverify --tlscacert=/etc/docker/ca.pem --tlscert=/etc/docker/server.pem --tlskey=/etc/docker/server-key.pem --live-restore --label=env=prod
DOCKBAKE_EOF

put /etc/dockbake/apply 0700 root:root <<'DOCKBAKE_EOF'
#!/bin/sh
# dockbake machine web1: applies TLS files delivered through the Docker API.
# shellcheck disable=SC2250
set -u
umask 077
state=/var/lib/dockbake in=/var/lib/dockbake/spool/incoming out=/var/lib/dockbake/spool/status prev=/var/lib/dockbake/previous attempt=/var/lib/dockbake/attempt
ca=/etc/docker/ca.pem cert=/etc/docker/server.pem key=/etc/docker/server-key.pem
port=2376 sockets='' ww=60 ws=60
names='ca.pem server.pem server-key.pem'
t() { case $1 in ca.pem) echo "$ca" ;; server.pem) echo "$cert" ;; *) echo "$key" ;; esac }
put() {
	for n in $names; do
		[ -f "$1/$n" ] || continue
		f=$(t "$n") m=0644
		[ "$n" != server-key.pem ] || m=0600
		g=$f.dockbake-new
		{ cp "$1/$n" "$g" && chown 0:0 "$g" && chmod "$m" "$g" && mv -f "$g" "$f"; } || return 1
	done
}
save() {
	mkdir -p "$1" || return 1
	for n in $names; do
		f=$(t "$n")
		[ ! -f "$f" ] || cp -p "$f" "$1/$n" || return 1
	done
}
upto() {
	i=$1
	shift
	until "$@"; do
		i=$((i - 1))
		[ "$i" -ge 0 ] || return 1
		sleep 1
	done
}
fp() { openssl x509 -noout -fingerprint -sha256 "$@" 2>/dev/null | sed 's/.*=//'; }
served() { timeout 10 openssl s_client -connect "127.0.0.1:$port" </dev/null 2>/dev/null | fp; }
# shellcheck disable=SC2317 # run by upto
serves() { s=$(served) && [ "$s" = "$1" ]; }
# shellcheck disable=SC2317
whole() { [ -f "$1/manifest" ] && l=$(tail -n 1 "$1/manifest") && [ "$l" = end ]; }
restart() {
	# shellcheck disable=SC2086,SC2248 # a list of units
	systemctl reset-failed docker.service $sockets >/dev/null 2>&1
	for u in $sockets; do systemctl start "$u" || return 1; done
	timeout 120 systemctl restart docker.service
}
journal() { journalctl -u docker.service --since "@$1" --no-pager -q -o short-iso 2>/dev/null | tail -n 40 >"$state/log"; }
record() {
	s=$(served) || s=
	r=$(printf %s "$3" | tr '\n' ' ') || r=$3
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ) || now=
	{
		printf 'dockbake-status 1\nid %s\noutcome %s\nreason %s\n' "$1" "$2" "$r"
		printf 'delivered %s\nserved %s\ntime %s\n' "$delivered" "$s" "$now"
		[ ! -f "$state/log" ] || sed 's/^/log /' "$state/log"
	} >"$out/.$1" && mv -f "$out/.$1" "$out/$1"
	rm -f "$state/log"
}
refuse() {
	command -v openssl >/dev/null || { echo 'openssl is missing: install the openssl package'; return; }
	l=$(sed 's/^[0-9a-f]\{64\}  //' "$1/manifest") || l=
	if [ "$l" != "$(printf 'dockbake-delivery 1\nca.pem\nserver.pem\nserver-key.pem\nend')" ]; then
		echo 'manifest: want "dockbake-delivery 1", a sha256 line per file, "end"'
		return
	fi
	for n in $names; do
		if [ ! -f "$1/$n" ] || [ -L "$1/$n" ]; then echo "$n: not a regular file"; return; fi
	done
	(cd "$1" && sed '1d;$d' manifest | sha256sum -c --status) || { echo 'a file does not match its sha256 in the manifest'; return; }
	! grep -q 'PRIVATE KEY' "$1/ca.pem" "$1/server.pem" || { echo 'ca.pem or server.pem holds a private key'; return; }
	if ! v=$(openssl verify -CAfile "$1/ca.pem" -purpose sslserver "$1/server.pem" 2>&1); then
		v=$(echo "$v" | grep -m 1 '^error') || v=
		echo "server.pem is not a server certificate signed by ca.pem: $v"
		return
	fi
	k=$(openssl pkey -in "$1/server-key.pem" -passin pass: -pubout 2>/dev/null) || { echo 'server-key.pem is not an unencrypted private key'; return; }
	c=$(openssl x509 -in "$1/server.pem" -noout -pubkey) && [ "$c" = "$k" ] || echo 'server-key.pem is not the key of server.pem'
}
back() {
	journal "$since"
	put "$attempt/old" && rm -rf "$attempt"
	if restart && upto "$ws" serves "$old"; then
		record "$1" rolled-back "$2"
	else
		record "$1" failed "$2; the previous certificates are back, but dockerd does not serve them"
	fi
}
apply() {
	d=$in/$1 delivered=
	upto "$ww" whole "$d" || { record "$1" rejected "incomplete: no whole manifest after $ww s"; return; }
	why=$(refuse "$d")
	[ -z "$why" ] || { record "$1" rejected "$why"; return; }
	delivered=$(fp -in "$d/server.pem") || delivered=
	old=$(fp -in "$cert") || old=
	since=$(date +%s)
	record "$1" applying 'restarting dockerd'
	if ! { rm -rf "$attempt" && save "$attempt/old"; }; then
		rm -rf "$attempt"
		record "$1" rejected 'could not save the live certificates'
	elif ! put "$d"; then
		back "$1" 'could not install the delivered certificates'
	elif ! restart; then
		back "$1" 'dockerd did not start with the delivered certificates'
	elif ! upto "$ws" serves "$delivered"; then
		back "$1" "dockerd did not serve the delivered certificate on port $port within $ws s"
	else
		rm -rf "$prev" && mv "$attempt/old" "$prev" && rm -rf "$attempt"
		journal "$since"
		record "$1" applied 'dockerd serves the delivered certificate'
	fi
}
mkdir -p "$in" "$out" && chmod 0700 "$state"
delivered=
[ ! -d "$attempt/old" ] || { put "$attempt/old" && rm -rf "$attempt" && restart; }
for d in "$in"/* "$in"/.[!.]* "$in"/..?*; do
	[ -e "$d" ] || [ -L "$d" ] || continue
	id=${d##*/}
	case $id in
	*[!A-Za-z0-9._-]* | .*) ;;
	*) [ ${#id} -gt 64 ] || [ ! -d "$d" ] || [ -L "$d" ] || apply "$id" ;;
	esac
	rm -rf "$d"
done
# shellcheck disable=SC2012 # IDs are plain names
ls -1t "$out" | tail -n +21 | while read -r f; do rm -f "$out/$f"; done
exit 0
DOCKBAKE_EOF

put /etc/systemd/system/dockbake-apply.path 0644 root:root <<'DOCKBAKE_EOF'
# Written by dockbake for machine web1.
[Unit]
Description=Watch for TLS certificates delivered through the Docker API

[Path]
DirectoryNotEmpty=/var/lib/dockbake/spool/incoming
MakeDirectory=yes
DirectoryMode=0700
Unit=dockbake-apply.service

[Install]
WantedBy=paths.target
DOCKBAKE_EOF

put /etc/systemd/system/dockbake-apply.service 0644 root:root <<'DOCKBAKE_EOF'
# Written by dockbake for machine web1.
[Unit]
Description=Apply TLS certificates delivered through the Docker API
After=docker.service

[Service]
Type=oneshot
ExecStart=/bin/sh /etc/dockbake/apply
TimeoutStartSec=15min
DOCKBAKE_EOF

systemctl daemon-reload
systemctl enable --now dockbake-apply.path
sh -c 'systemctl reset-failed docker.service || true'
systemctl enable docker.service
systemctl restart docker.service

# shellcheck disable=SC2016 # the $(...) is for the user to type
printf '%s\n' 'dockbake: Docker on this host now takes mutual TLS on tcp://203.0.113.10:2376; on your machine run: eval "$(dockbake env web1)"' >&2
