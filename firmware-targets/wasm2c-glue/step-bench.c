/*
 * step-bench.c: instructions per FF training step on any bare-metal board, in
 * place of embed.c. The board firmware is built from ff-core.wasm (the learner
 * alone; wasm2c -n ffdevice as always) with EMBED=step-bench, so the board's own
 * main(), startup, clock and UART run unchanged and call ffedge_embed_run(),
 * which here: configures the model of BENCH_CONFIG in the board's static linear
 * memory, makes five deterministic samples, reads the clock, runs BENCH_STEPS
 * training steps, reads it again, and prints one line:
 *
 *   ffedge-bench impl=wasm2c steps=N instructions=I per_step=I/N arena=B weights_fnv=0x........ status=S
 *
 * Run under QEMU with `-icount shift=0` (one virtual nanosecond per executed
 * instruction; the board's clock runs on that virtual time), so the clock
 * difference in ns is an instruction count, not cycles, to within one clock tick.
 * weights_fnv is FNV-1a over the weights afterwards: host/bench/boards.ts checks it
 * against ff-core.wasm trained in V8 on the same samples (bit-identical).
 * Samples and output format: as ../c-reference/m4-bench.c, so the figures compare.
 */
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include "board.h"
#include "embed.h"
#include "fatal-report.h"
#include "ffdevice.h" /* ff-core.wasm through wasm2c -n ffdevice */
#include "platform.h"
#include "wasm-rt-pool.h"
#include BENCH_CONFIG /* static const unsigned char bench_config[]: the learner's config blob */

#define SAMPLES 5
#define MAX_INPUTS 784 /* up to MNIST-sized inputs; 5 x 784 x 4 = 15.7 KB of samples */

static float samples[SAMPLES][MAX_INPUTS];
static Z_ffdevice_instance_t core;
static jmp_buf trap_jmp;

static void put_text(const char* text) { ffedge_platform_write(1, (const uint8_t*)text, (uint32_t)strlen(text)); }

static void put_u32(uint32_t value) {
  char digits[11];
  int at = 10;
  digits[at] = '\0';
  do {
    digits[--at] = (char)('0' + value % 10);
    value /= 10;
  } while (value != 0);
  put_text(&digits[at]);
}

static void put_hex(uint32_t value) {
  char text[11] = "0x";
  for (int i = 0; i < 8; i++) text[2 + i] = "0123456789abcdef"[(value >> (28 - 4 * i)) & 0xF];
  text[10] = '\0';
  put_text(text);
}

static uint32_t fnv1a(const uint8_t* bytes, uint32_t length) {
  uint32_t hash = 2166136261u;
  for (uint32_t i = 0; i < length; i++) hash = (hash ^ bytes[i]) * 16777619u;
  return hash;
}

/* Inputs in [-1, 1) from xorshift32 (host/bench/firmware.ts benchSamples). */
static void make_samples(uint32_t inputs) {
  uint32_t x = 2463534242u;
  for (uint32_t s = 0; s < SAMPLES; s++) {
    for (uint32_t i = 0; i < inputs; i++) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      samples[s][i] = (float)(x >> 8) * (1.0f / 8388608.0f) - 1.0f;
    }
  }
}

static void report(uint32_t steps, uint64_t ticks, uint32_t arena, uint32_t fnv, uint32_t status) {
  uint64_t instructions = ticks * 1000000000ull / BOARD_CPU_HZ; /* ns = instructions under -icount shift=0 */
  put_text("ffedge-bench impl=wasm2c steps=");
  put_u32(steps);
  put_text(" instructions=");
  put_u32((uint32_t)instructions);
  put_text(" per_step=");
  put_u32(steps ? (uint32_t)(instructions / steps) : 0);
  put_text(" arena=");
  put_u32(arena);
  put_text(" weights_fnv=");
  put_hex(fnv);
  put_text(" status=");
  put_u32(status);
  put_text("\r\n");
}

uint32_t ffedge_embed_run(const ffedge_embed_options_t* options) {
  ffedge_rt_use_pool(options->pool, options->pool_bytes);
  wasm_rt_init();
  ffedge_rt_trap_target = &trap_jmp;
  ffedge_rt_save_depth();
  volatile int trap = setjmp(trap_jmp);
  if (trap != 0) {
    ffedge_report_trap((uint32_t)trap);
    return (uint32_t)trap;
  }
  Z_ffdevice_init_module();
  Z_ffdevice_instantiate(&core);
  uint8_t* memory = Z_ffdeviceZ_memory(&core)->data;
  memcpy(memory + Z_ffdeviceZ_configPtr(&core), bench_config, sizeof bench_config);
  uint32_t status = Z_ffdeviceZ_configure(&core, sizeof bench_config);
  if (status != 0) {
    report(0, 0, Z_ffdeviceZ_errorDetail(&core), 0, status);
    return 0;
  }
  memory = Z_ffdeviceZ_memory(&core)->data; /* configure() may have grown it */
  uint32_t inputs = bench_config[4 * 29] | (uint32_t)bench_config[4 * 29 + 1] << 8; /* Slot.SIZES[0] */
  uint32_t classes = bench_config[4 * 7];                                               /* Slot.CLASSES */
  if (inputs > MAX_INPUTS) {
    report(0, 0, 0, 0, 1);
    return 0;
  }
  make_samples(inputs);
  float* input = (float*)(memory + Z_ffdeviceZ_inputPtr(&core));
  int32_t* label = (int32_t*)(memory + Z_ffdeviceZ_labelPtr(&core));
  uint64_t started = clock_ticks();
  for (uint32_t k = 0; k < BENCH_STEPS; k++) {
    memcpy(input, samples[k % SAMPLES], inputs * sizeof(float));
    *label = (int32_t)(k % classes);
    status |= Z_ffdeviceZ_train(&core, 1);
  }
  uint64_t ticks = clock_ticks() - started;
  ffedge_rt_trap_target = NULL;
  report(BENCH_STEPS, ticks, Z_ffdeviceZ_arenaBytes(&core),
         fnv1a(memory + Z_ffdeviceZ_paramsPtr(&core), Z_ffdeviceZ_paramsByteLength(&core)), status);
  return 0;
}
