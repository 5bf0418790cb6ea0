#!/usr/bin/env bash
# Race-detection cost: `weft races` (one schedule, seed 0) against `weft run` with the same random
# schedule, medians of ROUNDS runs each, and the detector's shadow-memory figures (--stats).
# Times are CPU seconds (perf stat's task-clock), which a busy shared machine disturbs far less
# than wall-clock time. Prints a Markdown table (docs/races.md has the latest).
#
# usage: Benchmarks/races.sh WEFT ROUNDS program.wasm...
weft=$1; rounds=$2; shift 2
med() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# cpu ERRFILE command...: runs the command (stdout discarded, stderr to ERRFILE), prints its CPU seconds.
cpu() {
  local err=$1; shift
  perf stat -e task-clock -x, -o /tmp/races-bench-time.txt "$@" >/dev/null 2>"$err"
  awk -F, '/task-clock/ {print $1 / 1000}' /tmp/races-bench-time.txt
}
printf '| program | run (CPU s) | races (CPU s) | races / run | peak shadow (KiB) | touched, 4 KiB pages (KiB) | shadow / touched | touched, 64 B lines (KiB) | guest memory (KiB) |\n'
printf '|:--|--:|--:|--:|--:|--:|--:|--:|--:|\n'
for p in "$@"; do
  r=(); q=()
  for i in $(seq $rounds); do
    r+=($(cpu /dev/null $weft run --schedule random --seed 0 $p))
    q+=($(cpu /tmp/races-bench-stats.txt $weft races $p --schedules 1 --seed 0 --stats))
  done
  rm=$(printf '%s\n' "${r[@]}" | med); qm=$(printf '%s\n' "${q[@]}" | med)
  st=$(grep 'peak shadow' /tmp/races-bench-stats.txt)
  shadow=$(echo "$st" | sed -E 's/.*shadow memory ([0-9]+) bytes.*/\1/')
  touched=$(echo "$st" | sed -E 's/.*touched ([0-9]+) bytes \(4 KiB.*/\1/')
  lines=n/a  # (weft before the line count was printed)
  [[ $st == *64-byte* ]] && lines=$(printf '%.1f' $(echo "$(echo "$st" | sed -E 's/.* ([0-9]+) bytes \(64-byte lines\).*/\1/') / 1024" | bc -l))
  mem=$(echo "$st" | sed -E 's/.* of ([0-9]+)$/\1/')
  printf '| %s | %.3f | %.3f | %.2f | %.1f | %d | %.2f | %s | %d |\n' "$(basename $p .wasm)" $rm $qm $(echo "$qm / $rm" | bc -l) \
    $(echo "$shadow / 1024" | bc -l) $((touched/1024)) $(echo "$shadow / $touched" | bc -l) $lines $((mem/1024))
done
