#!/usr/bin/env bash
# Instructions per page, trawler against the ceiling, counted by callgrind.
#
# Pages/s and CPU time swing with the machine's load; instruction counts do not. This
# runs the crawl benchmark's own roles (`cargo bench --bench crawl`) under
# `valgrind --tool=callgrind` on one testbed site: trawler's crawl, then the ceiling loop
# over the same pages (same transport, same extractor, no crawl machinery), and prints
# the user-space instructions each spent per reachable page of the site (the crawl's few
# asset links, fetched but not parsed, are charged to it) and their ratio: what the crawl
# machinery executes beyond fetching and extracting. Kernel time, cache misses and the
# allocator's behaviour under threads are not in it (the crawl benchmark measures those).
#
#   bash benches/instructions.sh [PAGES] [CARGO FLAGS...]   (default 5000; ~1 minute per 5,000 pages)
#
# e.g. `bash benches/instructions.sh 5000 --features system-alloc` counts on glibc's malloc
# instead of mimalloc, the benchmark's allocator.
#
# Needs valgrind (Debian: apt-get install -y valgrind). The callgrind profiles stay in
# target/trawler-bench/instructions/ for callgrind_annotate.
set -euo pipefail

pages=${1:-5000}
shift || true
case $pages in '' | *[!0-9]*) echo "instructions.sh: PAGES must be a whole number, not '$pages'" >&2; exit 2 ;; esac
command -v valgrind > /dev/null || { echo "instructions.sh: valgrind is not installed (apt-get install -y valgrind)" >&2; exit 2; }
cd "$(dirname "$0")/.."
bin=$(cargo bench --bench crawl --no-run --message-format=json "$@" 2> /dev/null \
    | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1) || true
[ -x "$bin" ] || { echo "instructions.sh: the crawl benchmark did not build (cargo bench --bench crawl --no-run${*:+ $*})" >&2; exit 1; }
out=target/trawler-bench/instructions
mkdir -p "$out"

coproc server { "$bin" --role server --pages "$pages" --urls-out "$out/urls.txt"; }
server_pid=$server_PID
trap 'kill "$server_pid" 2> /dev/null || true' EXIT
read -r -t 120 ready <&"${server[0]}" || { echo "instructions.sh: the testbed server did not start" >&2; exit 1; }
url=$(sed -E 's/.*"url":"([^"]+)".*/\1/' <<< "$ready")
reachable=$(sed -E 's/.*"reachable":([0-9]+).*/\1/' <<< "$ready")

# One role under callgrind: prints "instructions pages".
count() {
    local role=$1
    shift
    valgrind --tool=callgrind --callgrind-out-file="$out/$role.callgrind" \
        "$bin" --role "$role" --url "$url" --concurrency 64 --workers 2 --timeout 1800 "$@" \
        > "$out/$role.json" 2> "$out/$role.log"
    local instructions fetched
    instructions=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out/$role.log")
    fetched=$(sed -n -E 's/.*"fetched":([0-9]+).*/\1/p' "$out/$role.json")
    echo "$instructions $fetched"
}

read -r t_ins t_pages < <(count crawl) || true
read -r c_ins c_pages < <(count ceiling --urls "$out/urls.txt") || true
for role in crawl:"${t_ins:-}:${t_pages:-}" ceiling:"${c_ins:-}:${c_pages:-}"; do
    IFS=: read -r name ins fetched <<< "$role"
    if [ -z "$ins" ] || [ -z "$fetched" ] || [ "$fetched" = 0 ]; then
        echo "instructions.sh: the $name run gave no count (see $out/$name.log)" >&2
        exit 1
    fi
done
awk -v ti="$t_ins" -v tp="$t_pages" -v ci="$c_ins" -v cp="$c_pages" -v pages="$reachable" 'BEGIN {
    printf "| | requests | instructions | per page (%d pages) |\n|---|---|---|---|\n", pages
    printf "| trawler | %d | %.0f | %.0f |\n", tp, ti, ti / pages
    printf "| ceiling | %d | %.0f | %.0f |\n", cp, ci, ci / pages
    printf "\ntrawler / ceiling, instructions per page: %.3f\n", ti / ci
}'
echo "profiles: $out/crawl.callgrind $out/ceiling.callgrind (callgrind_annotate FILE)"
