#!/usr/bin/env bash
# Race-detection cost: `weft races` (one schedule, seed 0) against `weft run` with the same random
# schedule, medians of ROUNDS runs each, and the detector's shadow-memory figures (--stats).
# Prints a Markdown table (docs/races.md has the latest).
#
# usage: Benchmarks/races.sh WEFT ROUNDS program.wasm...
weft=$1; rounds=$2; shift 2
med() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '| program | run (s) | races (s) | ratio | peak shadow (KiB) | guest touched (KiB) | guest memory (KiB) |\n|:--|--:|--:|--:|--:|--:|--:|\n'
for p in "$@"; do
  r=(); q=()
  for i in $(seq $rounds); do
    s=$(date +%s.%N); $weft run --schedule random --seed 0 $p >/dev/null 2>&1; e=$(date +%s.%N); r+=($(echo "$e - $s" | bc))
    s=$(date +%s.%N); $weft races $p --schedules 1 --seed 0 --stats >/dev/null 2>/tmp/stats.txt; e=$(date +%s.%N); q+=($(echo "$e - $s" | bc))
  done
  rm=$(printf '%s\n' "${r[@]}" | med); qm=$(printf '%s\n' "${q[@]}" | med)
  st=$(cat /tmp/stats.txt)
  shadow=$(echo "$st" | sed -E 's/.*shadow memory ([0-9]+) bytes.*/\1/'); touched=$(echo "$st" | sed -E 's/.*touched ([0-9]+) bytes.*/\1/'); mem=$(echo "$st" | sed -E 's/.* of ([0-9]+)$/\1/')
  printf '| %s | %.3f | %.3f | %.2f | %d | %d | %d |\n' "$(basename $p .wasm)" $rm $qm $(echo "$qm / $rm" | bc -l) $((shadow/1024)) $((touched/1024)) $((mem/1024))
done
