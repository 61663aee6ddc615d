#!/usr/bin/env bash
# HTTP/2 against HTTP/1.1 over TLS on the same testbed crawl: pages/s, CPU per page and
# peak RSS of the crawler, the two modes alternating run by run. The testbed serves https
# (`--tls`: HTTP/2 and HTTP/1.1 by ALPN, a CA made at start) with TCP_NODELAY, as nginx does.
#
#   bash benches/http2.sh
#
# Environment: HOSTS (4), PAGES per host (5000), CONCURRENCY (64), RUNS per mode (3).
# Release builds; everything listens on 127.0.0.1 only; every wait is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."

HOSTS=${HOSTS:-4}
PAGES=${PAGES:-5000}
CONCURRENCY=${CONCURRENCY:-64}
RUNS=${RUNS:-3}

cargo build --release -q -p trawler-cli && cargo build --release -q --example testbed
BIN=target/release/trawler
TESTBED=target/release/examples/testbed
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# A fresh testbed per crawl.
start_site() {
  local port
  port=$(free_port)
  "$TESTBED" --hosts "$HOSTS" --pages "$PAGES" --port "$port" --seconds 900 \
    --tls "$WORK/ca.pem" >"$WORK/site.log" 2>&1 &
  SITE_PID=$!
  PIDS+=("$SITE_PID")
  for _ in $(seq 200); do grep -q reachable "$WORK/site.log" && break; sleep 0.05; done
  SEEDS=()
  for h in $(seq 1 "$HOSTS"); do SEEDS+=("https://127.0.0.$h:$port/"); done
}

# One crawl in mode $1 (http1 or http2).
crawl() {
  local mode=$1 flag=() start end pages
  [ "$mode" = http2 ] && flag=(--http2)
  start_site
  start=$(date +%s.%N)
  timeout 600 /usr/bin/time -f "%U %S %M" -o "$WORK/time" "$BIN" -q crawl "${SEEDS[@]}" \
    "${flag[@]}" --ca-cert "$WORK/ca.pem" -o "$WORK/out.jsonl" --overwrite -c "$CONCURRENCY" --no-robots
  end=$(date +%s.%N)
  pages=$(grep -c '"outcome":"fetched"' "$WORK/out.jsonl")
  kill "$SITE_PID" 2>/dev/null || true
  python3 - "$mode" "$pages" "$start" "$end" "$(cat "$WORK/time")" <<'PY'
import sys
mode, pages, start, end, times = sys.argv[1:]
user, system, rss = times.split()
pages = int(pages); secs = float(end) - float(start)
print(f"{mode} {pages} pages in {secs:.2f} s = {pages / secs:.0f} pages/s, "
      f"{(float(user) + float(system)) * 1000 / pages:.3f} ms CPU/page, peak RSS {int(rss) / 1024:.1f} MiB")
PY
}

echo "# https, $HOSTS hosts x $PAGES pages, -c $CONCURRENCY, $RUNS runs per mode, interleaved"
for run in $(seq 1 "$RUNS"); do
  for mode in http1 http2; do
    crawl "$mode"
  done
done
