/*
 * m4-bench.c: instructions per FF training step on the Cortex-M4 (QEMU mps2-an386),
 * for ff-core.wasm through wasm2c (BENCH_CREF=0) or the plain C reference
 * (BENCH_CREF=1), in the same harness: configure the model of BENCH_CONFIG, make
 * five deterministic samples, then read SysTick, run BENCH_STEPS training steps,
 * read it again. Under `qemu-system-arm -icount shift=0` one virtual nanosecond is
 * one executed instruction (firmware-targets/cortex-m4-qemu/README.md), so the difference is an
 * instruction count (not cycles), to within one SysTick tick (40).
 * Prints one line on UART0 and exits through semihosting:
 *
 *   ffedge-bench impl=<wasm2c|c-reference> steps=N instructions=I per_step=I/N
 *     arena=B weights_fnv=0x........ status=S
 *
 * weights_fnv is FNV-1a over the weights after the steps: the two builds must
 * print the same value (bit-identical training on the M4 too).
 * Non-goals: the wire protocol, any I/O during the timed steps.
 */
#include <stdint.h>
#include <string.h>

#include "board.h"
#include "fatal-report.h"
#include "platform.h"
#include BENCH_CONFIG /* static const uint8_t bench_config[]: the learner's config blob */

#if BENCH_CREF
#include "ff-ref.h"
#define BENCH_IMPL "c-reference"
#else
#include <setjmp.h>
#include "ffcore.h"
#include "wasm-rt-pool.h"
#define BENCH_IMPL "wasm2c"
#endif

#define SAMPLES 5
#define MAX_INPUTS 1024

static float samples[SAMPLES][MAX_INPUTS];

/* ---- output without stdio ---------------------------------------------- */

static void put_text(const char* text) {
  while (*text != '\0') uart_put((uint8_t)*text++);
}

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
  put_text("0x");
  for (int shift = 28; shift >= 0; shift -= 4) uart_put((uint8_t)"0123456789abcdef"[(value >> shift) & 0xF]);
}

static uint32_t fnv1a(const uint8_t* bytes, uint32_t length) {
  uint32_t hash = 2166136261u;
  for (uint32_t i = 0; i < length; i++) hash = (hash ^ bytes[i]) * 16777619u;
  return hash;
}

/* Inputs in [-1, 1) from xorshift32: the same on every run. */
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
  /* ns = instructions under -icount shift=0 */
  uint64_t instructions = ticks * (1000000000u / BOARD_CPU_HZ);
  put_text("ffedge-bench impl=" BENCH_IMPL " steps=");
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

/* ---- the two implementations ------------------------------------------- */

#if BENCH_CREF

static float arena[(BENCH_RAM_BYTES) / sizeof(float)];
static ff_ref_t model;

static void bench(void) {
  ff_ref_config_t config;
  int slot = ff_ref_parse_config(bench_config, sizeof bench_config, &config);
  if (slot != 0 || config.inputs > MAX_INPUTS || ff_ref_init(&model, &config, arena, sizeof arena) != 0) {
    report(0, 0, 0, 0, slot != 0 ? 100u + (uint32_t)slot : 1);
    return;
  }
  make_samples(config.inputs);
  uint64_t started = clock_ticks();
  for (uint32_t k = 0; k < BENCH_STEPS; k++) ff_ref_train(&model, samples[k % SAMPLES], k % config.classes);
  uint64_t ticks = clock_ticks() - started;
  report(BENCH_STEPS, ticks, (uint32_t)ff_ref_arena_bytes(&config),
         fnv1a((const uint8_t*)model.params, model.param_count * sizeof(float)), 0);
}

#else

#ifdef FFEDGE_MPU_SANDBOX /* at address 0 (mps2-an386-mpu.ld), guarded by the MPU */
extern uint8_t ffedge_linear_memory[];
#else
uint8_t ffedge_linear_memory[BENCH_RAM_BYTES] __attribute__((section(".wasm_pool"), aligned(16)));
#endif
static Z_ffcore_instance_t core;
static jmp_buf trap_jmp;

static void bench(void) {
  ffedge_rt_use_pool(ffedge_linear_memory, BENCH_RAM_BYTES);
  wasm_rt_init();
  ffedge_rt_trap_target = &trap_jmp;
  ffedge_rt_save_depth();
  volatile int trap = setjmp(trap_jmp);
  if (trap != 0) {
    ffedge_report_trap((uint32_t)trap);
    return;
  }
  Z_ffcore_init_module();
  Z_ffcore_instantiate(&core);
  uint8_t* memory = Z_ffcoreZ_memory(&core)->data;
  memcpy(memory + Z_ffcoreZ_configPtr(&core), bench_config, sizeof bench_config);
  uint32_t status = Z_ffcoreZ_configure(&core, sizeof bench_config);
  if (status != 0) {
    report(0, 0, Z_ffcoreZ_errorDetail(&core), 0, status);
    return;
  }
  memory = Z_ffcoreZ_memory(&core)->data; /* configure() may have grown it */
  uint32_t inputs = bench_config[4 * 29] | (uint32_t)bench_config[4 * 29 + 1] << 8; /* Slot.SIZES[0] */
  uint32_t classes = bench_config[4 * 7];                                               /* Slot.CLASSES */
  make_samples(inputs);
  float* input = (float*)(memory + Z_ffcoreZ_inputPtr(&core));
  int32_t* label = (int32_t*)(memory + Z_ffcoreZ_labelPtr(&core));
  uint64_t started = clock_ticks();
  for (uint32_t k = 0; k < BENCH_STEPS; k++) {
    memcpy(input, samples[k % SAMPLES], inputs * sizeof(float));
    *label = (int32_t)(k % classes);
    status |= Z_ffcoreZ_train(&core, 1);
  }
  uint64_t ticks = clock_ticks() - started;
  report(BENCH_STEPS, ticks, Z_ffcoreZ_arenaBytes(&core),
         fnv1a(memory + Z_ffcoreZ_paramsPtr(&core), Z_ffcoreZ_paramsByteLength(&core)), status);
}

#endif

int main(void) {
  uart_init();
  clock_init();
  __asm volatile("cpsie i" ::: "memory");
  bench();
  board_halt(0);
}

/* ---- what the shared files need ---------------------------------------- */

uint32_t ffedge_platform_write(uint32_t fd, const uint8_t* src, uint32_t len) {
  if (fd == 1) for (uint32_t i = 0; i < len; i++) uart_put(src[i]);
  return FFEDGE_WASI_ESUCCESS;
}

/* ARM semihosting SYS_EXIT_EXTENDED: QEMU exits with `status`
 * (-semihosting-config enable=on,target=native). */
void board_halt(uint32_t status) {
  uint32_t block[2] = {0x20026u /* ADP_Stopped_ApplicationExit */, status};
  register uint32_t r0 __asm("r0") = 0x20u;
  register uint32_t r1 __asm("r1") = (uint32_t)(uintptr_t)block;
  __asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  for (;;) __asm volatile("wfi");
}
