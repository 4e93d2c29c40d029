# Timing helpers shared by the benchmark scripts (sourced, not run). The caller sets DATA (a
# scratch folder) before sourcing.

TIME=/usr/bin/time
HAVE_TIME=1
if ! [ -x "$TIME" ] || ! "$TIME" -v true >/dev/null 2>&1; then
    HAVE_TIME=0
    echo "warning: GNU time not found at $TIME, skipping peak RSS (sudo apt-get install time)" >&2
fi

now() { date +%s.%N; }
fsub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }
fmin() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a + 0 < b + 0) ? a : b }'; }
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0) ? b / 1e6 / s : 0 }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }

# timed N OUT CMD...: best wall time of N runs in BEST (seconds), max peak RSS in PEAK_KB
# (when GNU time exists); stdout of the last run in OUT, its stderr in $DATA/last.err. Exit
# codes listed in $OK_RC (space-separated) count as success.
timed() {
    local n=$1 outf=$2 i t0 t1 dt rc kb
    shift 2
    BEST="" PEAK_KB=0
    for ((i = 1; i <= n; i++)); do
        rc=0
        t0=$(now)
        if ((HAVE_TIME)); then
            "$TIME" -v -o "$DATA/time.txt" "$@" >"$outf" 2>"$DATA/last.err" || rc=$?
        else
            "$@" >"$outf" 2>"$DATA/last.err" || rc=$?
        fi
        t1=$(now)
        if [[ " $OK_RC " != *" $rc "* ]]; then
            echo "command failed with exit code $rc: $*" >&2
            tail -n 20 "$DATA/last.err" >&2
            exit 1
        fi
        dt=$(fsub "$t1" "$t0")
        BEST=$(fmin "$dt" "$BEST")
        if ((HAVE_TIME)); then
            kb=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$DATA/time.txt")
            ((${kb:-0} > PEAK_KB)) && PEAK_KB=$kb
        fi
        printf '   run %d: %7.3f s\n' "$i" "$dt"
    done
}
