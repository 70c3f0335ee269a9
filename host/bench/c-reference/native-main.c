/*
 * native-main.c: run the C reference on a job from stdin, for the test that holds
 * it to ff-core.wasm (test/firmware-c-reference.test.ts). All little-endian:
 *
 *   stdin:  u32 config length, config blob (encodeConfig), u32 N,
 *           N x (i32 label, D x f32 inputs)
 *   stdout: N x (L x 6 f32 stats of that step), then the P f32 weights
 *
 * Exit status: 0, 2 for a malformed job, 3 for a config this reference does
 * not support (stderr names the slot).
 */
#include <stdio.h>
#include <stdlib.h>

#include "ff-ref.h"

static int read_exact(void* dst, size_t bytes) { return fread(dst, 1, bytes, stdin) == bytes ? 0 : -1; }

int main(void) {
  uint32_t length = 0, count = 0;
  static uint8_t blob[256];
  if (read_exact(&length, 4) != 0 || length > sizeof blob || read_exact(blob, length) != 0 ||
      read_exact(&count, 4) != 0) {
    fputs("ff-ref: malformed job on stdin\n", stderr);
    return 2;
  }
  ff_ref_config_t config;
  int slot = ff_ref_parse_config(blob, length, &config);
  if (slot != 0) {
    fprintf(stderr, "ff-ref: config slot %d has a value this reference does not support\n", slot - 1);
    return 3;
  }
  size_t bytes = ff_ref_arena_bytes(&config);
  float* arena = malloc(bytes);
  float* input = malloc(config.inputs * sizeof(float));
  static ff_ref_t model;
  if (arena == NULL || input == NULL || ff_ref_init(&model, &config, arena, bytes) != 0) return 2;
  for (uint32_t n = 0; n < count; n++) {
    int32_t label;
    if (read_exact(&label, 4) != 0 || read_exact(input, config.inputs * sizeof(float)) != 0 ||
        label < 0 || (uint32_t)label >= config.classes) {
      fputs("ff-ref: malformed sample on stdin\n", stderr);
      return 2;
    }
    ff_ref_train(&model, input, (uint32_t)label);
    fwrite(model.stats, sizeof(float), config.layers * FF_REF_STATS_FIELDS, stdout);
  }
  fwrite(model.params, sizeof(float), model.param_count, stdout);
  return 0;
}
