// Plain references of the learning rules beside FF (assembly/learner/rules.ts
// and the rule files), in float64 with ordinary arrays, extending the FF
// reference: same parameters, same random draws in the same order, so tests
// hold the wasm learner to them (test/rules-reference.test.ts). One method per
// rule, written from the equations in the rule files' headers, not from the
// wasm code: Gram-matrix tricks, in-place buffers and fused loops stay there.
//
// The spiking rule's membranes and input currents are computed with
// Math.fround at every operation (f32, the wasm's order), because a spike is
// a threshold decision: float64 would flip ties and the two would drift apart.
//
// Non-goals: speed; the softmax head of the FF family (ReferenceFF has it).

import { ReferenceFF, normalize, reluForward, goodness, ffLoss, type DenseLayer, type Vector } from './ff-reference.js';
import { Xoshiro128 } from './prng.js';
import { OUTPUT_LAYER_ALGORITHMS, type LearnerConfig } from '../config.js';

const f = Math.fround;
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const EVALUATION_SEED = 0x5eed;

export function linearForward(layer: DenseLayer, x: Vector): Vector {
  const z = new Float64Array(layer.nOut);
  for (let j = 0; j < layer.nOut; j++) {
    let acc = 0;
    for (let i = 0; i < layer.nIn; i++) acc += layer.W[j * layer.nIn + i] * x[i];
    z[j] = acc + layer.b[j];
  }
  return z;
}

export function softmax(z: ArrayLike<number>): Vector {
  const top = Math.max(...Array.from(z));
  const e = Float64Array.from(z, (v) => Math.exp(v - top));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

/** Effective dimensionality of the rows' covariance, tr(C)^2 / |C|_F^2, from the O x O covariance itself. */
export function effectiveDimensionality(rows: Vector[]): number {
  const R = rows.length,
    O = rows[0].length;
  const mean = new Float64Array(O);
  for (const r of rows) for (let j = 0; j < O; j++) mean[j] += r[j] / R;
  let trace = 0,
    frobenius = 0;
  for (let a = 0; a < O; a++) {
    for (let b = 0; b < O; b++) {
      let c = 0;
      for (const r of rows) c += (r[a] - mean[a]) * (r[b] - mean[b]);
      frobenius += c * c;
      if (a === b) trace += c;
    }
  }
  return trace > 1e-12 ? (trace * trace) / frobenius : 1;
}

/** Sum over rows of the outer product d_r (x) x_r, scaled: a layer's gradient. */
function outer(layer: DenseLayer, dz: Vector[], xs: Vector[], scale: number): { gW: Float64Array; gb: Float64Array } {
  const gW = new Float64Array(layer.W.length),
    gb = new Float64Array(layer.nOut);
  dz.forEach((d, r) => {
    for (let j = 0; j < layer.nOut; j++) {
      if (d[j] === 0) continue;
      gb[j] += d[j] * scale;
      for (let i = 0; i < layer.nIn; i++) gW[j * layer.nIn + i] += d[j] * scale * xs[r][i];
    }
  });
  return { gW, gb };
}

/** d = W^T dz for each row (W is out x in). */
function transposeTimes(W: Float64Array, nIn: number, nOut: number, dz: Vector[]): Vector[] {
  return dz.map((d) => {
    const out = new Float64Array(nIn);
    for (let j = 0; j < nOut; j++) for (let i = 0; i < nIn; i++) out[i] += d[j] * W[j * nIn + i];
    return out;
  });
}

export class ReferenceRules extends ReferenceFF {
  /** Feedback alignment: B_l (index l >= 1, out x in); PEPITA: F at index 0, C rows of inputs. */
  readonly feedback: Float64Array[] = [];
  feedbackNorm = 0;
  private traces = new Map<Float64Array, Float64Array>();

  constructor(config: LearnerConfig) {
    super(config);
    const c = this.config;
    if (c.algorithm === 'feedback-alignment') {
      this.layers.forEach((layer, l) => {
        const B = new Float64Array(l === 0 ? 0 : layer.W.length);
        if (l > 0) this.uniform(B, layer.nIn);
        this.feedback.push(B);
      });
    }
    if (c.algorithm === 'pepita' || c.algorithm === 'pepita-mirror') {
      const d = this.layers[0].nIn;
      const a = f(f(c.rule[0]) * f(Math.sqrt(f(6 / d))));
      const F = new Float64Array(c.classes * d);
      for (let i = 0; i < F.length; i++) F[i] = f((2 * this.rng.nextUnit() - 1) * a);
      this.feedbackNorm = Math.sqrt(F.reduce((s, v) => s + v * v, 0));
      this.feedback.push(F);
    }
  }

  /** The wasm's checkpoint: the parameters, then pepita-mirror's learned F (arena.ts). */
  override parameters(): Float64Array {
    const p = super.parameters();
    if (this.config.algorithm !== 'pepita-mirror') return p;
    const F = this.feedback[0]!;
    const out = new Float64Array(p.length + F.length);
    out.set(p);
    out.set(F, p.length);
    return out;
  }

  get outputFamily(): boolean {
    return OUTPUT_LAYER_ALGORITHMS.includes(this.config.algorithm);
  }

  /** The eligibility-trace decay of the Hebbian rules (0 = none). */
  get traceDecay(): number {
    const c = this.config;
    return c.algorithm === 'hebbian-ff' ? c.rule[0] : c.algorithm === 'spiking-ff' ? c.rule[3] : 0;
  }

  /** The optimizer step of a layer, through the eligibility trace when one is kept. */
  private update(layer: DenseLayer, gW: Float64Array, gb: Float64Array, eta: number): void {
    for (const [p, g] of [
      [layer.W, gW],
      [layer.b, gb],
    ] as const) {
      if (this.traceDecay > 0) {
        let e = this.traces.get(p);
        if (!e) this.traces.set(p, (e = new Float64Array(p.length)));
        for (let i = 0; i < p.length; i++) g[i] = e[i] = this.traceDecay * e[i] + g[i];
      }
      this.apply(p, g, eta);
    }
  }

  /** The output family's forward pass: ReLU hidden layers, a linear output. */
  mlp(x: ArrayLike<number>): Vector[] {
    const hs: Vector[] = [];
    let a: Vector = Float64Array.from(x);
    this.layers.forEach((layer, l) => {
      a = l < this.layers.length - 1 ? reluForward(layer, a) : linearForward(layer, a);
      hs.push(a);
    });
    return hs;
  }

  private unitNoise(rng: Xoshiro128): number {
    return f(f(2 * rng.nextUnit() - 1) * f(Math.sqrt(3)));
  }

  override train(inputs: ArrayLike<number>[], labels: number[]): void {
    switch (this.config.algorithm) {
      case 'ff':
        return super.train(inputs, labels);
      case 'hebbian-ff':
        return this.trainHebbian(inputs, labels);
      case 'spiking-ff':
        return this.trainSpiking(inputs, labels);
      case 'pepita':
      case 'pepita-mirror':
        return this.trainPepita(inputs, labels);
      case 'ed':
        return this.trainDimension(inputs, labels);
      case 'backprop':
      case 'feedback-alignment':
        return this.trainBackprop(inputs, labels);
      case 'backprop-ff':
        return this.trainBackpropFF(inputs, labels);
    }
  }

  /** The rule's own prediction (its "goodness" mode). */
  predictRule(input: ArrayLike<number>): { label: number; scores: number[] } {
    const c = this.config;
    let scores: number[];
    if (this.outputFamily) scores = Array.from(softmax(this.mlp(input).at(-1)!));
    else if (c.algorithm === 'ed') scores = Array.from(this.headProbabilities(this.energy([input], new Xoshiro128(EVALUATION_SEED))[0]));
    else if (c.algorithm === 'spiking-ff') {
      const rng = new Xoshiro128(EVALUATION_SEED);
      const rows = Array.from({ length: c.classes }, (_, k) => this.labelledInput(input, k));
      const { rates } = this.spikeRun(rows, rng);
      scores = rows.map((_, k) => rates.slice(this.firstScored).reduce((s, layer) => s + goodness(layer[k], c.goodness), 0));
    } else return this.predict(input, 'goodness');
    let best = 0;
    for (let k = 1; k < scores.length; k++) if (scores[k] > scores[best]) best = k;
    return { label: best, scores };
  }

  // ---- neo-Hebbian FF ----

  /** Per row: -(l - sigma((G - theta)/T)) * y, the Hebbian rule's factors as a descent gradient. */
  private hebbianFactors(ys: Vector[], n: number): Vector[] {
    const c = this.config;
    return ys.map((y, r) => {
      const p = sigmoid((goodness(y, c.goodness) - c.threshold) / c.temperature);
      const label = r < n ? 1 : 0;
      return y.map((v) => (p - label) * v);
    });
  }

  private trainHebbian(inputs: ArrayLike<number>[], labels: number[]): void {
    const c = this.config,
      n = inputs.length;
    const passes = this.stepRows(inputs, labels).map((r) => this.forward(r));
    const eta = c.learningRate * this.rateScale();
    this.t++;
    this.layers.forEach((layer, l) => {
      const dz = this.hebbianFactors(
        passes.map((p) => p.ys[l]),
        n,
      );
      const { gW, gb } = outer(
        layer,
        dz,
        passes.map((p) => p.xs[l]),
        1 / n,
      );
      this.update(layer, gW, gb, eta);
    });
    this.neutralHead(inputs, labels, eta / c.learningRate);
  }

  /** The softmax head's step on a neutral-label pass, as ReferenceFF.train ends. */
  private neutralHead(inputs: ArrayLike<number>[], labels: number[], scale: number): void {
    const head = this.head;
    this.lastHeadLoss = 0;
    if (!head) return;
    const hs = inputs.map((x) => this.headInput(this.forward(this.labelledInput(x, -1)).ys));
    this.headStep(hs, labels, scale);
  }

  private headStep(hs: Vector[], labels: number[], scale: number): void {
    const head = this.head!;
    const rows = hs.map((h, b) => [h, labels[b]] as const).filter(([, y]) => y >= 0);
    if (rows.length === 0) return;
    let loss = 0;
    const dz = rows.map(([h, y]) => {
      const p = this.headProbabilities(h);
      loss -= Math.log(Math.max(p[y], 1e-30));
      p[y] -= 1;
      return p;
    });
    const { gW, gb } = ReferenceFF.gradients(
      head,
      dz,
      rows.map(([h]) => h),
      rows.length,
    );
    this.apply(head.W, gW, this.config.headLearningRate * scale);
    this.apply(head.b, gb, this.config.headLearningRate * scale);
    this.lastHeadLoss = loss / rows.length;
  }

  // ---- spiking FF ----

  /**
   * LIF layers over T timesteps on the first-layer rows; spike decisions in
   * f32 as the wasm makes them. Returns input and layer spike rates.
   */
  spikeRun(rows: Vector[], rng: Xoshiro128): { inputRates: Vector[]; rates: Vector[][] } {
    const c = this.config;
    const [T, beta, vth] = [c.rule[0], f(c.rule[1]), f(c.rule[2])];
    const R = rows.length,
      L = this.layers.length;
    const inputCounts = rows.map((x) => new Float64Array(x.length));
    const v = this.layers.map((layer) => rows.map(() => new Float64Array(layer.nOut)));
    const counts = this.layers.map((layer) => rows.map(() => new Float64Array(layer.nOut)));
    for (let t = 0; t < T; t++) {
      let spikes: Vector[] = rows.map((x, r) =>
        x.map((p, i) => {
          const s = rng.nextUnit() < Math.abs(f(p)) ? (p > 0 ? 1 : -1) : 0;
          inputCounts[r][i] += s;
          return s;
        }),
      );
      for (let l = 0; l < L; l++) {
        const layer = this.layers[l];
        const out: Vector[] = [];
        for (let r = 0; r < R; r++) {
          const o = new Float64Array(layer.nOut);
          for (let j = 0; j < layer.nOut; j++) {
            let acc = 0;
            for (let i = 0; i < layer.nIn; i++) acc = f(acc + f(f(layer.W[j * layer.nIn + i]) * spikes[r][i]));
            const u = f(f(beta * v[l][r][j]) + f(acc + f(layer.b[j])));
            o[j] = u >= vth ? 1 : 0;
            v[l][r][j] = f(u - f(o[j] * vth));
            counts[l][r][j] += o[j];
          }
          out.push(o);
        }
        spikes = out;
      }
    }
    const inv = f(1 / T);
    return {
      inputRates: inputCounts.map((x) => x.map((k) => f(k * inv))),
      rates: counts.map((layer) => layer.map((y) => y.map((k) => f(k * inv)))),
    };
  }

  private trainSpiking(inputs: ArrayLike<number>[], labels: number[]): void {
    const c = this.config,
      n = inputs.length;
    const { inputRates, rates } = this.spikeRun(this.stepRows(inputs, labels), this.rng);
    const eta = c.learningRate * this.rateScale();
    this.t++;
    for (let l = this.layers.length - 1; l >= 0; l--) {
      const dz = this.hebbianFactors(rates[l], n);
      const { gW, gb } = outer(this.layers[l], dz, l === 0 ? inputRates : rates[l - 1], 1 / n);
      this.update(this.layers[l], gW, gb, eta);
    }
  }

  // ---- PEPITA ----

  private trainPepita(inputs: ArrayLike<number>[], labels: number[]): void {
    const c = this.config,
      n = inputs.length,
      L = this.layers.length,
      C = c.classes;
    const F = this.feedback[0],
      d = this.layers[0].nIn;
    const first = inputs.map((x) => this.mlp(x));
    const errors = first.map((hs, b) => {
      const e = softmax(hs[L - 1]);
      e[labels[b]] -= 1;
      return e;
    });
    this.lastHeadLoss = first.reduce((s, hs, b) => s - Math.log(Math.max(softmax(hs[L - 1])[labels[b]], 1e-30)), 0) / n;
    const modulated = inputs.map((x, b) =>
      Float64Array.from({ length: d }, (_, i) => {
        let v = x[i];
        for (let k = 0; k < C; k++) v += F[k * d + i] * errors[b][k];
        return v;
      }),
    );
    const second = modulated.map((x) => this.mlp(x));
    const eta = c.learningRate * this.rateScale();
    this.t++;
    this.layers.forEach((layer, l) => {
      const dz = l < L - 1 ? first.map((hs, b) => hs[l].map((v, j) => v - second[b][l][j])) : errors;
      const below = l === 0 ? modulated : second.map((hs) => hs[l - 1]);
      const { gW, gb } = outer(layer, dz, below, 1 / n);
      this.update(layer, gW, gb, eta);
    });
    if (c.algorithm === 'pepita-mirror') this.mirror(inputs);
  }

  /** F <- F - eta_F xi o^T / sigma^2 (o = out(x + xi) - out(x)), then |F| back to its initial norm. */
  private mirror(inputs: ArrayLike<number>[]): void {
    const c = this.config,
      n = inputs.length,
      L = this.layers.length,
      C = c.classes;
    const F = this.feedback[0],
      d = this.layers[0].nIn;
    const sigma = f(c.rule[2]);
    const noisy = inputs.map((x) => Float64Array.from({ length: d }, (_, i) => x[i] + sigma * this.unitNoise(this.rng)));
    for (let b = 0; b < n; b++) {
      const o = this.mlp(noisy[b])[L - 1].map((v, k) => v - this.mlp(inputs[b])[L - 1][k]);
      for (let k = 0; k < C; k++) {
        for (let i = 0; i < d; i++) F[k * d + i] -= (c.rule[1] * o[k] * (noisy[b][i] - inputs[b][i])) / (n * sigma * sigma);
      }
    }
    const norm = Math.sqrt(F.reduce((s, v) => s + v * v, 0));
    if (norm > 0) for (let i = 0; i < F.length; i++) F[i] *= this.feedbackNorm / norm;
  }

  // ---- backprop and feedback alignment ----

  private trainBackprop(inputs: ArrayLike<number>[], labels: number[]): void {
    const c = this.config,
      n = inputs.length,
      L = this.layers.length;
    const passes = inputs.map((x) => this.mlp(x));
    let dz: Vector[] = passes.map((hs, b) => {
      const e = softmax(hs[L - 1]);
      e[labels[b]] -= 1;
      return e;
    });
    this.lastHeadLoss = passes.reduce((s, hs, b) => s - Math.log(Math.max(softmax(hs[L - 1])[labels[b]], 1e-30)), 0) / n;
    const eta = c.learningRate * this.rateScale();
    this.t++;
    for (let l = L - 1; l >= 0; l--) {
      const layer = this.layers[l];
      const below = l === 0 ? inputs.map((x) => Float64Array.from(x)) : passes.map((hs) => hs[l - 1]);
      const back = c.algorithm === 'feedback-alignment' ? this.feedback[l] : layer.W;
      const next = l > 0 ? transposeTimes(back, layer.nIn, layer.nOut, dz).map((d, b) => d.map((v, i) => (below[b][i] > 0 ? v : 0))) : [];
      const { gW, gb } = outer(layer, dz, below, 1 / n);
      this.update(layer, gW, gb, eta);
      dz = next;
    }
  }

  /** Backprop through the FF stack of the summed FF losses: dL/dW of every layer. */
  backpropFFGradients(rows: Vector[], n: number): Array<{ gW: Float64Array; gb: Float64Array }> {
    const c = this.config,
      L = this.layers.length;
    const passes = rows.map((r) => this.forward(r));
    const slope = (width: number) => (c.goodness === 'mean-squares' ? 2 / width : 2);
    const grads: Array<{ gW: Float64Array; gb: Float64Array }> = new Array(L);
    let above: Vector[] | null = null; // dL/dy_l from the layers above
    for (let l = L - 1; l >= 0; l--) {
      const layer = this.layers[l];
      const dz = passes.map((p, r) => {
        const y = p.ys[l];
        const g = goodness(y, c.goodness);
        const p1 = sigmoid((g - c.threshold) / c.temperature);
        const dG = (r < n ? p1 - 1 : p1) / c.temperature;
        return y.map((v, j) => (v > 0 ? dG * slope(layer.nOut) * v + (above ? above[r][j] : 0) : 0));
      });
      grads[l] = outer(
        layer,
        dz,
        passes.map((p) => p.xs[l]),
        1 / n,
      );
      if (l > 0) {
        const dx = transposeTimes(layer.W, layer.nIn, layer.nOut, dz);
        above = dx.map((g, r) => {
          // through x = y / (rms(y) + eps)
          const y = passes[r].ys[l - 1],
            N = y.length;
          const s = Math.sqrt(y.reduce((a, v) => a + v * v, 0) / N);
          if (s === 0) return new Float64Array(N);
          const gy = g.reduce((a, v, i) => a + v * y[i], 0);
          return g.map((v, k) => v / (s + 1e-8) - (gy / (s + 1e-8) ** 2) * (y[k] / (N * s)));
        });
      }
    }
    return grads;
  }

  private trainBackpropFF(inputs: ArrayLike<number>[], labels: number[]): void {
    const c = this.config,
      n = inputs.length;
    const grads = this.backpropFFGradients(this.stepRows(inputs, labels), n);
    const eta = c.learningRate * this.rateScale();
    this.t++;
    this.layers.forEach((layer, l) => this.update(layer, grads[l].gW, grads[l].gb, eta));
    this.neutralHead(inputs, labels, eta / c.learningRate);
  }

  // ---- dimensionality compression ----

  /** The first-layer rows of an ED step (K noisy copies of each sample), drawing from this learner's PRNG. */
  dimensionRows(inputs: ArrayLike<number>[]): Vector[] {
    return this.noisyCopies(inputs, this.rng);
  }

  /** K noisy copies per sample (rows b*K + k), noise drawn as the wasm draws it. */
  noisyCopies(inputs: ArrayLike<number>[], rng: Xoshiro128): Vector[] {
    const [K, sigma] = [this.config.rule[0], f(this.config.rule[1])];
    const rows: Vector[] = [];
    for (const x of inputs) for (let k = 0; k < K; k++) rows.push(Float64Array.from({ length: x.length }, (_, i) => x[i] + sigma * this.unitNoise(rng)));
    return rows;
  }

  /** Head inputs: per scored layer, mean over the copies of y^2, length-normalised. */
  energy(inputs: ArrayLike<number>[], rng: Xoshiro128): Vector[] {
    const K = this.config.rule[0];
    const passes = this.noisyCopies(inputs, rng).map((r) => this.forward(r));
    return inputs.map((_, b) => {
      const parts = this.layers.slice(this.firstScored).map((layer, s) => {
        const l = s + this.firstScored;
        const e = new Float64Array(layer.nOut);
        for (let k = 0; k < K; k++)
          passes[b * K + k].ys[l].forEach((v, j) => {
            e[j] += (v * v) / K;
          });
        return normalize(e);
      });
      const h = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
      let at = 0;
      for (const p of parts) {
        h.set(p, at);
        at += p.length;
      }
      return h;
    });
  }

  /**
   * d/dY of L = mean_b log ED(sample b's K rows) - lambda log ED(the n sample
   * means), by the Gram-matrix identity (see assembly/learner/dimension.ts).
   */
  static dimensionGradient(ys: Vector[], n: number, K: number, lambda: number): Vector[] {
    const O = ys[0].length;
    const logEdGradient = (rows: Vector[]): Vector[] => {
      const R = rows.length;
      const mean = new Float64Array(O);
      for (const r of rows)
        r.forEach((v, j) => {
          mean[j] += v / R;
        });
      const Z = rows.map((r) => r.map((v, j) => v - mean[j]));
      const G = Z.map((a) => Z.map((b) => a.reduce((s, v, j) => s + v * b[j], 0)));
      const trace = G.reduce((s, row, a) => s + row[a], 0);
      const frobenius = G.reduce((s, row) => s + row.reduce((t, v) => t + v * v, 0), 0);
      if (!(trace > 1e-12)) return Z.map(() => new Float64Array(O));
      return Z.map((z, a) => z.map((v, j) => (4 / trace) * v - (4 / frobenius) * G[a].reduce((s, g, b) => s + g * Z[b][j], 0)));
    };
    const means = Array.from({ length: n }, (_, b) => {
      const m = new Float64Array(O);
      for (let k = 0; k < K; k++)
        ys[b * K + k].forEach((v, j) => {
          m[j] += v / K;
        });
      return m;
    });
    const across = logEdGradient(means);
    const out: Vector[] = [];
    for (let b = 0; b < n; b++) {
      const within = logEdGradient(ys.slice(b * K, (b + 1) * K));
      within.forEach((g, k) => out.push(g.map((v, j) => v / n - (lambda / K) * across[b][j])));
    }
    return out;
  }

  private trainDimension(inputs: ArrayLike<number>[], labels: number[]): void {
    const c = this.config,
      n = inputs.length,
      K = c.rule[0];
    const rows = this.noisyCopies(inputs, this.rng);
    const passes = rows.map((r) => this.forward(r));
    const hs = inputs.map((_, b) => {
      const parts = this.layers.slice(this.firstScored).map((layer, s) => {
        const e = new Float64Array(layer.nOut);
        for (let k = 0; k < K; k++)
          passes[b * K + k].ys[s + this.firstScored].forEach((v, j) => {
            e[j] += (v * v) / K;
          });
        return normalize(e);
      });
      return Float64Array.from(parts.flatMap((p) => Array.from(p)));
    });
    const eta = c.learningRate * this.rateScale();
    this.t++;
    this.layers.forEach((layer, l) => {
      const ys = passes.map((p) => p.ys[l]);
      const dy = ReferenceRules.dimensionGradient(ys, n, K, c.rule[2]);
      const dz = dy.map((d, r) => d.map((v, j) => (ys[r][j] > 0 ? v : 0)));
      const { gW, gb } = outer(
        layer,
        dz,
        passes.map((p) => p.xs[l]),
        1,
      );
      this.update(layer, gW, gb, eta);
    });
    this.headStep(hs, labels, eta / c.learningRate);
  }
}

export { ffLoss };
