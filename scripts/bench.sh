#!/usr/bin/env bash
# Benchmarks of athanor against the raw drivers (rusqlite, postgres, mysql).
#
#   scripts/bench.sh [CARGO BENCH ARGS...]
#
# Runs `cargo bench -p athanor-benches` under scripts/with-servers.sh
# (throwaway PostgreSQL and MariaDB), then prints one table from criterion's
# JSON estimates: workload, backend, N, athanor median, raw median and the
# ratio athanor/raw, for the benchmarks this run measured. Then it measures
# every workload again with athanor and the raw driver alternating in 20 ms
# batches (the bench_interleaved binary: the median of 41 per-round ratios),
# which load from elsewhere on the host falls on alike: where criterion's
# medians of the two sides, taken seconds apart, disagree with it, the host
# drifted. Then it measures
# peak memory (VmHWM) when loading 100 000 users with athanor and with the raw
# driver on each backend (the bench_memory binary).
#
# Examples:
#   scripts/bench.sh                          everything (~10 minutes on 2 cores)
#   scripts/bench.sh --bench trivial          one workload
#   scripts/bench.sh -- postgres              criterion filter: one backend's groups
#   ATHANOR_BENCH_BACKENDS=sqlite scripts/bench.sh   only SQLite (no server needed, but
#                                             the servers are started anyway)
#   ATHANOR_BENCH_MEMORY=0 scripts/bench.sh   skip the memory check
#   ATHANOR_BENCH_INTERLEAVED=0 scripts/bench.sh   skip the interleaved table
#   ATHANOR_BENCH_ON_DISK=1 scripts/bench.sh  SQLite's file under the usual
#                                             TMPDIR, not /dev/shm
#   ATHANOR_BENCH_CPU=1 taskset -c 0 scripts/bench.sh
#                                             a quieter run: the servers (and this
#                                             script) on CPU 0, the benchmark
#                                             processes pinned to CPU 1
#
# A flag `!` in either table marks a ratio above 1.20 at N = 1 or above 1.10 at
# larger N: the budget athanor aims for against the raw driver used well.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
CRITERION_DIR="$TARGET_DIR/criterion"
# Results written from now on are this run's.
STAMP="$(mktemp)"
trap 'rm -f "$STAMP"' EXIT

# SQLite's database file in memory when the machine has a tmpfs at
# /dev/shm (the servers keep their data under /tmp): on disk, WAL checkpoints' fsyncs landed on one
# side's batches or the other's, and SQLite's insert cells read anywhere
# from 0.34x to 2.7x in single runs (three runs on /dev/shm: 0.98-1.12).
# Both sides use the same file, so the comparison stays fair.
if [[ -z "${ATHANOR_BENCH_ON_DISK:-}" && -d /dev/shm && -w /dev/shm ]]; then
    export TMPDIR=/dev/shm
fi

PIN=()
if [[ -n "${ATHANOR_BENCH_CPU:-}" ]]; then
    PIN=(taskset -c "$ATHANOR_BENCH_CPU")
fi

scripts/with-servers.sh "${PIN[@]}" cargo bench -p athanor-benches "$@"

echo
echo "== athanor against the raw driver: criterion medians =="
python3 - "$CRITERION_DIR" "$STAMP" <<'PY'
import json, os, sys

root, stamp = sys.argv[1], sys.argv[2]
since = os.path.getmtime(stamp)
WORKLOADS = ["trivial", "medium", "insert", "insert_no_keys", "associations"]
BACKENDS = ["sqlite", "postgres", "mysql"]

results = {}  # (workload, backend, n) -> {function: median ns}
for dirpath, dirnames, filenames in os.walk(root):
    if os.path.basename(dirpath) != "new" or "estimates.json" not in filenames:
        continue
    est_path = os.path.join(dirpath, "estimates.json")
    if os.path.getmtime(est_path) < since:
        continue  # left over from an earlier run
    with open(os.path.join(dirpath, "benchmark.json")) as f:
        bench = json.load(f)
    with open(est_path) as f:
        median = json.load(f)["median"]["point_estimate"]
    group = bench["group_id"]
    if "/" not in group:
        continue
    workload, backend = group.split("/", 1)
    key = (workload, backend, bench.get("value_str") or "")
    results.setdefault(key, {})[bench["function_id"]] = median

def fmt(ns):
    if ns is None:
        return "-"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.2f} {unit}"
    return f"{ns:.0f} ns"

def order(key):
    w, b, n = key
    num = n.split("x")[0]
    return (WORKLOADS.index(w) if w in WORKLOADS else 99,
            BACKENDS.index(b) if b in BACKENDS else 99,
            int(num) if num.isdigit() else 0, n)

if not results:
    print("no benchmark results were written by this run")
    sys.exit(0)

header = ("workload", "backend", "N", "athanor median", "raw median", "athanor/raw")
rows = []
for key in sorted(results, key=order):
    r = results[key]
    orm, raw = r.get("athanor"), r.get("raw")
    ratio = orm / raw if orm and raw else None
    flag = ""
    if ratio is not None:
        limit = 1.20 if key[2] == "1" else 1.10
        flag = " !" if ratio > limit else ""
    rows.append((*key, fmt(orm), fmt(raw), "-" if ratio is None else f"{ratio:.2f}{flag}"))
widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
def line(cells):
    return "  ".join(str(c).ljust(w) if i < 3 else str(c).rjust(w)
                     for i, (c, w) in enumerate(zip(cells, widths)))
print(line(header))
print(line(["-" * w for w in widths]))
for r in rows:
    print(line(r))
PY

if [[ "${ATHANOR_BENCH_INTERLEAVED:-1}" != 0 ]]; then
    echo
    echo "== athanor against the raw driver, interleaved: median of per-round ratios =="
    scripts/with-servers.sh "${PIN[@]}" cargo run --release -q -p athanor-benches --bin bench_interleaved
fi

if [[ "${ATHANOR_BENCH_MEMORY:-1}" != 0 ]]; then
    echo
    echo "== memory =="
    scripts/with-servers.sh "${PIN[@]}" cargo run --release -q -p athanor-benches --bin bench_memory
fi
