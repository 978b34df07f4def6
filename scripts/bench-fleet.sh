#!/bin/sh
# bench-fleet.sh [N]: wall times of making N machines (default 1,000) with
# `dockbake fleet apply`, with N separate `dockbake create` processes
# (timed for 100, extrapolated) and with the openssl recipe of Docker's
# "Protect the Docker daemon socket" page (timed for 20, extrapolated),
# and their ratios; then the second, unchanged apply and peak memory.
# Every machine: a CA of its own, a server and a client certificate,
# cloud-config user-data written. BENCH_DIR chooses the disk (default: a
# temporary directory).
set -eu
N=${1:-1000}
CREATES=${CREATES:-100}
OPENSSL_MACHINES=${OPENSSL_MACHINES:-20}
work=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/bench-fleet.XXXXXX")
trap 'rm -rf "$work"' EXIT
CGO_ENABLED=0 go build -tags urfave_cli_no_docs -o "$work/dockbake" ./cmd/dockbake
db="$work/dockbake"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
mul() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a * b }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", a / b }'; }

awk -v n="$N" 'BEGIN {
	print "version: 1\nfleet: bench\ndefaults:\n  os: ubuntu-24.04\n  key_type: ecdsa-p256\nmachines:"
	for (i = 0; i < n; i++) printf "  - name: m%d\n    ip_addresses: [10.%d.%d.%d]\n", i, int(i/62500), int(i/250)%250, i%250+1
}' > "$work/fleet.yaml"

t=$(now)
/usr/bin/time -f %M -o "$work/rss" "$db" -s "$work/store" fleet apply "$work/fleet.yaml" -o "$work/ud" 2>/dev/null
apply=$(since "$t")
rss=$(awk '{ printf "%.0f", $1 / 1024 }' "$work/rss")
t=$(now)
"$db" -s "$work/store" fleet apply "$work/fleet.yaml" -o "$work/ud" 2>/dev/null
again=$(since "$t")

t=$(now)
i=0
while [ "$i" -lt "$CREATES" ]; do
	"$db" -s "$work/cstore" create "c$i" --ip 192.0.2.1 --key-type ecdsa-p256 -o "$work/c$i.yaml" 2>/dev/null
	i=$((i + 1))
done
creates=$(mul "$(since "$t")" "$((N / CREATES))")

# Docker's recipe (docs.docker.com/engine/security/protect-access/), its
# commands as the page gives them, a passphrase given on the command line.
openssl_machine() {
	d="$work/openssl/$1"; mkdir -p "$d"; cd "$d"
	openssl genrsa -aes256 -passout pass:bench -out ca-key.pem 4096 2>/dev/null
	openssl req -new -x509 -days 365 -key ca-key.pem -passin pass:bench -sha256 -out ca.pem -subj "/CN=$1" 2>/dev/null
	openssl genrsa -out server-key.pem 4096 2>/dev/null
	openssl req -subj "/CN=$1" -sha256 -new -key server-key.pem -out server.csr 2>/dev/null
	echo "subjectAltName = DNS:$1,IP:10.10.10.20,IP:127.0.0.1" > extfile.cnf
	echo "extendedKeyUsage = serverAuth" >> extfile.cnf
	openssl x509 -req -days 365 -sha256 -in server.csr -CA ca.pem -CAkey ca-key.pem -passin pass:bench -CAcreateserial -out server-cert.pem -extfile extfile.cnf 2>/dev/null
	openssl genrsa -out key.pem 4096 2>/dev/null
	openssl req -subj '/CN=client' -new -key key.pem -out client.csr 2>/dev/null
	echo "extendedKeyUsage = clientAuth" > extfile-client.cnf
	openssl x509 -req -days 365 -sha256 -in client.csr -CA ca.pem -CAkey ca-key.pem -passin pass:bench -CAcreateserial -out cert.pem -extfile extfile-client.cnf 2>/dev/null
	rm client.csr server.csr extfile.cnf extfile-client.cnf
	chmod 0400 ca-key.pem key.pem server-key.pem
	chmod 0444 ca.pem server-cert.pem cert.pem
	cd - >/dev/null
}
t=$(now)
i=0
while [ "$i" -lt "$OPENSSL_MACHINES" ]; do
	openssl_machine "o$i"
	i=$((i + 1))
done
openssl=$(awk -v s="$(since "$t")" -v n="$N" -v m="$OPENSSL_MACHINES" 'BEGIN { printf "%.1f", s * n / m }')

printf '%-58s %10s\n' "machines: $N (each its own CA, ECDSA P-256 for dockbake)" "wall (s)"
printf '%-58s %10s\n' "dockbake fleet apply" "$apply"
printf '%-58s %10s   %sx the apply\n' "dockbake create x $N processes (from $CREATES)" "$creates" "$(ratio "$creates" "$apply")"
printf '%-58s %10s   %sx the apply\n' "openssl recipe, RSA-4096 (from $OPENSSL_MACHINES)" "$openssl" "$(ratio "$openssl" "$apply")"
printf '%-58s %10s\n' "dockbake fleet apply again, unchanged" "$again"
printf '%-58s %10s\n' "peak RSS of the first apply (MB)" "$rss"
