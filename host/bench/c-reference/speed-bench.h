/*
 * speed-bench.h: what the two native speed drivers share, native-bench.c (the C
 * reference ff-ref.c) and wasm2c-bench.c (ff-core.wasm through wasm2c): the command
 * line, the config file, the samples, the clock and the one result line that
 * host/bench/speed.ts parses. Header-only, static functions: each driver stays one
 * C file.
 *
 *   DRIVER [--steps K] [--repeats R] [--warmup W] CONFIG
 *
 * CONFIG is a file holding the learner's config blob (host/learner/config.ts
 * encodeConfig), or "-" for stdin. The driver trains W steps, then R times K steps,
 * timing each run of K with CLOCK_MONOTONIC, and prints
 *
 *   ffedge-speed impl=I params=P warmup=W steps=K repeats=R ns_per_step=MEDIAN
 *     ns=N1,N2,... weights_fnv=0x........ status=S
 *
 * Step k (counted from 0, warmup included) trains on sample k % 5 with label
 * k % classes; the five samples are m4-bench.c's xorshift32 inputs in [-1, 1)
 * (host/bench/firmware.ts benchSamples), so every runtime in the sweep does the same
 * work and the strict builds must print the same weights_fnv (FNV-1a of the weights
 * after all W + R*K steps).
 * Non-goals: statistics beyond the median; the host computes ratios.
 */
#ifndef FF_SPEED_BENCH_H
#define FF_SPEED_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SPEED_SAMPLES 5
#define SPEED_MAX_REPEATS 1000
#define SPEED_CONFIG_CAPACITY 1024

typedef struct {
  uint32_t steps, repeats, warmup;
  const char* config_path;
} speed_options_t;

static int speed_usage(const char* program) {
  fprintf(stderr, "usage: %s [--steps K] [--repeats R] [--warmup W] CONFIG.bin|-\n", program);
  return 2;
}

/* 0, or the exit status (2) after a usage message. */
static int speed_parse_args(int argc, char** argv, speed_options_t* o) {
  o->steps = 20;
  o->repeats = 5;
  o->warmup = 5;
  o->config_path = NULL;
  for (int i = 1; i < argc; i++) {
    uint32_t* target = strcmp(argv[i], "--steps") == 0 ? &o->steps
                     : strcmp(argv[i], "--repeats") == 0 ? &o->repeats
                     : strcmp(argv[i], "--warmup") == 0 ? &o->warmup : NULL;
    if (target != NULL) {
      char* end = NULL;
      if (i + 1 >= argc) return speed_usage(argv[0]);
      unsigned long v = strtoul(argv[++i], &end, 10);
      if (*end != '\0' || v > 100000000ul) return speed_usage(argv[0]);
      *target = (uint32_t)v;
    } else if (o->config_path == NULL && (argv[i][0] != '-' || argv[i][1] == '\0')) {
      o->config_path = argv[i];
    } else {
      return speed_usage(argv[0]);
    }
  }
  if (o->config_path == NULL || o->steps < 1 || o->repeats < 1 || o->repeats > SPEED_MAX_REPEATS) return speed_usage(argv[0]);
  return 0;
}

/* Reads the config blob; 0, or -1 with a message on stderr. */
static int speed_read_config(const char* path, uint8_t* blob, uint32_t* length) {
  FILE* f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  if (f == NULL) {
    fprintf(stderr, "speed-bench: cannot open %s\n", path);
    return -1;
  }
  size_t n = fread(blob, 1, SPEED_CONFIG_CAPACITY, f);
  int more = fgetc(f) != EOF;
  if (f != stdin) fclose(f);
  if (n == 0 || more) {
    fprintf(stderr, "speed-bench: %s is %s\n", path, n == 0 ? "empty" : "larger than any config blob");
    return -1;
  }
  *length = (uint32_t)n;
  return 0;
}

/* u32 slot of the config blob (assembly/learner/config.ts: 7 CLASSES, 29 SIZES[0]). */
static inline uint32_t speed_slot(const uint8_t* blob, uint32_t slot) {
  const uint8_t* p = blob + 4 * slot;
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* SPEED_SAMPLES x inputs values in [-1, 1) from xorshift32, as m4-bench.c makes them. */
static float* speed_make_samples(uint32_t inputs) {
  float* samples = malloc((size_t)SPEED_SAMPLES * inputs * sizeof(float));
  if (samples == NULL) return NULL;
  uint32_t x = 2463534242u;
  for (uint32_t i = 0; i < SPEED_SAMPLES * inputs; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    samples[i] = (float)(x >> 8) * (1.0f / 8388608.0f) - 1.0f;
  }
  return samples;
}

static uint64_t speed_now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static uint32_t speed_fnv1a(const uint8_t* bytes, size_t length) {
  uint32_t hash = 2166136261u;
  for (size_t i = 0; i < length; i++) hash = (hash ^ bytes[i]) * 16777619u;
  return hash;
}

static int speed_compare(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

static void speed_report(const char* impl, const speed_options_t* o, uint32_t params, const double* ns_per_step,
                         uint32_t fnv, uint32_t status) {
  static double sorted[SPEED_MAX_REPEATS];
  memcpy(sorted, ns_per_step, o->repeats * sizeof(double));
  qsort(sorted, o->repeats, sizeof(double), speed_compare);
  double median = o->repeats % 2 ? sorted[o->repeats / 2] : (sorted[o->repeats / 2 - 1] + sorted[o->repeats / 2]) / 2;
  printf("ffedge-speed impl=%s params=%u warmup=%u steps=%u repeats=%u ns_per_step=%.1f ns=", impl, params, o->warmup,
         o->steps, o->repeats, median);
  for (uint32_t r = 0; r < o->repeats; r++) printf("%s%.1f", r ? "," : "", ns_per_step[r]);
  printf(" weights_fnv=0x%08x status=%u\n", fnv, status);
}

#endif
