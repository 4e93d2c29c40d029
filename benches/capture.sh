#!/usr/bin/env bash
# Capture benchmark (issue 4): `shadow-ai scan` over a synthetic 1 GiB pcap
# (benches/gen_pcap.rs) against tshark extracting the same names in the same run:
#
#   tshark -r FILE -T fields -e dns.qry.name -e tls.handshake.extensions_server_name \
#          -Y "dns or tls.handshake.type==1"
#
# Target: shadow-ai at least 30x faster than tshark, its memory bounded by the flow table (the
# capture holds 20,000 open flows throughout), not by the file size.
#
#   benches/capture.sh             # 1 GiB capture in a temporary folder, removed at the end
#   benches/capture.sh --keep      # captures kept in bench-data/ and reused by the next run
#   benches/capture.sh --verify    # check the generator against tshark on a 20 MiB capture
#
# Environment:
#   BENCH_MB           capture size in MiB (default 1024)
#   BENCH_RUNS         timed runs of shadow-ai; the best counts (default 3)
#   BENCH_TSHARK_RUNS  timed runs of tshark; the best counts (default 2)
#   BENCH_TSHARK_MAX   seconds a tshark run over the whole capture may be expected to take; past
#                      it tshark is timed on the 1/4-size capture (a prefix of the whole one) and
#                      its time multiplied by 4, labelled as extrapolated (default 600)
#   BENCH_SEED         generator seed (default 42)
#   BENCH_BIN          the shadow-ai binary to time (default target/release/shadow-ai, built here)
#
# Besides timing, it checks the scan against the generator's ground truth (*.truth.tsv): the AI
# names it reports, no look-alike among them, and its capture counters (DNS messages, TLS and
# QUIC ClientHellos, HTTP requests) against what the generator wrote.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

MB=${BENCH_MB:-1024}
RUNS=${BENCH_RUNS:-3}
TRUNS=${BENCH_TSHARK_RUNS:-2}
TMAX=${BENCH_TSHARK_MAX:-600}
SEED=${BENCH_SEED:-42}
BIN=${BENCH_BIN:-target/release/shadow-ai}
GEN=target/release/gen-pcap-bench
KEEP=0 VERIFY=0

die() { echo "capture.sh: $*" >&2; exit 1; }
note() { echo "== $*"; }

for a in "$@"; do
    case $a in
        --keep) KEEP=1 ;;
        --verify) VERIFY=1 ;;
        -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
        *) die "unknown argument: $a (see --help)" ;;
    esac
done
for v in MB RUNS TRUNS TMAX SEED; do
    case ${!v} in '' | *[!0-9]*) die "$v must be a number, got '${!v}'" ;; esac
done
((MB >= 4 && RUNS > 0 && TRUNS > 0)) || die "BENCH_MB must be at least 4, the run counts positive"

# --- tools -----------------------------------------------------------------------------------
command -v cargo >/dev/null || die "cargo not found (https://rustup.rs)"
HAVE_TSHARK=1
if ! command -v tshark >/dev/null; then
    HAVE_TSHARK=0
    ((VERIFY)) && die "--verify needs tshark (sudo apt-get install tshark)"
    echo "warning: tshark not found, skipping the tshark baseline (sudo apt-get install tshark)" >&2
fi
HAVE_JQ=1
command -v jq >/dev/null || { HAVE_JQ=0; echo "warning: jq not found, skipping the findings check" >&2; }

# --- build -----------------------------------------------------------------------------------
note "cargo build --release --bins"
cargo build --release --bins
[ -x "$BIN" ] || die "$BIN missing after build"
[ -x "$GEN" ] || die "$GEN missing after build"

if ((KEEP)); then
    DATA=bench-data
    mkdir -p "$DATA"
else
    DATA=$(mktemp -d "${TMPDIR:-/tmp}/shadow-ai-capture.XXXXXX")
    trap 'rm -rf "$DATA"' EXIT
fi
# shellcheck source=benches/timing.sh
source "$(dirname "$0")/timing.sh"

# ensure_capture FILE MIB: (re)generates FILE unless --keep left one from the same seed.
ensure_capture() {
    local file=$1 mib=$2 truth=$1.truth.tsv
    if ((KEEP)) && [ -s "$truth" ] && head -n1 "$truth" | grep -q "seed $SEED " &&
        [ "$(awk -F'\t' '$2 == "bytes" { print $4 }' "$truth")" = "$(stat -c %s "$file" 2>/dev/null)" ]; then
        echo "   $file: present ($(stat -c %s "$file") bytes)"
        return
    fi
    echo "   generating $file ($mib MiB, seed $SEED)"
    "$GEN" "$file" "$mib" "$SEED" 2>&1 | sed 's/^/   /'
}

total() { awk -F'\t' -v k="$1" '$1 == "total" && $2 == k { print $4 }' "$2"; }

# --- verify: the generator against tshark ----------------------------------------------------
# tshark is the reference decoder: the file must decode without malformed packets, and the names
# tshark extracts must be the generator's ground truth. Where tshark falls short of the truth:
# - ClientHellos whose two segments arrive swapped: tshark runs with out-of-order TCP reassembly
#   on (off by default), but still misses them when the flow's SYN precedes the capture; so
#   tshark may count fewer SNIs than the truth, by at most the out-of-order ClientHellos;
# - QUIC Initials are replayed byte for byte, so each template's connection ID recurs and
#   tshark decrypts only the first connection with it: for QUIC only the names are compared.
if ((VERIFY)); then
    V=$DATA/verify-20m.pcap
    note "verify: $V"
    ensure_capture "$V" 20
    "$GEN" "$DATA/verify-10m.pcap" 10 "$SEED" 2>/dev/null
    FAIL=0
    check() { # check WHAT OK
        if [ "$2" = 1 ]; then echo "   ok    $1"; else echo "   FAIL  $1"; FAIL=1; fi
    }
    PREFIX=0
    cmp -s -n "$(stat -c %s "$DATA/verify-10m.pcap")" "$DATA/verify-10m.pcap" "$V" && PREFIX=1
    check "a 10 MiB capture of the same seed is a prefix of the 20 MiB one" "$PREFIX"
    rm -f "$DATA"/verify-10m.pcap*

    note "tshark -r $V -q -z io,phs"
    tshark -r "$V" -q -z io,phs 2>/dev/null | sed -n '/^eth/,/^=/p' | sed 's/^/   /'
    PKTS=$(capinfos -M -c "$V" 2>/dev/null | awk -F': *' '/Number of packets/ { print $2 }')
    check "tshark reads $PKTS packets, the generator wrote $(total packets "$V.truth.tsv")" \
        "$([ "$PKTS" = "$(total packets "$V.truth.tsv")" ] && echo 1)"
    ERRS=$(tshark -r "$V" -q -z expert 2>/dev/null | awk '/^Errors \(/ { gsub(/[^0-9]/, ""); print }')
    check "no malformed packets (tshark expert errors: ${ERRS:-0})" "$([ -z "$ERRS" ] && echo 1)"

    # One pass: per packet the transport, DNS response flag and query name, SNI, HTTP Host.
    tshark -o tcp.reassemble_out_of_order:TRUE -r "$V" -Y "dns or tls.handshake.type==1 or http.request" \
        -T fields -e ip.proto -e dns.flags.response -e dns.qry.name \
        -e tls.handshake.extensions_server_name -e http.host 2>/dev/null |
        awk -F'\t' '
            $3 != "" { n[($2 == "1" ? "dns_response" : "dns") "\t" $3]++ }
            $4 != "" { n[($1 == "17" ? "quic_sni" : "sni") "\t" $4]++ }
            $5 != "" { n["http_host\t" $5]++ }
            END { for (k in n) print k "\t" n[k] }' | sort >"$DATA/tshark.tsv"
    awk -F'\t' 'NR > 1 && $1 != "total" && $1 != "kind" { print $1 "\t" $2 "\t" $4 }' "$V.truth.tsv" |
        sort >"$DATA/truth.tsv"
    OOO=$(total out_of_order_hellos "$V.truth.tsv")
    for kind in dns dns_response sni http_host; do
        want=$(grep -c "^$kind	" "$DATA/truth.tsv" || true)
        n=$(awk -F'\t' -v k="$kind" '$1 == k { s += $3 } END { print s + 0 }' "$DATA/truth.tsv")
        # SNIs tshark lacks, if it never has more than the truth (else -1).
        short=$(awk -F'\t' -v k="$kind" '$1 != k { next }
            FNR == NR { t[$2] = $3; next } { w[$2] = $3 }
            END { for (x in t) if (!(x in w) || t[x] > w[x]) bad = 1
                  for (x in w) { d = w[x] - t[x]; if (d < 0) bad = 1; s += d }
                  print bad ? -1 : s }' "$DATA/tshark.tsv" "$DATA/truth.tsv")
        if diff <(grep "^$kind	" "$DATA/tshark.tsv") <(grep "^$kind	" "$DATA/truth.tsv") >"$DATA/diff.txt"; then
            check "$kind: tshark's names and counts equal the truth ($want names, $n in all)" 1
        elif [ "$kind" = sni ] && ((short >= 0 && short <= OOO)); then
            check "sni: tshark's names and counts equal the truth ($want names, $n in all) but for $short of the $OOO out-of-order ClientHellos" 1
        else
            check "$kind: tshark differs from the truth (< tshark, > truth):" 0
            head -n 20 "$DATA/diff.txt" | sed 's/^/         /'
        fi
    done
    if diff <(awk -F'\t' '$1 == "quic_sni" { print $2 }' "$DATA/tshark.tsv") \
        <(awk -F'\t' '$1 == "quic_sni" { print $2 }' "$DATA/truth.tsv") >"$DATA/diff.txt"; then
        check "quic_sni: tshark decrypts the same $(grep -c '^quic_sni' "$DATA/truth.tsv") names (counts not comparable, see above)" 1
    else
        check "quic_sni: tshark's names differ (< tshark, > truth):" 0
        sed 's/^/         /' "$DATA/diff.txt"
    fi
    ((FAIL)) && die "verify failed"
    note "verify passed"
    exit 0
fi

# --- data ------------------------------------------------------------------------------------
QMB=$((MB / 4))
FULL=$DATA/capture-${MB}m.pcap
QUARTER=$DATA/capture-${QMB}m.pcap
note "data in $DATA"
ensure_capture "$FULL" "$MB"
# Same seed: the smaller capture is a prefix of the larger one, with the same open flows.
ensure_capture "$QUARTER" "$QMB"
BYTES=$(stat -c %s "$FULL")
QBYTES=$(stat -c %s "$QUARTER")
TRUTH=$FULL.truth.tsv
echo "   $(total packets "$TRUTH") packets, $(total flows "$TRUTH") flows, $(total open_flows "$TRUTH") open at a time," \
    "$(awk -v u="$(total duration_us "$TRUTH")" 'BEGIN { printf "%.1f", u / 1e6 }') s of traffic"

note "warming the page cache"
cat "$FULL" "$QUARTER" >/dev/null

# --- timing ----------------------------------------------------------------------------------

# Is the capture input wired into scan in this build? A 4 MiB capture tells.
PROBE=$DATA/probe.pcap
"$GEN" "$PROBE" 4 "$SEED" 2>/dev/null
HAVE_SCAN=1
PROBE_FORMAT=$("$BIN" scan --no-state --format-out jsonl "$PROBE" 2>/dev/null | tail -n1 |
    grep -oE '"format":"[^"]*"' | head -n1 | cut -d'"' -f4 || true)
if [[ $PROBE_FORMAT != capture* ]]; then
    HAVE_SCAN=0
    echo "warning: this shadow-ai does not read captures yet (format of a pcap: '${PROBE_FORMAT:-none}'); timing tshark only" >&2
fi
rm -f "$PROBE" "$PROBE.truth.tsv"

SA_SECS=n/a SA_MBPS=n/a SA_RSS=n/a SA_QRSS=n/a RSS_VERDICT=n/a
if ((HAVE_SCAN)); then
    note "$BIN scan --no-state --format-out jsonl $FULL   ($(nproc) CPUs)"
    # Exit 1 means "found AI use", which this capture always has.
    OK_RC="0 1" timed "$RUNS" "$DATA/findings.jsonl" "$BIN" scan --no-state --format-out jsonl "$FULL"
    SA_SECS=$BEST SA_RSS=$PEAK_KB
    SA_MBPS=$(mbps "$BYTES" "$SA_SECS")
    echo "   best $SA_SECS s = $SA_MBPS MB/s, peak RSS $(mib "$SA_RSS")"

    note "$BIN scan $QUARTER (1/4 size, same open flows: memory should stay flat)"
    OK_RC="0 1" timed "$RUNS" "$DATA/findings-quarter.jsonl" "$BIN" scan --no-state --format-out jsonl "$QUARTER"
    SA_QRSS=$PEAK_KB
    echo "   best $BEST s = $(mbps "$QBYTES" "$BEST") MB/s, peak RSS $(mib "$SA_QRSS")"
    if ((HAVE_TIME)); then
        GROWTH=$(awk -v a="$SA_RSS" -v b="$SA_QRSS" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }')
        # 4x the input: up to 1.5x the memory is flat, up to 2.5x sublinear.
        RSS_VERDICT=$(awk -v g="$GROWTH" 'BEGIN { print (g <= 1.5) ? "flat" : (g <= 2.5) ? "sublinear" : "GROWS with input" }')
        RSS_VERDICT="x$GROWTH for 4x the data: $RSS_VERDICT"
    fi
    # The capture spans half a minute, shorter than the scan's idle timeouts, so the table above
    # holds every flow seen. A table smaller than the flows in the 1/4 capture (7,700 for seed
    # 42) is full at both sizes, and then the memory must not differ.
    if ((HAVE_TIME)) && "$BIN" scan --help | grep -q -- '--max-flows'; then
        note "$BIN scan --max-flows 4096 on both captures (a full flow table: memory should be flat)"
        OK_RC="0 1" timed 1 /dev/null "$BIN" scan --no-state --format-out jsonl --max-flows 4096 "$FULL"
        SMALL_TABLE_RSS=$PEAK_KB
        OK_RC="0 1" timed 1 /dev/null "$BIN" scan --no-state --format-out jsonl --max-flows 4096 "$QUARTER"
        SMALL_TABLE_QRSS=$PEAK_KB
        G=$(awk -v a="$SMALL_TABLE_RSS" -v b="$SMALL_TABLE_QRSS" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }')
        echo "   peak RSS $(mib "$SMALL_TABLE_RSS") on the whole capture, $(mib "$SMALL_TABLE_QRSS") on 1/4 of it (x$G)"
        RSS_VERDICT="$RSS_VERDICT; with --max-flows 4096: $(mib "$SMALL_TABLE_RSS") vs $(mib "$SMALL_TABLE_QRSS"), x$G"
    fi
fi

T_SECS=n/a T_MBPS=n/a T_RSS=n/a T_LABEL=""
if ((HAVE_TSHARK)); then
    TSHARK=(tshark -T fields -e dns.qry.name -e tls.handshake.extensions_server_name -Y "dns or tls.handshake.type==1")
    note "tshark -r $QUARTER -T fields -e dns.qry.name -e tls.handshake.extensions_server_name -Y \"dns or tls.handshake.type==1\"   ($(tshark --version | head -n1))"
    OK_RC="0" timed 1 "$DATA/tshark-quarter.txt" "${TSHARK[0]}" -r "$QUARTER" "${TSHARK[@]:1}"
    TQ=$BEST TQ_RSS=$PEAK_KB
    echo "   $TQ s = $(mbps "$QBYTES" "$TQ") MB/s, peak RSS $(mib "$TQ_RSS")"
    PROJECTED=$(awk -v t="$TQ" -v a="$BYTES" -v b="$QBYTES" 'BEGIN { printf "%.0f", t * a / b }')
    if ((PROJECTED <= TMAX)); then
        note "tshark -r $FULL (same command)"
        OK_RC="0" timed "$TRUNS" "$DATA/tshark.txt" "${TSHARK[0]}" -r "$FULL" "${TSHARK[@]:1}"
        T_SECS=$BEST T_RSS=$PEAK_KB
        echo "   best $T_SECS s, peak RSS $(mib "$T_RSS")"
        # tshark prints a line per DNS message (query or response) and per ClientHello it
        # reassembles: without out-of-order reassembly it misses the swapped ones, and it
        # decrypts each replayed QUIC connection ID once.
        echo "   lines with a DNS name: $(awk -F'\t' '$1 != ""' "$DATA/tshark.txt" | wc -l)" \
            "(truth: $(($(total dns_ai "$TRUTH") + $(total dns_lookalike "$TRUTH") + $(total dns_other "$TRUTH") + \
                $(total dns_response_ai "$TRUTH") + $(total dns_response_lookalike "$TRUTH") + $(total dns_response_other "$TRUTH"))) messages);" \
            "with an SNI: $(awk -F'\t' '$2 != ""' "$DATA/tshark.txt" | wc -l)" \
            "(truth: $(($(total sni_ai "$TRUTH") + $(total sni_lookalike "$TRUTH") + $(total sni_other "$TRUTH"))) TCP," \
            "$(($(total quic_sni_other "$TRUTH") + $(total quic_sni_ai "$TRUTH"))) QUIC, $(total out_of_order_hellos "$TRUTH") of the TCP ones out of order)"
    else
        # Linear in the packets: the 1/4 capture is a prefix of the whole one.
        for ((i = 2; i <= TRUNS; i++)); do
            OK_RC="0" timed 1 "$DATA/tshark-quarter.txt" "${TSHARK[0]}" -r "$QUARTER" "${TSHARK[@]:1}"
            TQ=$(fmin "$BEST" "$TQ")
            ((PEAK_KB > TQ_RSS)) && TQ_RSS=$PEAK_KB
        done
        T_SECS=$(awk -v t="$TQ" -v a="$BYTES" -v b="$QBYTES" 'BEGIN { printf "%.3f", t * a / b }')
        T_RSS=$TQ_RSS
        T_LABEL=" (EXTRAPOLATED x$(awk -v a="$BYTES" -v b="$QBYTES" 'BEGIN { printf "%.2f", a / b }') from the 1/4 capture: a whole run was projected at ${PROJECTED} s > BENCH_TSHARK_MAX=${TMAX} s; peak RSS of the 1/4 run)"
        echo "   tshark on the whole capture: $T_SECS s$T_LABEL"
    fi
    T_MBPS=$(mbps "$BYTES" "$T_SECS")
fi

# --- findings against the ground truth ---------------------------------------------------------
CHECK="findings not checked"
if ((HAVE_SCAN && HAVE_JQ)); then
    note "findings against the ground truth ($TRUTH)"
    F=$DATA/findings.jsonl
    jq -r 'select(.record_type == "finding") | .matched[].value' "$F" | sort -u >"$DATA/matched.txt"
    awk -F'\t' 'NR > 1 && $3 == "ai" { print $2 }' "$TRUTH" | sort -u >"$DATA/truth-ai.txt"
    awk -F'\t' 'NR > 1 && $3 == "lookalike" { print $2 }' "$TRUTH" | sort -u >"$DATA/truth-lookalike.txt"
    MISSING=$(comm -23 "$DATA/truth-ai.txt" "$DATA/matched.txt" | paste -sd' ')
    EXTRA=$(comm -13 "$DATA/truth-ai.txt" "$DATA/matched.txt" | paste -sd' ')
    TRAPS=$(comm -12 "$DATA/truth-lookalike.txt" "$DATA/matched.txt" | paste -sd' ')
    echo "   AI names: $(wc -l <"$DATA/matched.txt") reported, $(wc -l <"$DATA/truth-ai.txt") in the capture;" \
        "missing: ${MISSING:-none}; not AI by the truth: ${EXTRA:-none}; look-alikes matched: ${TRAPS:-none}"
    CHECK="AI names $([ -z "$MISSING$EXTRA$TRAPS" ] && echo "= truth" || echo "DIFFER from truth")"
    # The scan's capture counters against what the generator wrote.
    CAP=$(tail -n1 "$F" | jq -c '[.inputs[].capture // empty] | if length == 0 then empty else
        reduce .[] as $c ({}; reduce ($c | to_entries[]) as $e (.; .[$e.key] += $e.value)) end')
    if [ -n "$CAP" ]; then
        sum() { local s=0 k; for k in "$@"; do s=$((s + $(total "$k" "$TRUTH"))); done; echo $s; }
        cmp_counter() { # NAME SCAN TRUTH
            local mark="="
            [ "$2" = "$3" ] || { mark="!="; CHECK="$CHECK; $1 DIFFER"; }
            printf '   %-22s scan %9s %s truth %9s\n' "$1" "$2" "$mark" "$3"
        }
        cmp_counter dns_messages "$(jq .dns_messages <<<"$CAP")" \
            "$(sum dns_ai dns_lookalike dns_other dns_response_ai dns_response_lookalike dns_response_other)"
        cmp_counter tls_client_hellos "$(jq .tls_client_hellos <<<"$CAP")" "$(sum sni_ai sni_lookalike sni_other)"
        cmp_counter quic_client_hellos "$(jq .quic_client_hellos <<<"$CAP")" "$(sum quic_sni_ai quic_sni_lookalike quic_sni_other)"
        cmp_counter http_requests "$(jq .http_requests <<<"$CAP")" "$(sum http_host_ai http_host_lookalike http_host_other)"
        echo "   flows $(jq .flows <<<"$CAP") (evicted $(jq .flows_evicted <<<"$CAP")); the generator's open flows: $(total open_flows "$TRUTH")"
    fi
fi

RATIO=n/a
if [ "$SA_SECS" != n/a ] && [ "$T_SECS" != n/a ]; then
    RATIO=$(awk -v t="$T_SECS" -v s="$SA_SECS" 'BEGIN { printf "%.1f", (s > 0) ? t / s : 0 }')
fi
SA_RSS_TEXT=n/a T_RSS_TEXT=n/a
[ "$SA_RSS" != n/a ] && ((HAVE_TIME)) && SA_RSS_TEXT="$(mib "$SA_RSS") (1/4 input: $(mib "$SA_QRSS"), $RSS_VERDICT)"
[ "$T_RSS" != n/a ] && ((HAVE_TIME)) && T_RSS_TEXT=$(mib "$T_RSS")

echo
echo "summary: ${MB} MiB capture ($BYTES bytes, $(total packets "$TRUTH") packets, $(total open_flows "$TRUTH") open flows), $(nproc) CPUs"
if [ "$SA_SECS" = n/a ]; then
    echo "  shadow-ai  not measured (this build does not read captures)"
else
    echo "  shadow-ai  $SA_SECS s = $SA_MBPS MB/s, peak RSS $SA_RSS_TEXT"
fi
if [ "$T_SECS" = n/a ]; then
    echo "  tshark     not measured"
else
    echo "  tshark     $T_SECS s = $T_MBPS MB/s, peak RSS $T_RSS_TEXT$T_LABEL"
fi
[ "$RATIO" = n/a ] || RATIO="${RATIO}x"
echo "  tshark / shadow-ai wall time: $RATIO (target >= 30x) | $CHECK"
