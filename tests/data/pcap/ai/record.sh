#!/usr/bin/env bash
# Records the AI-client capture fixtures of this folder from real clients, and the tshark
# oracle files the integration tests (tests/integration/capture.rs) take their values from.
#
#   sudo bash tests/data/pcap/ai/record.sh [OUTDIR]     (OUTDIR defaults to this folder)
#   bash tests/data/pcap/ai/record.sh --oracle [DIR]   (only the tshark files, no root)
#
# Needs root (network namespaces) on Debian 12 with these apt packages:
#   iproute2 ethtool tcpdump dnsmasq-base dnsutils knot-dnsutils curl openssl python3
#   chromium tshark wireshark-common
#
# Everything runs in a fresh network namespace that has only its loopback: no packet
# leaves the machine and nothing outside is asked. The loopback gets an Ethernet MTU (1500)
# with segmentation offloads off, so TCP segments are the size they would be on a real path
# and Chromium's post-quantum ClientHello spans two segments.
#
# Writes (and overwrites):
#   clients.pcap    tcpdump's own pcap: dig/kdig over UDP and TCP (two queries in one TCP
#                   connection, an AAAA, a sinkholed 0.0.0.0 answer), curl TLS 1.3 with
#                   SNI, curl HTTP/1.1 POST, two requests in one keep-alive connection,
#                   openssl s_client (IPv4) and curl (IPv6) without SNI to addresses DNS
#                   answers gave (passive DNS), look-alikes and an ordinary site.
#   chromium.pcapng headless Chromium: TLS over TCP to claude.ai and QUIC v1 to
#                   gemini.google.com (nothing answers; the first flight is what counts),
#                   recorded by tcpdump and converted to pcapng by editcap.
#   F.provenance    tools and versions; F.tshark.tsv what tshark reads from F;
#   F.flows.tsv     payload bytes per flow and direction, from tshark.
# Re-recording changes every frame number, time and byte count that
# tests/integration/capture.rs asserts: update it from the new .tsv files.
#
# Addresses (all on the namespace's loopback): dnsmasq 127.0.0.53; clients dig 127.0.0.10,
# kdig 127.0.0.11, curl 127.0.0.21 (AI), 127.0.0.24 (keep-alive), fd00::23 (IPv6) and
# 127.0.0.23 (look-alikes, ordinary), s_client 127.0.0.22 (127.0.0.23 to the look-alike),
# Chromium 127.0.0.1. Each name answers with its own address so passive DNS never
# confuses two names.
set -euo pipefail

versions() {
    echo "kernel: $(uname -sr)"
    echo "os: $(. /etc/os-release && echo "$PRETTY_NAME")"
    echo "tcpdump: $(tcpdump --version 2>&1 | head -1 | sed 's/tcpdump version //')"
    echo "libpcap: $(tcpdump --version 2>&1 | sed -n 2p | sed 's/libpcap version //')"
    echo "dnsmasq: $(dnsmasq --version | head -1 | awk '{print $3}')"
    echo "dig: $(dig -v 2>&1 | sed 's/DiG //')"
    echo "kdig: $(kdig --version | sed 's/.*version //')"
    echo "curl: $(curl --version | head -1)"
    echo "openssl: $(openssl version)"
    echo "python3: $(python3 --version 2>&1)"
    echo "chromium: $(chromium --version 2>/dev/null | grep -i chromium)"
    echo "editcap: $(editcap -v 2>&1 | head -1)"
    echo "tshark: $(tshark --version 2>/dev/null | head -1)"
}

# What tshark reads from a capture: the packets the scanner should name. One line per
# packet; QUIC server names come from tshark's own decryption of client Initials.
oracle() {
    echo "# tshark -r $(basename "$1") -o tcp.desegment_tcp_streams:TRUE -Y 'dns || tls.handshake.type == 1 || http.request' -T fields -E header=y -e frame.number -e frame.time_epoch -e ip.src -e ipv6.src -e ip.dst -e ipv6.dst -e tcp.stream -e udp.stream -e dns.flags.response -e dns.qry.name -e dns.qry.type -e dns.a -e dns.aaaa -e dns.resp.ttl -e tls.handshake.extensions_server_name -e http.host -e http.request.method -e http.request.uri -e http.user_agent"
    tshark -r "$1" -o tcp.desegment_tcp_streams:TRUE \
        -Y 'dns || tls.handshake.type == 1 || http.request' -T fields -E header=y \
        -e frame.number -e frame.time_epoch -e ip.src -e ipv6.src -e ip.dst -e ipv6.dst \
        -e tcp.stream -e udp.stream -e dns.flags.response -e dns.qry.name -e dns.qry.type -e dns.a -e dns.aaaa \
        -e dns.resp.ttl -e tls.handshake.extensions_server_name -e http.host \
        -e http.request.method -e http.request.uri -e http.user_agent 2>/dev/null
}

# Payload bytes (TCP segment data, UDP payload) per flow and direction, in the order the
# flows start; the first packet's sender is "a". The scanner counts the same bytes, with
# the client (SYN sender) as "out".
flows() {
    echo "# tshark -r $(basename "$1") -T fields -e frame.number -e frame.time_epoch -e tcp.stream -e udp.stream -e ip.src -e ipv6.src -e tcp.srcport -e udp.srcport -e ip.dst -e ipv6.dst -e tcp.dstport -e udp.dstport -e tcp.len -e udp.length | awk (sum per stream: tcp.len, udp.length - 8)"
    printf 'proto\tstream\tfirst_frame\tfirst_epoch\ta\tb\tpackets\tbytes_a_to_b\tbytes_b_to_a\n'
    tshark -r "$1" -T fields -E separator=/t -e frame.number -e frame.time_epoch \
        -e tcp.stream -e udp.stream -e ip.src -e ipv6.src -e tcp.srcport -e udp.srcport \
        -e ip.dst -e ipv6.dst -e tcp.dstport -e udp.dstport -e tcp.len -e udp.length 2>/dev/null \
    | awk -F'\t' '
        $3 == "" && $4 == "" { next }
        {
            if ($3 != "") { p = "tcp"; s = $3; sp = $7; dp = $11; len = $13 }
            else          { p = "udp"; s = $4; sp = $8; dp = $12; len = $14 - 8 }
            k = p "\t" s
            src = ($5 != "" ? $5 : "[" $6 "]") ":" sp; dst = ($9 != "" ? $9 : "[" $10 "]") ":" dp
            if (!(k in a)) { a[k] = src; b[k] = dst; ff[k] = $1; ft[k] = $2; order[++n] = k }
            pk[k]++
            if (src == a[k]) ab[k] += len; else ba[k] += len
        }
        END { for (i = 1; i <= n; i++) { k = order[i]
            printf "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\n", k, ff[k], ft[k], a[k], b[k], pk[k], ab[k], ba[k] } }'
}

write_oracle() {
    oracle "$1" >"$1.tshark.tsv"
    flows "$1" >"$1.flows.tsv"
}

HERE=$(cd "$(dirname "$0")" && pwd)
# --oracle [DIR]: only rewrite the tshark files for the captures already there.
if [ "${1:-}" = --oracle ]; then
    for f in "${2:-$HERE}"/clients.pcap "${2:-$HERE}"/chromium.pcapng; do write_oracle "$f"; done
    exit 0
fi
OUT=${1:-$HERE}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
[ "$(id -u)" = 0 ] || { echo "record.sh: run as root (network namespaces)" >&2; exit 1; }
for t in ip ethtool tcpdump dnsmasq dig kdig curl openssl python3 chromium tshark editcap capinfos; do
    command -v "$t" >/dev/null || { echo "record.sh: $t is missing (see the apt list above)" >&2; exit 1; }
done

NS=shadowai-rec-$$
WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
nsx() { ip netns exec "$NS" "$@"; }
# Starts a command in the namespace in the background; `ip netns exec` execs it, so $! is
# the command itself and signals reach it.
nsbg() {
    ip netns exec "$NS" "$@" &
    LAST=$!
    PIDS+=("$LAST")
}

ip netns add "$NS"
nsx ip link set lo mtu 1500
nsx ip link set lo up
nsx ethtool -K lo tso off gso off gro off tx-udp-segmentation off >/dev/null 2>&1 \
    || nsx ethtool -K lo tso off gso off gro off >/dev/null
# s_client has no source-address option: these routes give its connections their own
# client address, as a second host would have.
nsx ip route add local 127.0.2.1 dev lo src 127.0.0.22 table local
nsx ip route add local 127.0.4.1 dev lo src 127.0.0.23 table local
# IPv6: chatgpt.com's AAAA answer and a client.
nsx ip -6 addr add fd00::6/128 dev lo nodad
nsx ip -6 addr add fd00::23/128 dev lo nodad

# Waits until something listens on proto/addr:port in the namespace.
wait_listen() {
    local proto=$1 addr=$2 i
    for i in $(seq 100); do
        if nsx ss -H -ln"${proto:0:1}" "src $addr" | grep -q .; then return 0; fi
        sleep 0.05
    done
    echo "record.sh: nothing listens on $proto $addr" >&2
    return 1
}

# Starts tcpdump on the namespace's loopback; returns once it captures. Immediate mode:
# otherwise packets still in the kernel's ring buffer when tcpdump stops are lost.
start_capture() {
    nsbg tcpdump -i lo -s 0 -U --immediate-mode -w "$1" 2>"$WORK/tcpdump.err"
    TCPDUMP=$LAST
    for _ in $(seq 100); do
        grep -q "listening on" "$WORK/tcpdump.err" 2>/dev/null && break
        sleep 0.05
    done
    sleep 0.3
}
stop_capture() {
    sleep 1
    kill -INT "$TCPDUMP"
    wait "$TCPDUMP" || true
    cat "$WORK/tcpdump.err" >&2
}

# --- servers ---------------------------------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=shadow-ai fixture" \
    -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
mkdir -p "$WORK/www/v1"
echo ok >"$WORK/www/index.html"
echo '{"object":"list","data":[]}' >"$WORK/www/v1/models"
echo '{"object":"list","data":[]}' >"$WORK/www/v1/embeddings"

nsbg dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
    --listen-address=127.0.0.53 --bind-interfaces --port=53 --user=root \
    --pid-file="$WORK/dnsmasq.pid" --local-ttl=86400 \
    --address=/chat.mistral.ai/127.0.2.1 \
    --address=/api.openai.com/127.0.2.2 \
    --address=/claude.ai/127.0.2.3 \
    --address=/gemini.google.com/127.0.2.4 \
    --address=/api.anthropic.com/127.0.2.5 \
    --host-record=chatgpt.com,127.0.2.6,fd00::6,86400 \
    --address=/chat.deepseek.com/0.0.0.0 \
    --address=/www.example.org/127.0.3.1 \
    --address=/notchatgpt.com/127.0.4.1 \
    --address=/openai.com.evil.example/127.0.4.2 \
    2>"$WORK/dnsmasq.log"
wait_listen udp 127.0.0.53:53
wait_listen tcp 127.0.0.53:53

for a in 127.0.2.5 127.0.3.1 127.0.4.2; do
    nsbg python3 -m http.server 80 --bind "$a" --directory "$WORK/www" >>"$WORK/http.log" 2>&1
    wait_listen tcp "$a:80"
done
# HTTP/1.1 with keep-alive: two requests in one connection (api.mistral.ai).
nsbg python3 -m http.server 80 --bind 127.0.2.7 --protocol HTTP/1.1 --directory "$WORK/www" \
    >>"$WORK/http.log" 2>&1
wait_listen tcp 127.0.2.7:80

# One TLS server per address, for as many connections as the script makes to it.
s_server() {
    nsbg openssl s_server -accept "$1:443" -naccept "$2" -cert "$WORK/cert.pem" \
        -key "$WORK/key.pem" -www -quiet >>"$WORK/s_server.log" 2>&1
    wait_listen tcp "$1:443"
}
s_server 127.0.2.2 1 # api.openai.com
s_server 127.0.2.1 1 # chat.mistral.ai, reached without SNI
s_server 127.0.4.1 2 # notchatgpt.com, with and without SNI
s_server [fd00::6] 1 # chatgpt.com over IPv6, reached without SNI

# --- capture 1: DNS clients, curl, openssl ------------------------------------------------
start_capture "$WORK/clients.pcap"
DIG=(dig @127.0.0.53 -b 127.0.0.10 +noall +answer)
nsx "${DIG[@]}" api.openai.com A
nsx "${DIG[@]}" chatgpt.com AAAA
nsx "${DIG[@]}" chat.deepseek.com A # sinkholed: 0.0.0.0
nsx "${DIG[@]}" www.example.org A
nsx "${DIG[@]}" notchatgpt.com A
nsx "${DIG[@]}" openai.com.evil.example A
nsx "${DIG[@]}" +tcp claude.ai A
# Two queries in one TCP connection.
nsx kdig @127.0.0.53 -b 127.0.0.11 +tcp +keepopen +short gemini.google.com A chat.mistral.ai A
sleep 0.2

CURL=(curl -sS -o /dev/null -w '%{http_code} %{url_effective}\n')
nsx "${CURL[@]}" --interface 127.0.0.21 --tlsv1.3 -k \
    --resolve api.openai.com:443:127.0.2.2 https://api.openai.com/v1/models
nsx "${CURL[@]}" --interface 127.0.0.21 --resolve api.anthropic.com:80:127.0.2.5 \
    -H 'User-Agent: OpenAI/Python 1.54.0' -H 'Content-Type: application/json' \
    --data '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}' \
    http://api.anthropic.com/v1/chat/completions || true
# No server name: only the earlier DNS answer (chat.mistral.ai -> 127.0.2.1) names it.
printf 'GET / HTTP/1.0\r\n\r\n' \
    | nsx openssl s_client -connect 127.0.2.1:443 -noservername -quiet 2>/dev/null | head -1 || true
# The same over IPv6: curl sends no SNI for an address literal; the AAAA answer names it.
nsx "${CURL[@]}" --interface fd00::23 --tlsv1.3 -k 'https://[fd00::6]/'
# Two requests in one HTTP/1.1 connection.
nsx "${CURL[@]}" --interface 127.0.0.24 --resolve api.mistral.ai:80:127.0.2.7 \
    -H 'User-Agent: mistralai-python/1.2.3' \
    http://api.mistral.ai/v1/models http://api.mistral.ai/v1/embeddings
# Look-alikes and an ordinary site: must not match.
nsx "${CURL[@]}" --interface 127.0.0.23 --tlsv1.3 -k \
    --resolve notchatgpt.com:443:127.0.4.1 https://notchatgpt.com/
printf 'GET / HTTP/1.0\r\n\r\n' \
    | nsx openssl s_client -connect 127.0.4.1:443 -noservername -quiet 2>/dev/null | head -1 || true
nsx "${CURL[@]}" --interface 127.0.0.23 --resolve openai.com.evil.example:80:127.0.4.2 \
    http://openai.com.evil.example/v1/chat/completions || true
nsx "${CURL[@]}" --interface 127.0.0.23 --resolve www.example.org:80:127.0.3.1 \
    http://www.example.org/ || true
stop_capture

# --- capture 2: Chromium ------------------------------------------------------------------
# Silent sinks on 127.0.0.1:443 (TCP and UDP): they accept and read, never answer.
nsbg python3 -c '
import socket, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 443))
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("127.0.0.1", 443)); t.listen(16)
time.sleep(60)'
SINK=$LAST
wait_listen udp 127.0.0.1:443
wait_listen tcp 127.0.0.1:443

CHROMIUM=(chromium --headless=new --no-sandbox --no-first-run --disable-sync
    --disable-background-networking --disable-component-update --disable-default-apps
    --disable-extensions --disable-domain-reliability --no-pings
    --host-resolver-rules="MAP * 127.0.0.1" --dump-dom)
start_capture "$WORK/chromium.pcap"
nsx timeout 4 "${CHROMIUM[@]}" --user-data-dir="$WORK/prof1" https://claude.ai/ \
    >/dev/null 2>&1 || true
nsx timeout 4 "${CHROMIUM[@]}" --user-data-dir="$WORK/prof2" --enable-quic \
    --origin-to-force-quic-on=gemini.google.com:443 https://gemini.google.com/app \
    >/dev/null 2>&1 || true
stop_capture
kill "$SINK" 2>/dev/null || true

# --- outputs ------------------------------------------------------------------------------
cp "$WORK/clients.pcap" "$OUT/clients.pcap"
editcap -F pcapng --capture-comment "recorded for shadow-ai with record.sh (tcpdump, converted by editcap)" \
    "$WORK/chromium.pcap" "$OUT/chromium.pcapng"

for f in clients.pcap chromium.pcapng; do
    write_oracle "$OUT/$f"
    {
        echo "recorded for shadow-ai with record.sh ($(date -u +%Y-%m-%d)), in a network namespace with only a loopback (MTU 1500, offloads off); real clients, local servers, no external network"
        echo "licence: Apache-2.0 (as shadow-ai)"
        case $f in
        *.pcapng) echo "capture: tcpdump -i lo -s 0 (pcap, microseconds), converted by editcap -F pcapng" ;;
        *) echo "capture: tcpdump -i lo -s 0 (pcap, microseconds), as written" ;;
        esac
        echo "sha256: $(sha256sum "$OUT/$f" | awk '{print $1}')"
        echo "format: $(capinfos -t -M "$OUT/$f" | awk -F': *' '/File type/ {print $2}'); packets=$(capinfos -c -M "$OUT/$f" | awk -F': *' '/Number of packets/ {print $2}'); bytes=$(stat -c %s "$OUT/$f")"
        echo "oracle: $f.tshark.tsv, $f.flows.tsv (tshark; commands in their first line)"
        echo "used by: tests/integration/capture.rs"
        versions
    } >"$OUT/$f.provenance"
done
ls -l "$OUT"
