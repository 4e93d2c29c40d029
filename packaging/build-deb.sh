#!/usr/bin/env bash
# Builds the Debian package: release binary, man pages and shell completions generated
# from it into target/packaging/, then `cargo deb --no-build` with the assets listed in
# Cargo.toml [package.metadata.deb]. Prints the .deb's path on stdout (last line).
#
# Needs cargo-deb (installed from crates.io with `cargo install cargo-deb --locked` when
# missing; about a minute on a 2-core machine) and, for `depends = "$auto"`,
# dpkg-shlibdeps from dpkg-dev when present (otherwise cargo-deb falls back to libc).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo deb --version >/dev/null 2>&1; then
  echo "build-deb: installing cargo-deb" >&2
  cargo install cargo-deb --locked
fi

cargo build --release --locked --bin shadow-ai >&2
# Generated fresh each time, so a removed subcommand leaves no stale page behind.
rm -rf target/packaging
cargo run --release --locked --quiet -- generate man target/packaging/man >/dev/null
cargo run --release --locked --quiet -- generate completions target/packaging/completions >/dev/null

# `cargo deb` prints the path of each package it wrote: shadow-ai_*.deb and the debug
# symbols, shadow-ai-dbgsym_*.ddeb. The .deb is what is installed.
out=$(cargo deb --no-build --locked "$@")
printf '%s\n' "$out" | grep -F dbgsym >&2 || true
deb=$(printf '%s\n' "$out" | grep '\.deb$' | grep -v dbgsym | tail -n 1)
test -f "$deb" || { echo "build-deb: cargo deb wrote no .deb (it said: $out)" >&2; exit 1; }
echo "$deb"
