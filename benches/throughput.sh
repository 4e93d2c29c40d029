#!/usr/bin/env bash
# Throughput benchmark: `shadow-ai scan` against ripgrep's fixed-string search for the same
# domains, over a synthetic Squid native access.log (benches/gen_squid.rs).
#
#   benches/throughput.sh                    # 1 GiB log, best of 3
#   BENCH_BYTES=268435456 benches/throughput.sh
#
# Environment:
#   BENCH_BYTES  size of the main log in bytes (default 1073741824 = 1 GiB)
#   BENCH_RUNS   timed runs per command; the best (fastest) counts (default 3)
#   BENCH_SEED   generator seed (default 42)
#
# Everything it writes goes to bench-data/ (git-ignored): the logs, their ground truth
# (*.truth.tsv: lines per AI host, from the generator), patterns.txt and the findings.
# rg only counts lines containing any signature domain as a substring: it is the floor for
# "read the bytes and look for the names", not an equivalent of what shadow-ai does (parse
# every line, match hosts on label boundaries, aggregate). rg searches one file on one
# thread; shadow-ai splits a large file across every core.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

BYTES=${BENCH_BYTES:-1073741824}
RUNS=${BENCH_RUNS:-3}
SEED=${BENCH_SEED:-42}
DATA=bench-data
BIN=target/release/shadow-ai
GEN=target/release/gen-squid-bench

die() { echo "throughput.sh: $*" >&2; exit 1; }
note() { echo "== $*"; }

case $BYTES in '' | *[!0-9]*) die "BENCH_BYTES must be a number of bytes, got '$BYTES'" ;; esac
case $RUNS in '' | *[!0-9]* | 0) die "BENCH_RUNS must be a positive number, got '$RUNS'" ;; esac
((BYTES >= 4096)) || die "BENCH_BYTES too small: $BYTES"

# 1073741824 -> 1g, 268435456 -> 256m, anything else -> the number itself.
human() {
    local n=$1
    if ((n % (1 << 30) == 0)); then echo "$((n >> 30))g"
    elif ((n % (1 << 20) == 0)); then echo "$((n >> 20))m"
    elif ((n % (1 << 10) == 0)); then echo "$((n >> 10))k"
    else echo "$n"; fi
}

# --- tools -----------------------------------------------------------------------------------
command -v cargo >/dev/null || die "cargo not found (https://rustup.rs)"
HAVE_RG=1
if ! command -v rg >/dev/null; then
    HAVE_RG=0
    echo "warning: ripgrep not found, skipping the rg baseline (install: sudo apt-get install ripgrep)" >&2
fi
compgen -G "signatures/*.toml" >/dev/null || die "no signatures/*.toml (run from the crate root)"

# --- build -----------------------------------------------------------------------------------
note "cargo build --release --bins"
cargo build --release --bins
[ -x "$BIN" ] || die "$BIN missing after build"
[ -x "$GEN" ] || die "$GEN missing after build"
mkdir -p "$DATA"
# shellcheck source=benches/timing.sh
source "$(dirname "$0")/timing.sh"

# --- data ------------------------------------------------------------------------------------
# ensure_log FILE BYTES: (re)generates FILE unless it is already a log of that size: the
# generator stops at the last whole line that fits, so a few hundred bytes short is right.
ensure_log() {
    local file=$1 bytes=$2 size
    size=$(stat -c %s "$file" 2>/dev/null || echo -1)
    if ((size > bytes - 1024 && size <= bytes)) && [ -s "${file%.log}.truth.tsv" ]; then
        echo "   $file: present ($size bytes)"
        return
    fi
    echo "   generating $file ($bytes bytes, seed $SEED)"
    "$GEN" --bytes "$bytes" --seed "$SEED" --out "$file" 2>"${file%.log}.truth.tsv" \
        || { cat "${file%.log}.truth.tsv" >&2; die "generator failed"; }
    sed -n '1s/^# /   /p' "${file%.log}.truth.tsv"
}

LOG="$DATA/squid-$(human "$BYTES").log"
SMALL_BYTES=$((BYTES / 4))
SMALL="$DATA/squid-$(human "$SMALL_BYTES").log"
note "data"
ensure_log "$LOG" "$BYTES"
ensure_log "$SMALL" "$SMALL_BYTES"
LOG_BYTES=$(stat -c %s "$LOG")
SMALL_LOG_BYTES=$(stat -c %s "$SMALL")
TRUTH_AI=$(awk -F'\t' '$1 == "ai_lines" { print $2 }' "${LOG%.log}.truth.tsv")
TRUTH_LINES=$(awk -F'\t' '$1 == "lines" { print $2 }' "${LOG%.log}.truth.tsv")

# Every domain/host a signature names, e.g. `{ domain = "chatgpt.com", confidence = "high" }`.
# Hosts that only narrow a path indicator (`{ path = "/copilot_internal/", host =
# "api.github.com" }`) are left out: as bare substrings they would count all GitHub API traffic.
PATTERNS="$DATA/patterns.txt"
grep -hv 'path[[:space:]]*=' signatures/*.toml \
    | grep -oE '\b(domain|host)[[:space:]]*=[[:space:]]*"[^"]+"' \
    | sed -E 's/^[^"]*"([^"]*)"$/\1/; s/^\*\.//' | sort -u >"$PATTERNS" || true
[ -s "$PATTERNS" ] || die "no domain/host values found in signatures/*.toml"
echo "   $PATTERNS: $(wc -l <"$PATTERNS") patterns from $(ls signatures/*.toml | wc -l) signature files"

note "warming the page cache"
cat "$LOG" "$SMALL" >/dev/null

# --- timing ----------------------------------------------------------------------------------

RG_MBPS=n/a RG_SECS=n/a RG_COUNT=n/a
if ((HAVE_RG)); then
    note "rg -c -F -f $PATTERNS $LOG   ($(rg --version | head -n1))"
    OK_RC="0 1" timed "$RUNS" "$DATA/last.out" rg -c -F -f "$PATTERNS" "$LOG" # 1 = no line matched
    RG_SECS=$BEST
    RG_MBPS=$(mbps "$LOG_BYTES" "$RG_SECS")
    RG_COUNT=$(head -n1 "$DATA/last.out")
    echo "   best $RG_SECS s = $RG_MBPS MB/s; $RG_COUNT lines contain a pattern (ground truth: $TRUTH_AI AI lines;"
    echo "   substrings also hit look-alikes like notchatgpt.com and miss host_pattern hosts)"
fi

note "$BIN scan $LOG --format-out jsonl --output $DATA/findings.jsonl   ($(nproc) CPUs)"
# Exit 1 means "found AI use", which this log always has.
OK_RC="0 1" timed "$RUNS" "$DATA/last.out" "$BIN" scan "$LOG" --no-state --format-out jsonl --output "$DATA/findings.jsonl"
SA_SECS=$BEST
SA_MBPS=$(mbps "$LOG_BYTES" "$SA_SECS")
SA_RSS_KB=$PEAK_KB
echo "   best $SA_SECS s = $SA_MBPS MB/s"
# The jsonl ends with the run summary; its totals.matched counts the records that matched a
# signature, which should equal the generator's count of lines sent to AI hosts.
MATCHED=$(tail -n1 "$DATA/findings.jsonl" 2>/dev/null | grep -oE '"matched":[0-9]+' | head -n1 | cut -d: -f2 || true)
CHECK="matched n/a"
if [ -n "$MATCHED" ]; then
    if [ "$MATCHED" = "$TRUTH_AI" ]; then CHECK="matched $MATCHED = ground truth"
    else CHECK="matched $MATCHED != ground truth $TRUTH_AI (MISMATCH)"; fi
    echo "   $CHECK"
fi
FINDINGS=$(grep -c '"record_type":"finding"' "$DATA/findings.jsonl" 2>/dev/null || true)
if [ -s "$DATA/last.err" ]; then
    echo "   scan stderr (last run, tail):"
    tail -n 12 "$DATA/last.err" | sed 's/^/     | /'
fi

RATIO=n/a
if [ "$RG_MBPS" != n/a ]; then
    RATIO=$(awk -v a="$SA_MBPS" -v b="$RG_MBPS" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }')
fi

# Same scan over a 4x smaller log: peak memory should not follow the input size.
note "$BIN scan $SMALL (1/4 size: memory should stay flat)"
OK_RC="0 1" timed "$RUNS" "$DATA/last.out" "$BIN" scan "$SMALL" --no-state --format-out jsonl --output "$DATA/findings-small.jsonl"
SMALL_MBPS=$(mbps "$SMALL_LOG_BYTES" "$BEST")
SMALL_RSS_KB=$PEAK_KB
echo "   best $BEST s = $SMALL_MBPS MB/s"

RSS_TEXT=n/a
if ((HAVE_TIME)); then
    GROWTH=$(awk -v a="$SA_RSS_KB" -v b="$SMALL_RSS_KB" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }')
    # 4x the input: up to 1.5x the memory is flat, up to 2.5x sublinear (more findings to hold).
    VERDICT=$(awk -v g="$GROWTH" 'BEGIN { print (g <= 1.5) ? "flat" : (g <= 2.5) ? "sublinear" : "GROWS with input" }')
    note "peak RSS: $(mib "$SA_RSS_KB") on $(human "$BYTES"), $(mib "$SMALL_RSS_KB") on $(human "$SMALL_BYTES") (x$GROWTH for 4x the data: $VERDICT)"
    RSS_TEXT="$(mib "$SA_RSS_KB") (1/4 input: $(mib "$SMALL_RSS_KB"), $VERDICT)"
fi

echo
echo "summary: $(human "$BYTES") squid log ($TRUTH_LINES lines, $TRUTH_AI AI) | rg -F $RG_MBPS MB/s | shadow-ai $SA_MBPS MB/s (${RATIO}x rg) | peak RSS $RSS_TEXT | ${FINDINGS:-0} findings, $CHECK"
