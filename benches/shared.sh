#!/usr/bin/env bash
# Shared crawls on Redis: pages/s with 1, 2, 4 ... workers on one crawl of a testbed of many
# hosts whose pages each take a while to answer (so the work is I/O-bound and the scaling is
# visible on a small machine), CPU per page, Redis round trips and memory per URL. (The
# time a killed worker's hosts wait for their next owner is measured from the test site's
# request log by `cargo test -p trawler-cli --test shared three_workers -- --nocapture`.)
#
#   bash benches/shared.sh [WORKERS...]        default: 1 2 4
#
# Environment: HOSTS (120), PAGES per host (200), LATENCY_MS (50), CONCURRENCY per worker
# (32), RUNS per worker count (3, interleaved).
# Release builds; everything listens on 127.0.0.1 only; every wait is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."

HOSTS=${HOSTS:-120}
PAGES=${PAGES:-200}
LATENCY_MS=${LATENCY_MS:-50}
CONCURRENCY=${CONCURRENCY:-32}
RUNS=${RUNS:-3}
COUNTS=("${@:-1 2 4}")
read -r -a COUNTS <<<"${COUNTS[*]}"

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

# One Redis for the whole run (each crawl has its own name), persistence off.
RPORT=$(free_port)
redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no >/dev/null &
PIDS+=($!)
for _ in $(seq 100); do redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break; sleep 0.05; done
REDIS="redis://127.0.0.1:$RPORT/"

# A fresh testbed per crawl (its counters say what was served).
start_site() {
  local port
  port=$(free_port)
  "$TESTBED" --hosts "$HOSTS" --pages "$PAGES" --links 20 --latency-ms "$LATENCY_MS" \
    --port "$port" --seconds 900 >"$WORK/site.log" 2>&1 &
  SITE_PID=$!
  PIDS+=("$SITE_PID")
  for _ in $(seq 200); do grep -q reachable "$WORK/site.log" && break; sleep 0.05; done
  SEEDS=()
  for h in $(seq 1 "$HOSTS"); do SEEDS+=("http://127.0.0.$h:$port/"); done
}

# Runs one crawl with $1 workers; prints pages/s, CPU per page (all workers), Redis calls
# per page and the largest worker's peak RSS.
crawl() {
  local n=$1 id="b$RANDOM$RANDOM" start end pages cpu calls
  start_site
  redis-cli -p "$RPORT" config resetstat >/dev/null
  start=$(date +%s.%N)
  local wpids=()
  for i in $(seq 1 "$n"); do
    /usr/bin/time -f "%U %S %M" -o "$WORK/time.$i" "$BIN" -q crawl "${SEEDS[@]}" --redis "$REDIS" \
      --crawl-id "$id" -o "$WORK/out.$i.jsonl" --overwrite -c "$CONCURRENCY" --no-robots &
    wpids+=($!)
  done
  for p in "${wpids[@]}"; do timeout 600 tail --pid="$p" -f /dev/null; wait "$p"; done
  end=$(date +%s.%N)
  pages=$(cat "$WORK"/out.*.jsonl | grep -c '"outcome":"fetched"')
  cpu=$(cat "$WORK"/time.* | awk '{s += $1 + $2} END {print s}')
  rss=$(cat "$WORK"/time.* | awk '$3 > m {m = $3} END {print m}')
  calls=$(redis-cli -p "$RPORT" info commandstats | awk -F'[=,:]' '/cmdstat_(evalsha|eval|hget|zscore|time)/ {s += $3} END {print s}')
  kill "$SITE_PID" 2>/dev/null || true
  rm -f "$WORK"/out.*.jsonl "$WORK"/time.*
  python3 - "$n" "$pages" "$start" "$end" "$cpu" "$calls" "$rss" <<'EOF'
import sys
n, pages, start, end, cpu, calls, rss = sys.argv[1:]
pages = int(pages); secs = float(end) - float(start)
print(f"{n} workers: {pages} pages in {secs:.1f} s = {pages / secs:.0f} pages/s, "
      f"{float(cpu) * 1000 / pages:.3f} ms CPU/page, {int(calls) / pages:.2f} Redis calls/page, "
      f"peak RSS {int(rss) / 1024:.1f} MiB (largest worker)")
EOF
}

echo "# $HOSTS hosts x $PAGES pages, ${LATENCY_MS} ms per answer, -c $CONCURRENCY per worker"
for run in $(seq 1 "$RUNS"); do
  for n in "${COUNTS[@]}"; do
    crawl "$n"
  done
done

# Memory per URL in Redis: a crawl's keys once it is over (seen-set and counters; the
# queues are empty then) over the URLs it saw.
id="mem$RANDOM"
start_site
before=$(redis-cli -p "$RPORT" info memory | awk -F: '/^used_memory:/ {print $2}' | tr -d '\r')
"$BIN" -q crawl "${SEEDS[@]}" --redis "$REDIS" --crawl-id "$id" -o "$WORK/mem.jsonl" \
  -c "$CONCURRENCY" --no-robots
after=$(redis-cli -p "$RPORT" info memory | awk -F: '/^used_memory:/ {print $2}' | tr -d '\r')
urls=$(wc -l <"$WORK/mem.jsonl")
kill "$SITE_PID" 2>/dev/null || true
echo "Redis memory after the crawl: $(( (after - before) / urls )) bytes per URL ($urls URLs)"
