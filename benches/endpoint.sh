#!/usr/bin/env bash
# Endpoint benchmark (issue 5): `shadow-ai scan --endpoint ROOT` over a generated tree of at
# least 500,000 files (benches/gen_tree.rs: homes with node_modules and virtual environments,
# editor extensions, agent configs, a local model store), against `find ROOT -type f | wc -l`
# in the same run. Target: wall-time ratio <= 1.5.
#
#   benches/endpoint.sh           # tree in a temporary folder, removed at the end
#   benches/endpoint.sh --keep    # tree kept in bench-data/tree and reused next time
#
# Environment: BENCH_FILES (default 520000), BENCH_RUNS (default 3), BENCH_SEED (default 42),
# BENCH_TREE (an already generated tree to use).
# Both commands run on a warm cache (one untimed find first): the comparison is of the
# walking and reading work, not of the disk.
set -euo pipefail
cd "$(dirname "$0")/.."

KEEP=0
[ "${1:-}" = "--keep" ] && KEEP=1
FILES=${BENCH_FILES:-520000}
RUNS=${BENCH_RUNS:-3}
SEED=${BENCH_SEED:-42}
BIN=target/release/shadow-ai
GEN=target/release/gen-tree-bench

if ((KEEP)); then
    DATA=bench-data
    mkdir -p "$DATA"
else
    DATA=$(mktemp -d "${TMPDIR:-/tmp}/shadow-ai-endpoint.XXXXXX")
    trap 'rm -rf "$DATA"' EXIT
fi
# shellcheck source=benches/timing.sh
source "$(dirname "$0")/timing.sh"

cargo build --release --bins
TREE=${BENCH_TREE:-$DATA/tree}
if [ -f "$TREE.truth.tsv" ] && head -n1 "$TREE.truth.tsv" | grep -q .; then
    echo "== reusing $TREE"
else
    rm -rf "$TREE"
    echo "== generating $FILES files in $TREE"
    "$GEN" "$TREE" "$FILES" "$SEED"
fi

find "$TREE" -type f | wc -l >/dev/null # warm the cache
echo "== find $TREE -type f | wc -l"
OK_RC="0" timed "$RUNS" "$DATA/find.out" sh -c "find '$TREE' -type f | wc -l"
FIND=$BEST
COUNT=$(cat "$DATA/find.out")
echo "== shadow-ai scan --endpoint $TREE ($(nproc) CPUs)"
OK_RC="0 1" timed "$RUNS" "$DATA/scan.json" "$BIN" scan --no-state -q --format-out json --endpoint "bench=$TREE"
SCAN=$BEST
SCAN_RSS=$PEAK_KB

# What the scan found against what the generator planted: artefacts per selector.
python3 - "$DATA/scan.json" "$TREE.truth.tsv" <<'PY'
import json, sys, collections
doc = json.load(open(sys.argv[1]))
found = collections.Counter()
for f in doc["findings"]:
    for m in f["matched"]:
        found[m["value"].split(" ")[0]] += m["events"]
want = collections.Counter()
for line in open(sys.argv[2]):
    if line.startswith("#"):
        continue
    kind, qual, value, *_ = line.rstrip("\n").split("\t")
    want[f"{kind}:{qual}:{value}"] += 1
inp = doc["summary"]["inputs"][0]
print(f"   files walked {inp['endpoint']['files']} (package and extension folders are read from their manifests), artefacts {inp['records']} ({inp['matched']} matched)")
bad = {k: (want[k], found.get(k, 0)) for k in want if found.get(k, 0) < want[k]}
print(f"   planted AI artefacts by selector: {dict(want)}")
print("   all found" if not bad else f"   MISSING (planted, found): {bad}")
lookalikes = [k for k in found if "clone" in k or k.endswith(":anthropics")]
print("   no look-alike matched" if not lookalikes else f"   LOOK-ALIKES MATCHED: {lookalikes}")
PY
RATIO=$(awk -v a="$SCAN" -v b="$FIND" 'BEGIN { printf "%.2f", a / b }')
echo
echo "summary: $COUNT files; find $FIND s; shadow-ai $SCAN s (peak RSS $(mib "$SCAN_RSS")); ratio $RATIO (target <= 1.5)"
