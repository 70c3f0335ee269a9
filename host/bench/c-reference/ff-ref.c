/*
 * ff-ref.c: the plain C reference of one FF training step (see ff-ref.h).
 * Each function names the AssemblyScript function it mirrors; the float
 * expressions keep that source's operand order, since with IEEE f32 and no
 * fused multiply-add only the order decides the rounding. Constants are written
 * the way AssemblyScript types them: a literal in f32 context is its f64 value
 * rounded to f32, `(float)1e-8`; a constant expression like `1.0 / 720.0` in f32
 * context is an f32 division, `1.0f / 720.0f`.
 */
#include "ff-ref.h"

#include <math.h>
#include <string.h>

/* ---- config (assembly/learner/config.ts, slot table) ------------------- */

enum {
  SLOT_VERSION = 0, SLOT_ALGORITHM = 1, SLOT_GOODNESS = 2, SLOT_OPTIMIZER = 3, SLOT_NEGATIVES = 4,
  SLOT_OVERLAY = 5, SLOT_FLAGS = 6, SLOT_CLASSES = 7, SLOT_BATCH = 8, SLOT_SEED = 11,
  SLOT_THRESHOLD = 12, SLOT_TEMPERATURE = 13, SLOT_LEARNING_RATE = 14, SLOT_BETA1 = 15,
  SLOT_BETA2 = 16, SLOT_WEIGHT_DECAY = 17, SLOT_PEER_WEIGHT = 18, SLOT_OVERLAY_VALUE = 20,
  SLOT_DECAY_STEPS = 26, SLOT_LAYER_COUNT = 28, SLOT_SIZES = 29,
};

static uint32_t slot_u32(const uint8_t* blob, uint32_t slot) {
  const uint8_t* p = blob + 4 * slot;
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static float slot_f32(const uint8_t* blob, uint32_t slot) {
  uint32_t bits = slot_u32(blob, slot);
  float value;
  memcpy(&value, &bits, sizeof value);
  return value;
}

int ff_ref_parse_config(const uint8_t* blob, uint32_t length, ff_ref_config_t* out) {
  if (length < 4 * (SLOT_SIZES + 2)) return 1 + SLOT_LAYER_COUNT;
  if (slot_u32(blob, SLOT_VERSION) != 1) return 1 + SLOT_VERSION;
  uint32_t layers = slot_u32(blob, SLOT_LAYER_COUNT);
  if (layers < 1 || layers > FF_REF_MAX_LAYERS || length != 4 * (SLOT_SIZES + layers + 1)) return 1 + SLOT_LAYER_COUNT;
  /* Required value of each option this reference implements (see ff-ref.h). */
  static const uint32_t fixed[][2] = {
      {SLOT_ALGORITHM, 0 /* FF */},   {SLOT_GOODNESS, 1 /* mean squares */}, {SLOT_OPTIMIZER, 1 /* Adam */},
      {SLOT_NEGATIVES, 0 /* random */}, {SLOT_OVERLAY, 1 /* prepend */},     {SLOT_FLAGS, 0 /* no head */},
      {SLOT_BATCH, 1},                {SLOT_DECAY_STEPS, 0},
  };
  for (uint32_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
    if (slot_u32(blob, fixed[i][0]) != fixed[i][1]) return 1 + (int)fixed[i][0];
  }
  if (slot_f32(blob, SLOT_PEER_WEIGHT) != 0) return 1 + SLOT_PEER_WEIGHT;
  out->classes = slot_u32(blob, SLOT_CLASSES);
  out->inputs = slot_u32(blob, SLOT_SIZES);
  out->layers = layers;
  for (uint32_t l = 0; l < layers; l++) out->widths[l] = slot_u32(blob, SLOT_SIZES + 1 + l);
  out->seed = slot_u32(blob, SLOT_SEED);
  out->threshold = slot_f32(blob, SLOT_THRESHOLD);
  out->temperature = slot_f32(blob, SLOT_TEMPERATURE);
  out->learning_rate = slot_f32(blob, SLOT_LEARNING_RATE);
  out->beta1 = slot_f32(blob, SLOT_BETA1);
  out->beta2 = slot_f32(blob, SLOT_BETA2);
  out->weight_decay = slot_f32(blob, SLOT_WEIGHT_DECAY);
  out->overlay_value = slot_f32(blob, SLOT_OVERLAY_VALUE);
  return 0;
}

/* ---- scalar helpers: wasm semantics ------------------------------------ */

static float bits_to_f32(uint32_t bits) {
  float value;
  memcpy(&value, &bits, sizeof value);
  return value;
}

static uint32_t f32_to_bits(float value) {
  uint32_t bits;
  memcpy(&bits, &value, sizeof bits);
  return bits;
}

/* wasm f32.max: NaN if either is NaN; max(-0, +0) = +0. */
static float wasm_maxf(float a, float b) {
  if (a != a || b != b) return NAN;
  if (a == 0 && b == 0) return signbit(a) ? b : a;
  return a > b ? a : b;
}

/* ---- prng.ts: xoshiro128** seeded through splitmix32 ------------------- */

static uint32_t splitmix32(uint32_t state) {
  uint32_t z = state + 0x9e3779b9u;
  z = (z ^ (z >> 16)) * 0x85ebca6bu;
  z = (z ^ (z >> 13)) * 0xc2b2ae35u;
  return z ^ (z >> 16);
}

static uint32_t rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

static void seed_random(uint32_t* s, uint32_t seed) {
  s[0] = splitmix32(seed);
  s[1] = splitmix32(s[0] ^ 0x6a09e667u);
  s[2] = splitmix32(s[1] ^ 0xbb67ae85u);
  s[3] = splitmix32(s[2] ^ 0x3c6ef372u);
  if ((s[0] | s[1] | s[2] | s[3]) == 0) s[0] = 1;
}

static uint32_t next_u32(uint32_t* s) {
  uint32_t result = rotl(s[1] * 5, 7) * 9;
  uint32_t t = s[1] << 9;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 11);
  return result;
}

static float next_unit(uint32_t* s) { return (float)(next_u32(s) >> 8) * (1.0f / 16777216.0f); }

static uint32_t next_below(uint32_t* s, uint32_t n) { return (uint32_t)(((uint64_t)next_u32(s) * n) >> 32); }

/* ---- mathf32.ts: f32-only exp and log ---------------------------------- */

#define LOG2E ((float)1.44269504)
#define LN2_HI ((float)0.693145752)
#define LN2_LO ((float)1.42860677e-6)

static float ref_expf(float x) {
  if (x > (float)88.72283) return INFINITY;
  if (x < (float)-103.0) return 0;
  float n = rintf(x * LOG2E); /* wasm f32.nearest: ties to even */
  float r = (x - n * LN2_HI) - n * LN2_LO;
  float p = 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  int32_t k = (int32_t)n;
  if (k < -126) {
    p *= bits_to_f32((uint32_t)(k + 126 + 127) << 23);
    k = -126;
  }
  return p * bits_to_f32((uint32_t)(k + 127) << 23);
}

static float ref_logf(float x) {
  if (!(x > 0)) return x == 0 ? -INFINITY : NAN;
  if (x == INFINITY) return x;
  uint32_t bits = f32_to_bits(x);
  int32_t e = 0;
  if (bits < 0x00800000u) {
    x *= (float)33554432.0;
    bits = f32_to_bits(x);
    e = -25;
  }
  bits -= 0x3f3504f3u;
  e += (int32_t)bits >> 23;
  bits = (bits & 0x007fffffu) + 0x3f3504f3u;
  float f = bits_to_f32(bits) - 1;
  float s = f / (2 + f);
  float s2 = s * s;
  float p = 1.0f / 9.0f;
  p = p * s2 + 1.0f / 7.0f;
  p = p * s2 + 1.0f / 5.0f;
  p = p * s2 + 1.0f / 3.0f;
  p = p * s2 + 1.0f;
  return 2 * s * p + (float)e * LN2_HI + (float)e * LN2_LO;
}

static float sigmoidf(float x) { return 1 / (1 + ref_expf(-x)); }

static float softplusf(float x) {
  float t = ref_expf(-fabsf(x));
  float u = 1 + t;
  float log1p = u == 1 ? t : ref_logf(u) * (t / (u - 1));
  return wasm_maxf(x, 0) + log1p;
}

/* ---- layout and initialisation (arena.ts, configure.ts) ---------------- */

static uint32_t layer_in(const ff_ref_config_t* c, uint32_t l) {
  return l == 0 ? c->classes + c->inputs : c->widths[l - 1];
}

static uint32_t param_count(const ff_ref_config_t* c) {
  uint32_t count = 0;
  for (uint32_t l = 0; l < c->layers; l++) count += (layer_in(c, l) + 1) * c->widths[l];
  return count;
}

static uint32_t widest(const ff_ref_config_t* c) {
  uint32_t w = layer_in(c, 0);
  for (uint32_t l = 0; l < c->layers; l++) if (c->widths[l] > w) w = c->widths[l];
  return w;
}

size_t ff_ref_arena_bytes(const ff_ref_config_t* c) {
  size_t floats = 3 * (size_t)param_count(c) + widest(c);
  for (uint32_t l = 0; l < c->layers; l++) floats += 2 * ((size_t)layer_in(c, l) + c->widths[l]);
  return floats * sizeof(float);
}

/* configure.ts fillUniform: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) */
static void fill_uniform(uint32_t* rng, float* p, uint32_t n, uint32_t fan_in) {
  float a = 1 / sqrtf((float)fan_in);
  for (uint32_t i = 0; i < n; i++) p[i] = (2 * next_unit(rng) - 1) * a;
}

int ff_ref_init(ff_ref_t* m, const ff_ref_config_t* c, float* arena, size_t bytes) {
  if (bytes < ff_ref_arena_bytes(c)) return -1;
  memset(m, 0, sizeof *m);
  m->config = *c;
  m->param_count = param_count(c);
  float* at = arena;
  m->params = at; at += m->param_count;
  m->moment1 = at; at += m->param_count;
  m->moment2 = at; at += m->param_count;
  for (uint32_t l = 0; l < c->layers; l++) {
    m->x[l] = at; at += 2 * layer_in(c, l);
    m->y[l] = at; at += 2 * c->widths[l];
  }
  m->grad = at;
  seed_random(m->rng, c->seed);
  float* w = m->params;
  for (uint32_t l = 0; l < c->layers; l++) {
    uint32_t in = layer_in(c, l), out = c->widths[l];
    fill_uniform(m->rng, w, in * out, in);
    fill_uniform(m->rng, w + in * out, out, in);
    w += (in + 1) * out;
  }
  memset(m->moment1, 0, 2 * m->param_count * sizeof(float));
  m->beta1_power = 1;
  m->beta2_power = 1;
  return 0;
}

/* ---- dense.ts ---------------------------------------------------------- */

/* normalizeRows: x / (rms(x) + eps), rows of n, may alias */
static void normalize_rows(const float* src, float* dst, uint32_t rows, uint32_t n) {
  for (uint32_t r = 0; r < rows; r++) {
    const float* s = src + r * n;
    float* d = dst + r * n;
    float sum_squares = 0;
    for (uint32_t i = 0; i < n; i++) sum_squares += s[i] * s[i];
    float inv = 1 / (sqrtf(sum_squares / (float)n) + (float)1e-8);
    for (uint32_t i = 0; i < n; i++) d[i] = s[i] * inv;
  }
}

/* denseReluForward: y[r, j] = relu(sum_i W[j, i] x[r, i] + b[j]) */
static void dense_relu_forward(const float* W, const float* b, const float* x, float* y,
                               uint32_t rows, uint32_t in, uint32_t out) {
  for (uint32_t j = 0; j < out; j++) {
    const float* w = W + j * in;
    float bias = b[j];
    for (uint32_t r = 0; r < rows; r++) {
      const float* xr = x + r * in;
      float acc = 0;
      for (uint32_t i = 0; i < in; i++) acc += w[i] * xr[i];
      y[r * out + j] = wasm_maxf(acc + bias, 0);
    }
  }
}

/* weightGradientRow: g[i] = sum_r (dz[r, j] * scale) x[r, i], rows with dz = 0 skipped */
static void weight_gradient_row(const float* dz, const float* x, float* g, uint32_t j, uint32_t rows,
                                uint32_t in, uint32_t out, float scale) {
  memset(g, 0, in * sizeof(float));
  for (uint32_t r = 0; r < rows; r++) {
    float d = dz[r * out + j] * scale;
    if (d == 0) continue;
    const float* xr = x + r * in;
    for (uint32_t i = 0; i < in; i++) g[i] = g[i] + d * xr[i];
  }
}

/* biasGradient: g[j] = scale * sum_r dz[r, j] */
static void bias_gradient(const float* dz, float* g, uint32_t rows, uint32_t out, float scale) {
  for (uint32_t j = 0; j < out; j++) {
    float acc = 0;
    for (uint32_t r = 0; r < rows; r++) acc += dz[r * out + j];
    g[j] = acc * scale;
  }
}

/* ---- optimizer.ts: Adam with decoupled weight decay -------------------- */

static void begin_step(ff_ref_t* m) {
  m->beta1_power *= m->config.beta1;
  m->beta2_power *= m->config.beta2;
  float c2 = sqrtf(1 - m->beta2_power);
  m->adam_scale = c2 / (1 - m->beta1_power);
  m->adam_eps = (float)1e-8 * c2;
}

static void apply_gradient(ff_ref_t* m, uint32_t offset, const float* g, uint32_t n, float eta) {
  float decay = eta * m->config.weight_decay;
  float b1 = m->config.beta1, b2 = m->config.beta2;
  float c1 = 1 - b1, c2 = 1 - b2;
  float step = eta * m->adam_scale, eps = m->adam_eps;
  float* p = m->params + offset;
  float* m1 = m->moment1 + offset;
  float* m2 = m->moment2 + offset;
  for (uint32_t i = 0; i < n; i++) {
    float grad = g[i];
    float mean = b1 * m1[i] + c1 * grad;
    float var = b2 * m2[i] + c2 * grad * grad;
    m1[i] = mean;
    m2[i] = var;
    float w = p[i];
    p[i] = w - step * mean / (sqrtf(var) + eps) - decay * w;
  }
}

/* ---- overlay.ts, goodness.ts, ff.ts ------------------------------------ */

/* writeLabelledInput, overlay "prepend": [one-hot of label (C)] [input (D)] */
static void write_labelled_input(const ff_ref_config_t* c, const float* input, float* dst, uint32_t label) {
  memcpy(dst + c->classes, input, c->inputs * sizeof(float));
  for (uint32_t k = 0; k < c->classes; k++) dst[k] = k == label ? c->overlay_value : 0;
}

void ff_ref_train(ff_ref_t* m, const float* input, uint32_t label) {
  const ff_ref_config_t* c = &m->config;
  const uint32_t rows = 2; /* one positive, one negative */
  const float pair_scale = 1 / (float)1;

  /* negatives.ts randomWrongLabel */
  uint32_t negative = (label + 1 + next_below(m->rng, c->classes - 1)) % c->classes;
  write_labelled_input(c, input, m->x[0], label);
  write_labelled_input(c, input, m->x[0] + layer_in(c, 0), negative);

  /* network.ts forwardRows */
  normalize_rows(m->x[0], m->x[0], rows, layer_in(c, 0));
  uint32_t offset = 0;
  for (uint32_t l = 0; l < c->layers; l++) {
    uint32_t in = layer_in(c, l), out = c->widths[l];
    if (l > 0) normalize_rows(m->y[l - 1], m->x[l], rows, in);
    dense_relu_forward(m->params + offset, m->params + offset + in * out, m->x[l], m->y[l], rows, in, out);
    offset += (in + 1) * out;
  }
  begin_step(m);
  float eta = c->learning_rate * 1; /* rateScale() = 1: no schedule */

  offset = 0;
  for (uint32_t l = 0; l < c->layers; l++) {
    uint32_t in = layer_in(c, l), out = c->widths[l];
    float* Y = m->y[l];
    float slope = 2 / (float)out; /* goodnessSlope, mean squares */
    float g_pos = 0, g_neg = 0, loss = 0, active = 0, hoyer = 0;
    float sqrt_out = sqrtf((float)out);
    for (uint32_t r = 0; r < rows; r++) {
      float* y = Y + r * out;
      int positive = r < 1;
      float g = 0; /* goodnessOf */
      for (uint32_t j = 0; j < out; j++) g += y[j] * y[j];
      g = g / (float)out;
      float logit = (g - c->threshold) / c->temperature; /* layerLoss */
      loss += softplusf(positive ? -logit : logit);
      if (positive) {
        g_pos += g;
        float l1 = 0, l2 = 0;
        int32_t on = 0;
        for (uint32_t j = 0; j < out; j++) {
          float v = y[j];
          l1 += v;
          l2 += v * v;
          if (v > 0) on++;
        }
        active += (float)on / (float)out;
        hoyer += l2 > 0 && out > 1 ? (sqrt_out - l1 / sqrtf(l2)) / (sqrt_out - 1) : 1;
      } else {
        g_neg += g;
      }
      float p = sigmoidf((g - c->threshold) / c->temperature); /* lossSlope */
      float dl_dg = positive ? -(1 - p) / c->temperature : p / c->temperature;
      float k = dl_dg * slope;
      for (uint32_t j = 0; j < out; j++) y[j] = k * y[j];
    }
    float* s = m->stats + l * FF_REF_STATS_FIELDS;
    s[0] = g_pos * pair_scale;
    s[1] = g_neg * pair_scale;
    s[2] = loss * pair_scale;
    s[3] = active * pair_scale;
    s[4] = hoyer * pair_scale;
    s[5] = 0;

    for (uint32_t j = 0; j < out; j++) {
      weight_gradient_row(Y, m->x[l], m->grad, j, rows, in, out, pair_scale);
      apply_gradient(m, offset + j * in, m->grad, in, eta);
    }
    bias_gradient(Y, m->grad, rows, out, pair_scale);
    apply_gradient(m, offset + in * out, m->grad, out, eta);
    offset += (in + 1) * out;
  }
  m->steps++;
}
