#!/bin/sh
# Regenerates the tshark oracle for tests/integration/capture_corpus.rs.
#
# Usage: tests/data/pcap/regen-expected.sh [CORPUS_DIR...]
#
# Each CORPUS_DIR holds captures as <source>/<file>. Default: tests/data/pcap/corpus and,
# when it exists, ../shared/corpus/pcap (relative to the repository root). Captures in
# tests/data/pcap/corpus get tests/data/pcap/expected/<source>/<file>.tsv. Captures of any
# other folder that are not also in tests/data/pcap/corpus (the LGPL ones, which are never
# copied into this repository, and any left out for size or compression) get
# tests/data/pcap/expected-shared/<source>/<file>.tsv. Each output folder is rebuilt whole
# from one corpus folder, so give at most one besides the local one; expected files of
# removed captures go away. Fails (non-zero) when tshark fails on any capture.
#
# An expected file is one header line
#   # tshark <version>; capture <source>/<file>; sha256 <hex of the capture file>
# then sorted (C locale), unique `kind<TAB>value` lines:
#   dns        dns.qry.name of DNS messages on UDP/TCP port 53 (queries and responses;
#              mDNS and LLMNR are out of scope)
#   sni        tls.handshake.extensions_server_name of frames with a ClientHello
#              (tls.handshake.type == 1), QUIC Initials included (tshark decrypts them)
#   http_host  http.host of frames with an HTTP/1 request (http.request), port kept
# Values are ASCII-lowercased, lose one trailing dot, and empty ones are dropped. tshark's
# DNS placeholders are not names and are dropped too: "<Root>" (the empty root name) and
# errors such as "<Name contains a pointer that loops>". tshark 4.0 writes control bytes in
# a DNS name as \ooo (octal) and bytes that are not valid UTF-8 as U+FFFD; such values are
# kept as printed.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
local_corpus=$here/corpus

# One capture: `one CAPTURE SOURCE/FILE OUT_FILE` (run by xargs below).
if [ "${1-}" = --one ]; then
	cap=$2 rel=$3 out=$4
	mkdir -p "$(dirname "$out")"
	sha=$(sha256sum "$cap" | cut -d ' ' -f 1)
	raw=$out.raw
	# One pass; the display filter keeps the frames of the three kinds, the fields below
	# let awk tell per frame which kind it is (the same conditions as the filter). All
	# occurrences of a field are joined with \037, which tshark never prints in a name.
	if ! tshark -n -r "$cap" \
		-o tcp.desegment_tcp_streams:TRUE \
		-o tcp.check_checksum:FALSE -o udp.check_checksum:FALSE \
		-Y '(dns && (udp.port == 53 || tcp.port == 53)) || tls.handshake.type == 1 || http.request' \
		-T fields -E separator=/t -E occurrence=a -E "aggregator=$(printf '\037')" -E quote=n \
		-e udp.port -e tcp.port -e dns.qry.name \
		-e tls.handshake.type -e tls.handshake.extensions_server_name \
		-e http.request -e http.host >"$raw" 2>"$out.err"; then
		echo "tshark failed on $cap:" >&2
		cat "$out.err" >&2
		exit 1
	fi
	LC_ALL=C awk -F '\t' -v cap="$cap" '
		function any(field, want,   v, n, i) {
			n = split(field, v, "\037")
			for (i = 1; i <= n; i++) if (v[i] == want) return 1
			return 0
		}
		function emit(kind, field,   v, n, i, x) {
			n = split(field, v, "\037")
			for (i = 1; i <= n; i++) {
				x = tolower(v[i])
				sub(/\.$/, "", x)
				if (kind == "dns" && x ~ /^<.*>$/) continue
				if (x != "") print kind "\t" x
			}
		}
		# A value with a tab or newline in it would shift the columns: refuse.
		NF != 7 { print "unexpected tshark line in " cap ": " $0 > "/dev/stderr"; exit 2 }
		{
			if ($3 != "" && (any($1, "53") || any($2, "53"))) emit("dns", $3)
			if (any($4, "1")) emit("sni", $5)
			if ($6 != "") emit("http_host", $7)
		}' "$raw" >"$out.vals"
	{
		printf '# tshark %s; capture %s; sha256 %s\n' "$TSHARK_VERSION" "$rel" "$sha"
		LC_ALL=C sort -u "$out.vals"
	} >"$out.tmp"
	rm -f "$raw" "$out.err" "$out.vals"
	mv "$out.tmp" "$out"
	exit 0
fi

command -v tshark >/dev/null || { echo "tshark not found" >&2; exit 1; }
TSHARK_VERSION=$(tshark --version 2>/dev/null | sed -n '1{s/^TShark (Wireshark) //;s/\.$//;p;}')
case $TSHARK_VERSION in
4.*) ;;
*) echo "need tshark 4.x, found: '$TSHARK_VERSION'" >&2; exit 1 ;;
esac
export TSHARK_VERSION
# Personal preferences (heuristics, ports) must not change the result: use none.
WIRESHARK_CONFIG_DIR=$(mktemp -d)
export WIRESHARK_CONFIG_DIR
work=
trap 'rm -rf "$WIRESHARK_CONFIG_DIR" ${work:+"$work"}' EXIT

if [ $# -eq 0 ]; then
	set -- "$local_corpus"
	[ -d "$root/../shared/corpus/pcap" ] && set -- "$@" "$root/../shared/corpus/pcap"
fi

jobs=$(nproc 2>/dev/null || echo 2)
for dir in "$@"; do
	[ -d "$dir" ] || { echo "not a folder: $dir" >&2; exit 1; }
	dir=$(cd "$dir" && pwd)
	if [ "$dir" = "$local_corpus" ]; then dest=$here/expected; else dest=$here/expected-shared; fi
	work=$dest.new
	rm -rf "$work"
	mkdir -p "$work"
	list=$work/.list
	# <source>/<file>, skipping PROVENANCE.tsv and the like; for another folder, skipping
	# what the local corpus holds.
	(cd "$dir" && find . -mindepth 2 -type f \( -name '*.pcap' -o -name '*.pcapng' \
		-o -name '*.cap' -o -name '*.pcap.gz' -o -name '*.pcapng.gz' \) | sed 's|^\./||' |
		LC_ALL=C sort) |
		while IFS= read -r rel; do
			if [ "$dest" = "$here/expected-shared" ] && [ -e "$local_corpus/$rel" ]; then continue; fi
			printf '%s\n' "$rel"
		done >"$list"
	n=$(wc -l <"$list")
	# xargs exits non-zero when any run failed.
	tr '\n' '\0' <"$list" |
		xargs -0 -P "$jobs" -I '{}' sh "$here/regen-expected.sh" --one "$dir/{}" '{}' "$work/{}.tsv" ||
		{ echo "regen-expected: failed in $dir" >&2; exit 1; }
	rm -f "$list"
	rm -rf "$dest"
	mv "$work" "$dest"
	work=
	echo "$n expected files in ${dest#"$root"/} (from $dir)"
done
