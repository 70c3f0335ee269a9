/*
 * wasm2c-bench.c: nanoseconds per FF training step of ff-core.wasm (the scalar
 * build) translated by wasm2c and compiled natively, for the speed sweep
 * (host/bench/speed.ts). Same command line, samples and result line as the C
 * reference's driver (speed-bench.h); the steps go through the module's exports
 * exactly as a host does: config blob at configPtr(), configure(), then per step
 * the sample at inputPtr(), its label at labelPtr(), train(1).
 *
 * Two runtimes, chosen at compile time (make speed):
 *   default            Debian's stock wasm2c runtime (/usr/share/wabt/wasm2c/wasm-rt-impl.c):
 *                      on x86-64 its bounds checks are guard pages (mmap + SIGSEGV
 *                      handler), as V8 does it: no check instruction per access.
 *   SPEED_GLUE_RT=1    the project's runtime (firmware-targets/wasm2c-glue/wasm-rt-pool.c, hosted
 *                      growth) with wasm2c's explicit bounds checks, as linux-edge and
 *                      the Cortex-M4 firmware build it.
 * Exit status: 0, 2 for bad arguments or config file, 4 for a trap, or the
 * learner's status code (+ 100) when configure() or train() refuses.
 * Non-goals: WASI, the device program (see firmware-targets/linux-edge).
 */
#include <setjmp.h>

#include "ffcore.h"
#include "speed-bench.h"

#if SPEED_GLUE_RT
#include "wasm-rt-pool.h"
#define SPEED_IMPL "wasm2c-explicit-checks"
static jmp_buf trap_jmp;
#else
#include "wasm-rt-impl.h"
#define SPEED_IMPL "wasm2c"
#endif

static Z_ffcore_instance_t core;

/* Everything that can trap runs in here. */
static int bench(const speed_options_t* o, const uint8_t* blob, uint32_t length) {
  Z_ffcore_init_module();
  Z_ffcore_instantiate(&core);
  if (length > Z_ffcoreZ_configCapacity(&core)) {
    fputs("wasm2c-bench: config blob larger than the learner's config area\n", stderr);
    return 2;
  }
  memcpy(Z_ffcoreZ_memory(&core)->data + Z_ffcoreZ_configPtr(&core), blob, length);
  uint32_t status = Z_ffcoreZ_configure(&core, length);
  if (status != 0) {
    fprintf(stderr, "wasm2c-bench: configure() refused the config: status %u, detail %u\n", status,
            Z_ffcoreZ_errorDetail(&core));
    return 100 + (int)status;
  }
  uint32_t inputs = speed_slot(blob, 29), classes = speed_slot(blob, 7);
  float* samples = speed_make_samples(inputs);
  if (samples == NULL) return 2;
  /* configure() has grown the memory; train() never does, so these stay valid. */
  uint8_t* memory = Z_ffcoreZ_memory(&core)->data;
  float* input = (float*)(memory + Z_ffcoreZ_inputPtr(&core));
  int32_t* label = (int32_t*)(memory + Z_ffcoreZ_labelPtr(&core));
  static double ns_per_step[SPEED_MAX_REPEATS];
  uint32_t k = 0;
  for (; k < o->warmup; k++) {
    memcpy(input, samples + (k % SPEED_SAMPLES) * inputs, inputs * sizeof(float));
    *label = (int32_t)(k % classes);
    status |= Z_ffcoreZ_train(&core, 1);
  }
  for (uint32_t r = 0; r < o->repeats; r++) {
    uint64_t started = speed_now_ns();
    for (uint32_t end = k + o->steps; k < end; k++) {
      memcpy(input, samples + (k % SPEED_SAMPLES) * inputs, inputs * sizeof(float));
      *label = (int32_t)(k % classes);
      status |= Z_ffcoreZ_train(&core, 1);
    }
    ns_per_step[r] = (double)(speed_now_ns() - started) / o->steps;
  }
  uint32_t params_bytes = Z_ffcoreZ_paramsByteLength(&core);
  speed_report(SPEED_IMPL, o, params_bytes / sizeof(float), ns_per_step,
               speed_fnv1a(memory + Z_ffcoreZ_paramsPtr(&core), params_bytes), status);
  free(samples);
  return status == 0 ? 0 : 100 + (int)status;
}

int main(int argc, char** argv) {
  speed_options_t o;
  if (speed_parse_args(argc, argv, &o) != 0) return 2;
  static uint8_t blob[SPEED_CONFIG_CAPACITY];
  uint32_t length = 0;
  if (speed_read_config(o.config_path, blob, &length) != 0) return 2;
#if SPEED_GLUE_RT
  ffedge_rt_use_pool(NULL, 0); /* hosted: memory grows with realloc, every access checked */
  wasm_rt_init();
  ffedge_rt_trap_target = &trap_jmp;
  ffedge_rt_save_depth();
  int trap = setjmp(trap_jmp);
#else
  wasm_rt_init();
  int trap = wasm_rt_impl_try();
#endif
  if (trap != 0) {
    fprintf(stderr, "wasm2c-bench: ff-core.wasm trapped (wasm_rt_trap_t %d)\n", trap);
    return 4;
  }
  int status = bench(&o, blob, length);
  Z_ffcore_free(&core);
  wasm_rt_free();
  return status;
}
