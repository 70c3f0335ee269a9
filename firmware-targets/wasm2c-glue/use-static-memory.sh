#!/bin/sh
# use-static-memory.sh FILE.c [--no-bounds-checks]
#
# Points wasm2c 1.0.32's generated C at our static linear memory
# (static-memory.h; the runtime must be built with -DFFEDGE_RT_STATIC_MEMORY and
# the embedder must define ffedge_linear_memory). Four edits, each one checked:
#
#  1. MEMCHECK becomes FFEDGE_MEMCHECK: one 32-bit compare per access against a
#     bound the runtime keeps, instead of a 64-bit compare against mem->size
#     (with --no-bounds-checks: nothing at all; see ../cortex-m4-qemu/Makefile).
#  2. Loads and stores go through FFEDGE_LOAD/FFEDGE_STORE: they address
#     ffedge_linear_memory, a link-time constant, not mem->data (which the
#     compiler must re-read after every store); built with -DFFEDGE_MPU_SANDBOX=0
#     they are unprivileged loads/stores at address = wasm address instead, the
#     MPU doing the bounds check (static-memory.h; BOUNDS_CHECKS=mpu).
#  3. The empty asm that forces every loaded value into a core register goes.
#     wasm2c puts it there so that a load whose value is unused still happens
#     and can fault on a guard page (wabt PR #2808); with explicit checks the
#     check itself traps, and on a Cortex-M4 the "r" constraint costs a
#     vmov per f32 load.
#  4. wasm_sqrtf loses its NaN branch: vsqrt.f32 (ARM VFP with FPSCR.DN = 0,
#     which cortex-m-common/startup-m4f.S sets) and sqrtss (x86 SSE) already return the input NaN
#     quieted, which is exactly what the branch computes (quiet_nanf).
#
# Fails, leaving FILE.c as it was, when any expected text is missing or the
# module has more than one memory: never a partial or silent rewrite.
set -eu
file="$1"
checks=1
if [ "${2:-}" = "--no-bounds-checks" ]; then checks=0
elif [ -n "${2:-}" ]; then echo "use-static-memory.sh: unknown option $2" >&2; exit 2; fi
me="use-static-memory.sh"

expect() { # expect COUNT FIXED-STRING: FILE.c must hold the string on exactly COUNT lines
  found=$(grep -cF -- "$2" "$file" || true)
  if [ "$found" != "$1" ]; then
    echo "$me: $file has $found lines with '$2', expected $1 (not wasm2c 1.0.32 output, or already rewritten?)" >&2
    exit 1
  fi
}
expect 1 '#define MEMCHECK(mem, a, t) RANGE_CHECK(mem, a, sizeof(t))'
expect 1 'wasm_rt_memcpy(&result, &mem->data[addr], sizeof(t1));'
expect 1 'wasm_rt_memcpy(&mem->data[addr], &wrapped, sizeof(t1));'
expect 2 'wasm_asm("" ::"r"(result));'
expect 1 'static float wasm_sqrtf(float x) {'
expect 1 'wasm_rt_allocate_memory('

if [ "$checks" = 1 ]; then memcheck='FFEDGE_MEMCHECK(a, sizeof(t))'; else memcheck='\/* BOUNDS_CHECKS=0 *\/'; fi
tmp="$file.static-memory.tmp"
# The little-endian DEFINE_LOAD/DEFINE_STORE are the second of each pair (the
# first pair is the big-endian branch, which addresses from the end and which
# static-memory.h does not support: it stays as it is, never compiled here).
sed -e "s/^#define MEMCHECK(mem, a, t) RANGE_CHECK(mem, a, sizeof(t))\$/#include \"static-memory.h\"\\n#define MEMCHECK(mem, a, t) $memcheck/" \
    -e 's/wasm_rt_memcpy(&result, &mem->data\[addr\], sizeof(t1));/FFEDGE_LOAD(\&result, addr, sizeof(t1));/' \
    -e 's/wasm_rt_memcpy(&mem->data\[addr\], &wrapped, sizeof(t1));/FFEDGE_STORE(addr, \&wrapped, sizeof(t1));/' \
    -e '/^ *wasm_asm("" ::"r"(result)); *\\$/d' \
    -e '/^static float wasm_sqrtf(float x) {$/,/^}$/{/isnan(x)/,/^  }$/d;}' \
    "$file" > "$tmp"

# What must be true of the result.
check_result() {
  if ! grep -qF "$1" "$tmp"; then echo "$me: rewrite of $file lost '$1'" >&2; rm -f "$tmp"; exit 1; fi
}
check_result '#include "static-memory.h"'
check_result 'FFEDGE_LOAD(&result, addr, sizeof(t1));'
check_result 'FFEDGE_STORE(addr, &wrapped, sizeof(t1));'
if grep -qF 'wasm_asm("" ::"r"(result));' "$tmp"; then echo "$me: the asm barrier is still in $file" >&2; rm -f "$tmp"; exit 1; fi
if sed -n '/^static float wasm_sqrtf(float x) {$/,/^}$/p' "$tmp" | grep -q isnan; then
  echo "$me: wasm_sqrtf in $file still has its NaN branch" >&2; rm -f "$tmp"; exit 1
fi
mv "$tmp" "$file"
