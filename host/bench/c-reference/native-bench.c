/*
 * native-bench.c: nanoseconds per FF training step of the plain C reference
 * (ff-ref.c), natively, for the speed sweep (host/bench/speed.ts). The Makefile
 * builds it twice from the same source (make speed):
 *   ff-ref-bench-strict  -O3 -march=native -ffp-contract=off -fno-math-errno:
 *                        IEEE order, bit-identical to ff-core.wasm (weights_fnv)
 *   ff-ref-bench-fast    -O3 -march=native -ffast-math: the compiler may reorder
 *                        and vectorise the float reductions (results differ by rounding)
 * Command line and output: speed-bench.h. The step is ff_ref_train() exactly as the
 * correctness driver (native-main.c) and the M4 harness run it; only the timing is new.
 * Exit status: 0, 2 for bad arguments or config file, 3 for a config ff-ref.c does
 * not support (stderr names the slot).
 */
#include "ff-ref.h"
#include "speed-bench.h"

#ifndef SPEED_IMPL
#define SPEED_IMPL "c-reference"
#endif

int main(int argc, char** argv) {
  speed_options_t o;
  if (speed_parse_args(argc, argv, &o) != 0) return 2;
  static uint8_t blob[SPEED_CONFIG_CAPACITY];
  uint32_t length = 0;
  if (speed_read_config(o.config_path, blob, &length) != 0) return 2;
  ff_ref_config_t config;
  int slot = ff_ref_parse_config(blob, length, &config);
  if (slot != 0) {
    fprintf(stderr, "native-bench: config slot %d has a value the C reference does not support\n", slot - 1);
    return 3;
  }
  size_t bytes = ff_ref_arena_bytes(&config);
  float* arena = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
  float* samples = speed_make_samples(config.inputs);
  static ff_ref_t model;
  if (arena == NULL || samples == NULL || ff_ref_init(&model, &config, arena, bytes) != 0) {
    fputs("native-bench: out of memory\n", stderr);
    return 2;
  }
  uint32_t k = 0;
  for (; k < o.warmup; k++) ff_ref_train(&model, samples + (k % SPEED_SAMPLES) * config.inputs, k % config.classes);
  static double ns_per_step[SPEED_MAX_REPEATS];
  for (uint32_t r = 0; r < o.repeats; r++) {
    uint64_t started = speed_now_ns();
    for (uint32_t end = k + o.steps; k < end; k++) {
      ff_ref_train(&model, samples + (k % SPEED_SAMPLES) * config.inputs, k % config.classes);
    }
    ns_per_step[r] = (double)(speed_now_ns() - started) / o.steps;
  }
  speed_report(SPEED_IMPL, &o, model.param_count, ns_per_step,
               speed_fnv1a((const uint8_t*)model.params, model.param_count * sizeof(float)), 0);
  free(samples);
  free(arena);
  return 0;
}
