#!/usr/bin/env bash
# Crawling through a proxy against crawling direct: pages/s, the crawler's CPU per page (and
# the proxy's), the crawler's peak RSS, on one testbed crawl, for each of: direct, SOCKS5
# (Debian's microsocks), an HTTP proxy (Debian's tinyproxy). Modes alternate run by run.
#
#   bash benches/proxy.sh
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

wait_port() {
  for _ in $(seq 200); do
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 0.2)" 2>/dev/null && return
    sleep 0.05
  done
  echo "nothing listens on $1" >&2
  exit 1
}

SPORT=$(free_port)
microsocks -i 127.0.0.1 -p "$SPORT" >/dev/null 2>&1 &
SOCKS_PID=$!
PIDS+=("$SOCKS_PID")
HPORT=$(free_port)
cat >"$WORK/tinyproxy.conf" <<CONF
Port $HPORT
Listen 127.0.0.1
Timeout 30
MaxClients 1000
LogLevel Error
Allow 127.0.0.1
CONF
tinyproxy -d -c "$WORK/tinyproxy.conf" >/dev/null 2>&1 &
HTTP_PID=$!
PIDS+=("$HTTP_PID")
wait_port "$SPORT"
wait_port "$HPORT"

# CPU seconds (user + system) a process and its children used so far.
cpu_of() {
  awk '{print ($14 + $15 + $16 + $17) / 100}' "/proc/$1/stat"
}

# A fresh testbed per crawl.
start_site() {
  local port
  port=$(free_port)
  "$TESTBED" --hosts "$HOSTS" --pages "$PAGES" --port "$port" --seconds 900 >"$WORK/site.log" 2>&1 &
  SITE_PID=$!
  PIDS+=("$SITE_PID")
  for _ in $(seq 200); do grep -q reachable "$WORK/site.log" && break; sleep 0.05; done
  SEEDS=()
  for h in $(seq 1 "$HOSTS"); do SEEDS+=("http://127.0.0.$h:$port/"); done
}

# One crawl in mode $1 (direct, socks5, http).
crawl() {
  local mode=$1 proxy=() proxy_pid="" start end pages before after
  case $mode in
    socks5) proxy=(--proxy "socks5h://127.0.0.1:$SPORT"); proxy_pid=$SOCKS_PID ;;
    http) proxy=(--proxy "http://127.0.0.1:$HPORT"); proxy_pid=$HTTP_PID ;;
  esac
  start_site
  before=0
  [ -n "$proxy_pid" ] && before=$(cpu_of "$proxy_pid")
  start=$(date +%s.%N)
  timeout 600 /usr/bin/time -f "%U %S %M" -o "$WORK/time" "$BIN" -q crawl "${SEEDS[@]}" \
    "${proxy[@]}" -o "$WORK/out.jsonl" --overwrite -c "$CONCURRENCY" --no-robots
  end=$(date +%s.%N)
  after=0
  [ -n "$proxy_pid" ] && after=$(cpu_of "$proxy_pid")
  pages=$(grep -c '"outcome":"fetched"' "$WORK/out.jsonl")
  kill "$SITE_PID" 2>/dev/null || true
  python3 - "$mode" "$pages" "$start" "$end" "$(cat "$WORK/time")" "$before" "$after" <<'PY'
import sys
mode, pages, start, end, times, before, after = sys.argv[1:]
user, system, rss = times.split()
pages = int(pages); secs = float(end) - float(start)
proxy = (float(after) - float(before)) * 1000 / pages
print(f"{mode:7} {pages} pages in {secs:.2f} s = {pages / secs:.0f} pages/s, "
      f"{(float(user) + float(system)) * 1000 / pages:.3f} ms crawler CPU/page, "
      f"{proxy:.3f} ms proxy CPU/page, peak RSS {int(rss) / 1024:.1f} MiB")
PY
}

echo "# $HOSTS hosts x $PAGES pages, -c $CONCURRENCY, $RUNS runs per mode, interleaved"
for run in $(seq 1 "$RUNS"); do
  for mode in direct socks5 http; do
    crawl "$mode"
  done
done
