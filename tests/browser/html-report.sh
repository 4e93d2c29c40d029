#!/usr/bin/env bash
# Browser test of the HTML report (`--format-out html`): renders it in headless Chromium
# and checks what the page shows (the DOM Chromium built), that hostile values from logs
# and rules stayed text, and that the page requested nothing: no Content-Security-Policy
# violation in the console, and no request initiated by the page in Chromium's net log
# (with every host name mapped to nowhere, so nothing can leave the machine anyway).
#
#   tests/browser/html-report.sh            # builds the debug binary if needed
#   SHADOW_AI_BIN=target/release/shadow-ai tests/browser/html-report.sh
#
# Installs Chromium with apt when it is missing (Debian package `chromium`; needs root).
# Leaves the pages, DOM dumps, net logs and a screenshot in $ARTIFACTS (default
# target/browser). Exits non-zero on the first failed check.
set -euo pipefail
cd "$(dirname "$0")/../.."

ARTIFACTS=${ARTIFACTS:-target/browser}
mkdir -p "$ARTIFACTS"
ARTIFACTS=$(cd "$ARTIFACTS" && pwd)

if [ -z "${SHADOW_AI_BIN:-}" ]; then
  cargo build --locked --quiet --bin shadow-ai
  SHADOW_AI_BIN=${CARGO_TARGET_DIR:-target}/debug/shadow-ai
fi

if ! command -v chromium >/dev/null 2>&1; then
  echo "html-report: installing chromium (apt)" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# chromium_run NAME URL EXTRA-ARGS...: runs headless Chromium on URL with a fresh profile,
# every host name resolving to nothing, console messages on stderr and a net log.
chromium_run() {
  local name=$1 url=$2
  shift 2
  timeout 60 chromium --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$(mktemp -d -p "$work")" \
    --host-resolver-rules="MAP * ~NOTFOUND" \
    --enable-logging=stderr --v=0 \
    --log-net-log="$ARTIFACTS/$name.netlog.json" \
    --virtual-time-budget=3000 \
    "$@" "$url" 2>"$ARTIFACTS/$name.console.txt" ||
    fail "$name: Chromium failed with status $? (124: timed out, e.g. on a dialog a script opened)"
}

# Requests the page made: the browser's own background fetches carry no initiator
# ("not an origin"); a file:// page's carry "null" (an opaque origin) or its URL.
page_requests() {
  grep -o '"initiator":"[^"]*"' "$ARTIFACTS/$1.netlog.json" | grep -v '"not an origin"' || true
}

# Page problems Chromium reported on its console: CSP violations, script errors.
console_problems() {
  grep -E 'Content Security Policy|Refused to|Uncaught|violates' "$ARTIFACTS/$1.console.txt" || true
}

expect() { # expect NAME FILE TEXT...: FILE contains each TEXT (fixed strings)
  local name=$1 file=$2
  shift 2
  for t in "$@"; do
    grep -qF -- "$t" "$file" || fail "$name: the page does not show: $t"
  done
}

expect_count() { # expect_count NAME FILE N TEXT: TEXT occurs N times in FILE
  local n
  n=$(grep -oF -- "$4" "$2" | wc -l || true)
  [ "$n" -eq "$3" ] || fail "$1: expected $3 × '$4', found $n"
}

# --- 0. The detection works: a page without CSP that loads an image is caught. ---------
cat >"$work/canary.html" <<'EOF'
<!DOCTYPE html><html><head><meta charset="utf-8"><title>canary</title></head>
<body><img src="http://canary.invalid/pixel.png" alt=""><p>canary</p></body></html>
EOF
chromium_run canary "file://$work/canary.html" --dump-dom >"$ARTIFACTS/canary.dom.html"
[ -n "$(page_requests canary)" ] ||
  fail "self-test: a page request is not visible in the net log; the network check would miss one"

# --- 1. The report for the Squid fixture. -------------------------------------------------
report="$work/report.html"
"$SHADOW_AI_BIN" scan tests/data/scan/access.log --no-state --format-out html -o "$report" -q || [ $? -eq 1 ]
cp "$report" "$ARTIFACTS/report.html"
dom="$ARTIFACTS/report.dom.html"
chromium_run report "file://$report" --dump-dom >"$dom"
[ -s "$dom" ] || fail "report: Chromium produced no DOM"

expect report "$dom" \
  "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">" \
  "<h1>Shadow AI report</h1>" \
  '<dd id="scan-started">2' \
  '<dd id="signature-set">' \
  '&lt;builtin&gt;/default.toml' \
  'id="kpi-services" data-value="3"><span class="v">3</span><span class="k">AI services</span>' \
  'id="kpi-subjects" data-value="3"><span class="v">3</span><span class="k">Subjects</span>' \
  'id="kpi-unsanctioned" data-value="2"><span class="v">2</span><span class="k">Unsanctioned</span>' \
  'id="kpi-blocked-but-used" data-value="1"><span class="v">1</span><span class="k">Blocked but used</span>' \
  'id="kpi-records" data-value="8"><span class="v">8</span><span class="k">Records read</span>' \
  '= 4 matched + 3 unmatched + 1 skipped' \
  '<title>Claude: 1 blocked but used</title>' \
  '<title>OpenAI API: 20480 bytes received</title>' \
  'No history yet (run scheduled scans with <code>--state</code>).' \
  'Unsanctioned use of Claude (Anthropic) by 1 subject' \
  '<span class="kind">user</span>bob' \
  '<span class="badge st-blocked_but_used">blocked but used</span>' \
  '1 × squid: bad timestamp' \
  '<td>Total: 1 input</td>'
# The charts were parsed as SVG, with one bar per service in each.
expect_count report "$dom" 2 '<svg class="chart"'
expect_count report "$dom" 6 '<g class="bar">'
expect_count report "$dom" 3 '<tr data-finding="saf-'
expect_count report "$dom" 3 '<td class="id">SAI-R-'
expect_count report "$dom" 3 '<td class="id">SAI-I-'
[ -z "$(page_requests report)" ] || fail "report: the page made requests: $(page_requests report)"
[ -z "$(console_problems report)" ] || fail "report: console: $(console_problems report)"

# What a person sees: a full-page screenshot (not blank).
chromium_run report-shot "file://$report" --hide-scrollbars --window-size=1280,2400 \
  --screenshot="$ARTIFACTS/html-report.png" >/dev/null
size=$(stat -c %s "$ARTIFACTS/html-report.png" 2>/dev/null || echo 0)
[ "$size" -gt 30000 ] || fail "report: the screenshot is missing or blank ($size bytes)"

# --- 2. Hostile values from logs, rules and file names stay text. -------------------------
hostile="$work/\"><img src=x onerror=alert(5)>.log"
printf '%s\n' \
  '1795770001.120 245 10.1.2.3 TCP_TUNNEL/200 5120 CONNECT chatgpt.com:443 <script>alert(1)</script> HIER_DIRECT/104.18.32.47 -' \
  '1795770002.120 245 10.1.2.9 TCP_TUNNEL/200 5120 CONNECT claude.ai:443 %22%3E%3Cimg%20src=x%20onerror=alert(2)%3E HIER_DIRECT/104.18.32.47 -' \
  >"$hostile"
cat >"$work/rules.toml" <<'EOF'
schema = 1
[[department]]
id = "rd"
name = "R&D <script>alert(3)</script>"
users = ["<script>*", "\"*"]
[[policy]]
service = "openai-chatgpt"
status = "unsanctioned"
owner = "\"><img src=x onerror=alert(4)>"
reason = "<b>not approved</b>"
EOF
"$SHADOW_AI_BIN" scan "$hostile" --rules "$work/rules.toml" --no-state --format-out html \
  -o "$work/hostile.html" -q || [ $? -eq 1 ]
cp "$work/hostile.html" "$ARTIFACTS/hostile.html"
hdom="$ARTIFACTS/hostile.dom.html"
chromium_run hostile "file://$work/hostile.html" --dump-dom >"$hdom"
expect hostile "$hdom" \
  '<span class="kind">user</span>&lt;script&gt;alert(1)&lt;/script&gt;' \
  '<span class="kind">user</span>"&gt;&lt;img src=x onerror=alert(2)&gt;' \
  'R&amp;D &lt;script&gt;alert(3)&lt;/script&gt;' \
  '<td>"&gt;&lt;img src=x onerror=alert(4)&gt;</td>' \
  '"&gt;&lt;img src=x onerror=alert(5)&gt;.log</code>'
# No element was injected: the DOM holds no script, image or bold element, and no tag
# carries an event handler (the escaped values are text, outside any tag).
for tag in '<script' '<img' '<b>'; do
  expect_count hostile "$hdom" 0 "$tag"
done
if grep -qE '<[a-zA-Z][^>]*[[:space:]]on[a-z]+=' "$hdom"; then
  fail "hostile: an element carries an event handler: $(grep -oE '<[a-zA-Z][^>]*[[:space:]]on[a-z]+=' "$hdom" | head -3)"
fi
[ -z "$(page_requests hostile)" ] || fail "hostile: the page made requests: $(page_requests hostile)"
[ -z "$(console_problems hostile)" ] || fail "hostile: console: $(console_problems hostile)"

if [ "$failures" -gt 0 ]; then
  echo "html-report: $failures checks failed (artifacts in $ARTIFACTS)" >&2
  exit 1
fi
echo "html-report: all checks passed (screenshot: $ARTIFACTS/html-report.png)"
