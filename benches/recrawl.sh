#!/usr/bin/env bash
# A recrawl of an unchanged site with a page cache (`--cache DIR`, primed by one crawl)
# against a plain crawl of it: wall time, pages/s, CPU per page, peak RSS, body bytes read
# and bytes the `304`s saved; the two alternating run by run. Also the cache's size on disk.
#
#   bash benches/recrawl.sh
#
# Environment: HOSTS (4), PAGES per host (5000), CONCURRENCY (64), RUNS per mode (3),
# LATENCY_MS per answer (0).
# Release builds; everything listens on 127.0.0.1 only; every wait is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."

HOSTS=${HOSTS:-4}
PAGES=${PAGES:-5000}
CONCURRENCY=${CONCURRENCY:-64}
RUNS=${RUNS:-3}
LATENCY_MS=${LATENCY_MS:-0}

SITE_FLAGS="--latency-ms $LATENCY_MS"
source benches/site.sh

# One crawl: $1 names it, the rest are extra flags.
crawl() {
  local name=$1 start end
  shift
  start=$(date +%s.%N)
  timeout 600 /usr/bin/time -f "%U %S %M" -o "$WORK/time" "$BIN" -q crawl "${SEEDS[@]}" "$@" \
    -o "$WORK/out.jsonl" --overwrite -c "$CONCURRENCY" --no-robots
  end=$(date +%s.%N)
  python3 - "$name" "$WORK/out.jsonl" "$start" "$end" "$(cat "$WORK/time")" <<'PY'
import json, sys
name, path, start, end, times = sys.argv[1:]
user, system, rss = times.split()
pages = read = saved = unchanged = 0
for line in open(path):
    r = json.loads(line)
    if r["outcome"] in ("fetched", "not_modified"):
        pages += 1
        read += r["bytes"]
        saved += r.get("bytes_saved", 0)
        unchanged += r["outcome"] == "not_modified"
secs = float(end) - float(start)
print(f"{name:8} {pages} pages ({unchanged} not modified) in {secs:.2f} s = {pages / secs:.0f} pages/s, "
      f"{(float(user) + float(system)) * 1000 / pages:.3f} ms CPU/page, peak RSS {int(rss) / 1024:.1f} MiB, "
      f"{read / 1e6:.1f} MB read, {saved / 1e6:.1f} MB saved")
PY
}

echo "# $HOSTS hosts x $PAGES pages, -c $CONCURRENCY, ${LATENCY_MS} ms per answer, $RUNS runs per mode, interleaved"
crawl prime --cache "$WORK/cache"
echo "cache on disk: $(du -sm "$WORK/cache" | cut -f1) MB"
for run in $(seq 1 "$RUNS"); do
  crawl plain
  crawl recrawl --cache "$WORK/cache"
done
