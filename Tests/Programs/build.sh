#!/usr/bin/env bash
# Rebuilds the checked-in wasm32-wasip1-threads test and benchmark programs.
#
#   Tests/Programs/*.c       -> Tests/Programs/*.wasm      (-O1 -g, 16 MiB max memory)
#   Benchmarks/programs/*.c  -> Benchmarks/programs/*.wasm (-O2 -g, 64 MiB max memory)
#   Benchmarks/programs/threads/*.c (multithreaded; weft-bench --threads) likewise
#   traces/*.c               -> traces/*.wasm              (-O1 -g, 16 MiB max memory)
#   a few Tests/Programs/*.c -> Tests/Programs/O0/*.wasm   (-O0 -gdwarf-5, for the source-level tests)
#   traces/bank.c            -> traces/O0/bank.wasm        (-O0 -gdwarf-5, every local visible)
#
# Each program is compiled together with the freestanding runtime in
# Tests/Programs/runtime/ (there is no libc). Only needed to regenerate the
# .wasm files; the tests use the checked-in binaries and never need clang.
#
# Usage: Tests/Programs/build.sh [program.c ...]   (default: every program)
# Environment: CLANG=/path/to/clang (default: /opt/swift/usr/bin/clang, then clang on PATH)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
rt="$here/runtime"

if [[ -z "${CLANG:-}" ]]; then
    if [[ -x /opt/swift/usr/bin/clang ]]; then
        CLANG=/opt/swift/usr/bin/clang
    else
        CLANG="$(command -v clang || true)"
    fi
fi
if [[ -z "$CLANG" ]] || ! "$CLANG" --version >/dev/null 2>&1; then
    echo "build.sh: no usable clang (set CLANG=...)" >&2
    exit 1
fi

cflags=(
    --target=wasm32-wasip1-threads
    -ffreestanding -nostdlib
    -matomics -mbulk-memory
    -g -Wall -Wextra -Werror
    # DWARF paths relative to the repository root (./Tests/Programs/...), so the
    # output does not depend on where the checkout lives or on the caller's cwd.
    "-fdebug-prefix-map=$root=."
    -I "$rt"
)
runtime_sources=("$rt/start.c" "$rt/rt_core.c" "$rt/rt_thread.c")

# Linker flags shared by all programs:
#  - the memory is imported (env.memory), exported, and shared (wasi-threads);
#  - _start and wasi_thread_start are the entry points;
#  - --no-entry: _start is exported explicitly instead of being the ELF-style
#    entry;
#  - the main thread gets a 1 MiB C stack placed first in memory, so a stack
#    overflow runs off address 0 and traps instead of overwriting data.
ldflags_common="-Wl,--import-memory,--export-memory,--shared-memory,--export=wasi_thread_start,--export=_start,--no-entry,--stack-first,-z,stack-size=1048576"

build_one() {
    local src="$1" opt="$2" maxmem="$3" out="${4:-${1%.c}.wasm}"
    "$CLANG" "${cflags[@]}" $opt \
        "$ldflags_common,--max-memory=$maxmem" \
        "${runtime_sources[@]}" "$src" -o "$out.tmp"
    mv "$out.tmp" "$out"
    printf '  %-50s %7d bytes\n' "${out#$root/}" "$(wc -c <"$out")"
}

# -O1 for tests: close to the source, yet not the -O0 code size.
test_opt=-O1
test_mem=$((16 * 1024 * 1024))
bench_opt=-O2
bench_mem=$((64 * 1024 * 1024))
# Programs also built unoptimized with DWARF 5 into O0/ (the builds above are -O1 with clang's
# default DWARF 4), so the DWARF reader is tested on both versions and both optimization levels.
o0_programs=" trap threads_deadlock variables structs "
o0_opt="-O0 -gdwarf-5"

if [[ $# -gt 0 ]]; then
    sources=()
    for src in "$@"; do
        sources+=("$(cd "$(dirname "$src")" && pwd)/$(basename "$src")")
    done
else
    sources=("$here"/*.c "$root"/Benchmarks/programs/*.c "$root"/Benchmarks/programs/threads/*.c "$root"/traces/*.c)
fi

cd "$root" # compilation directory recorded in DWARF (mapped to ".")
echo "building with $CLANG"
for src in "${sources[@]}"; do
    case "$src" in
        "$root"/Benchmarks/programs/*) build_one "$src" "$bench_opt" "$bench_mem" ;;
        *) build_one "$src" "$test_opt" "$test_mem" ;;
    esac
    name="$(basename "${src%.c}")"
    if [[ ("$src" == "$here"/* && "$o0_programs" == *" $name "*) || "$src" == "$root/traces/bank.c" ]]; then
        mkdir -p "$(dirname "$src")/O0"
        build_one "$src" "$o0_opt" "$test_mem" "$(dirname "$src")/O0/$name.wasm"
    fi
done
echo "ok"
