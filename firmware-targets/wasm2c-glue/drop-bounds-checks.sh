#!/bin/sh
# drop-bounds-checks.sh FILE.c: remove wasm2c 1.0.32's explicit linear-memory
# bounds checks from its generated C (the MEMCHECK macro becomes empty), for a
# BOUNDS_CHECKS=0 build. Fails, leaving the file as it was, if the macro is not
# there in the expected form (another wasm2c version): never silently a no-op.
set -eu
file="$1"
checked='#define MEMCHECK(mem, a, t) RANGE_CHECK(mem, a, sizeof(t))'
if ! grep -qxF "$checked" "$file"; then
  echo "drop-bounds-checks.sh: $file has no line '$checked' (not wasm2c 1.0.32 output?)" >&2
  exit 1
fi
sed -i "s/^#define MEMCHECK(mem, a, t) RANGE_CHECK(mem, a, sizeof(t))\$/#define MEMCHECK(mem, a, t) \/* BOUNDS_CHECKS=0 *\//" "$file"
