# Sourced by the crawl benchmarks (keep.sh, recrawl.sh, render.sh): builds the `trawler`
# binary (with the features in CLI_FEATURES) and the testbed (release), serves HOSTS x PAGES testbed pages on a free loopback port (more testbed
# flags in SITE_FLAGS), and sets BIN, WORK (a temporary directory, removed on exit) and
# SEEDS (one start URL per host). Everything listens on 127.0.0.1 only; every wait is bounded.

cargo build --release -q -p trawler-cli ${CLI_FEATURES:+--features "$CLI_FEATURES"}
cargo build --release -q --example testbed
BIN=target/release/trawler
TESTBED=target/release/examples/testbed
WORK=$(mktemp -d)
SITE_PID=""
cleanup() {
  [ -n "$SITE_PID" ] && kill "$SITE_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# shellcheck disable=SC2086
"$TESTBED" --hosts "$HOSTS" --pages "$PAGES" --port "$PORT" --seconds 3000 ${SITE_FLAGS:-} \
  >"$WORK/site.log" 2>&1 &
SITE_PID=$!
for _ in $(seq 200); do grep -q reachable "$WORK/site.log" && break; sleep 0.05; done
SEEDS=()
for h in $(seq 1 "$HOSTS"); do SEEDS+=("http://127.0.0.$h:$PORT/"); done
