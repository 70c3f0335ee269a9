/*
 * ff-ref.h: a plain C reference of one Forward-Forward training step (Hinton 2022),
 * written to do the same float operations in the same order as the scalar
 * AssemblyScript learner (assembly/learner/ff.ts, dense.ts, goodness.ts,
 * optimizer.ts, mathf32.ts, overlay.ts, prng.ts), so that with IEEE single
 * precision and no fused multiply-add (-ffp-contract=off) its weights are
 * bit-identical to ff-core.wasm's on every machine.
 *
 * Purpose: the yardstick for the wasm2c build (instructions per step on the
 * Cortex-M4, host/bench/c-reference/README.md) and a second, independent
 * reading of the learner's math.
 * Non-goals: every option of the learner. Supported: batch 1, mean-squares
 * goodness, Adam (with decoupled weight decay), random wrong labels, the label
 * one-hot put in front of the inputs ("prepend"), no softmax head, no peer
 * normalisation, no learning-rate schedule. Anything else is refused by
 * ff_ref_parse_config() with the config slot it does not support.
 *
 * Shapes: D inputs, C classes, L layers; layer l maps in_l -> out_l, in_0 = C + D.
 */
#ifndef FF_REF_H
#define FF_REF_H

#include <stddef.h>
#include <stdint.h>

#define FF_REF_MAX_LAYERS 8
#define FF_REF_STATS_FIELDS 6 /* goodness pos, goodness neg, loss, active, hoyer, peer (0) */

typedef struct {
  uint32_t inputs;  /* D */
  uint32_t classes; /* C */
  uint32_t layers;  /* L */
  uint32_t widths[FF_REF_MAX_LAYERS]; /* out_l */
  uint32_t seed;
  float threshold, temperature, learning_rate, beta1, beta2, weight_decay, overlay_value;
} ff_ref_config_t;

typedef struct {
  ff_ref_config_t config;
  uint32_t param_count;        /* P: every W_l (out_l x in_l, row-major) then b_l, layer by layer */
  float* params;               /* P: the checkpoint blob, same order as the learner's */
  float* moment1;              /* P: Adam m */
  float* moment2;              /* P: Adam v */
  float* x[FF_REF_MAX_LAYERS]; /* 2 x in_l: normalised inputs, positive row then negative row */
  float* y[FF_REF_MAX_LAYERS]; /* 2 x out_l: activities, then dL/dz in place */
  float* grad;                 /* widest layer: one gradient row */
  float stats[FF_REF_MAX_LAYERS * FF_REF_STATS_FIELDS];
  float beta1_power, beta2_power, adam_scale, adam_eps;
  uint32_t steps;
  uint32_t rng[4]; /* xoshiro128** state */
} ff_ref_t;

/* Reads the learner's config blob (host/learner/config.ts encodeConfig). Returns 0,
 * or 1 + the slot index of the first option this reference does not support. */
int ff_ref_parse_config(const uint8_t* blob, uint32_t length, ff_ref_config_t* out);

/* Bytes of arena ff_ref_init() needs for `config`. */
size_t ff_ref_arena_bytes(const ff_ref_config_t* config);

/* Lays out `arena` (caller-owned, 4-byte aligned) and initialises the weights from
 * the seed exactly as configure() does. 0, or -1 if `bytes` is too small. */
int ff_ref_init(ff_ref_t* model, const ff_ref_config_t* config, float* arena, size_t bytes);

/* One training step on one labelled sample of D values (label in 0..C-1). */
void ff_ref_train(ff_ref_t* model, const float* input, uint32_t label);

#endif
