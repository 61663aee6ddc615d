#!/usr/bin/env bash
# What keeping the pages costs: a plain crawl of the testbed against the same crawl with
# `--warc` (every exchange archived, gzip level 6 and level 1), with `--content markdown`
# (each page's main content as Markdown in its record), and with both; the modes alternate
# run by run. Per mode: pages/s, CPU per page, peak RSS, and bytes written per page (the
# WARC files, and the records file).
#
#   bash benches/keep.sh
#
# Environment: HOSTS (4), PAGES per host (5000), CONCURRENCY (64), RUNS per mode (3).
# Release builds; everything listens on 127.0.0.1 only; every wait is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."

HOSTS=${HOSTS:-4}
PAGES=${PAGES:-5000}
CONCURRENCY=${CONCURRENCY:-64}
RUNS=${RUNS:-3}

source benches/site.sh

# One crawl: $1 names it, the rest are extra flags.
crawl() {
  local name=$1 start end
  shift
  rm -rf "$WORK/warc" && mkdir "$WORK/warc"
  start=$(date +%s.%N)
  timeout 900 /usr/bin/time -f "%U %S %M" -o "$WORK/time" "$BIN" -q crawl "${SEEDS[@]}" "$@" \
    -o "$WORK/out.jsonl" --overwrite -c "$CONCURRENCY" --no-robots
  end=$(date +%s.%N)
  python3 - "$name" "$WORK/out.jsonl" "$start" "$end" "$(cat "$WORK/time")" \
    "$(du -sb "$WORK/warc" | cut -f1)" <<'PY'
import json, os, sys
name, path, start, end, times, warc = sys.argv[1:]
user, system, rss = times.split()
pages = sum(1 for line in open(path) if json.loads(line)["outcome"] == "fetched")
secs = float(end) - float(start)
warc_bytes = int(warc) - 4096
print(f"{name:14} {pages} pages in {secs:.2f} s = {pages / secs:.0f} pages/s, "
      f"{(float(user) + float(system)) * 1000 / pages:.3f} ms CPU/page, peak RSS {int(rss) / 1024:.1f} MiB, "
      f"WARC {max(warc_bytes, 0) / pages:.0f} B/page, records {os.path.getsize(path) / pages:.0f} B/page")
PY
}

echo "# $HOSTS hosts x $PAGES pages, -c $CONCURRENCY, $RUNS runs per mode, interleaved"
for run in $(seq 1 "$RUNS"); do
  crawl plain
  crawl warc --warc "$WORK/warc/bench"
  crawl warc-gzip1 --warc "$WORK/warc/bench" --warc-gzip-level 1
  crawl markdown --content markdown
  crawl warc+markdown --warc "$WORK/warc/bench" --content markdown
done
