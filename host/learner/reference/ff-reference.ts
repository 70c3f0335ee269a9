// A plain reference of the FF learner (assembly/learner/*), in float64 with
// ordinary arrays: one function per equation, no buffers shared, no tricks.
// Tests hold the wasm learner to it within a tolerance (test/learner-vs-reference.test.ts)
// and use its loss functions for finite-difference checks of the local
// gradients. It draws random numbers in the same order as the wasm learner,
// so both start from the same weights and pick the same negative labels.
//
// Non-goals: speed; the SIMD or fused orderings of the fast kernels.

import { Xoshiro128 } from './prng.js';
import { resolveConfig, type LearnerConfig, type ResolvedConfig } from '../config.js';

export type Vector = Float64Array;

export interface DenseLayer {
  /** out x in, row-major. */
  W: Float64Array;
  b: Float64Array;
  nIn: number;
  nOut: number;
}

/** x / (sqrt(mean x^2) + 1e-8) (Hinton 2022, sec. 2). */
export function normalize(x: ArrayLike<number>): Vector {
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += x[i] * x[i];
  const inv = 1 / (Math.sqrt(ss / x.length) + 1e-8);
  return Float64Array.from(x, (v) => v * inv);
}

export function reluForward(layer: DenseLayer, x: Vector): Vector {
  const y = new Float64Array(layer.nOut);
  for (let j = 0; j < layer.nOut; j++) {
    let acc = 0;
    for (let i = 0; i < layer.nIn; i++) acc += layer.W[j * layer.nIn + i] * x[i];
    y[j] = Math.max(acc + layer.b[j], 0);
  }
  return y;
}

export function goodness(y: Vector, kind: ResolvedConfig['goodness']): number {
  let g = 0;
  for (const v of y) g += v * v;
  return kind === 'mean-squares' ? g / y.length : g;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const softplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

/** FF loss of one row: softplus(-(G - theta)/T) positive, softplus((G - theta)/T) negative. */
export function ffLoss(g: number, positive: boolean, theta: number, T: number): number {
  const logit = (g - theta) / T;
  return softplus(positive ? -logit : logit);
}

export interface ReferenceStats {
  goodnessPositive: number;
  goodnessNegative: number;
  loss: number;
  active: number;
  hoyer: number;
  peerPenalty: number;
}

/** The FF learner, plainly. Parameters in the wasm's order: layers (W, b), then head (W, b). */
export class ReferenceFF {
  readonly config: ResolvedConfig;
  readonly layers: DenseLayer[] = [];
  readonly head: DenseLayer | null = null;
  /** Optimizer state per parameter array: m (or velocity) and v. */
  protected state = new Map<Float64Array, [Float64Array, Float64Array]>();
  private peer: Float64Array[] = [];
  protected rng: Xoshiro128;
  protected t = 0;
  private previous: Vector | null = null;
  lastStats: ReferenceStats[] = [];
  lastHeadLoss = 0;
  /** Labels trained so far (config.seenLabelsOnly; assembly/learner/seen-labels.ts). */
  readonly seen = new Set<number>();

  constructor(config: LearnerConfig) {
    const c = (this.config = resolveConfig(config));
    this.rng = new Xoshiro128(c.seed);
    const hybrid = c.negatives === 'hybrid';
    let nIn = c.inputSize + (!hybrid && c.overlay === 'prepend' ? c.classes : 0);
    for (const nOut of c.layers) {
      const layer = { W: new Float64Array(nIn * nOut), b: new Float64Array(nOut), nIn, nOut };
      this.uniform(layer.W, nIn);
      this.uniform(layer.b, nIn);
      this.layers.push(layer);
      this.peer.push(new Float64Array(nOut));
      nIn = nOut;
    }
    if (c.softmaxHead) {
      const hIn = c.layers.slice(this.firstScored).reduce((a, b) => a + b, 0);
      const head = { W: new Float64Array(hIn * c.classes), b: new Float64Array(c.classes), nIn: hIn, nOut: c.classes };
      this.uniform(head.W, hIn);
      this.uniform(head.b, hIn);
      this.head = head;
    }
  }

  get firstScored(): number {
    return this.config.skipFirstLayer && this.config.layers.length > 1 ? 1 : 0;
  }

  protected uniform(p: Float64Array, fanIn: number): void {
    const a = Math.fround(1 / Math.fround(Math.sqrt(fanIn)));
    for (let i = 0; i < p.length; i++) p[i] = Math.fround((2 * this.rng.nextUnit() - 1) * a);
  }

  /** All parameters in the wasm's layout. */
  parameters(): Float64Array {
    const parts: Float64Array[] = [];
    for (const l of this.layers) parts.push(l.W, l.b);
    if (this.head) parts.push(this.head.W, this.head.b);
    const out = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  /** First-layer input: label one-hot (or neutral 1/C) replacing or before the inputs. */
  labelledInput(input: ArrayLike<number>, label: number): Vector {
    const c = this.config;
    if (c.negatives === 'hybrid') return Float64Array.from(input);
    const C = c.classes;
    const one = (k: number) => (label < 0 ? c.overlayValue / C : k === label ? c.overlayValue : 0);
    const x = new Float64Array(c.overlay === 'prepend' ? input.length + C : input.length);
    if (c.overlay === 'prepend') x.set(Array.from(input), C);
    else x.set(Array.from(input));
    for (let k = 0; k < C; k++) x[k] = one(k);
    return x;
  }

  /** Per layer: normalised input x_l and activity y_l. */
  forward(first: Vector): { xs: Vector[]; ys: Vector[] } {
    const xs: Vector[] = [],
      ys: Vector[] = [];
    let a: Vector = first;
    for (const layer of this.layers) {
      const x = normalize(a);
      const y = reluForward(layer, x);
      xs.push(x);
      ys.push(y);
      a = y;
    }
    return { xs, ys };
  }

  /** Summed goodness of the scored layers for each candidate label. */
  goodnessScores(input: ArrayLike<number>): number[] {
    const scores: number[] = [];
    for (let c = 0; c < this.config.classes; c++) {
      const { ys } = this.forward(this.labelledInput(input, c));
      let total = 0;
      for (let l = this.firstScored; l < ys.length; l++) total += goodness(ys[l], this.config.goodness);
      scores.push(total);
    }
    return scores;
  }

  headInput(ys: Vector[]): Vector {
    const parts = ys.slice(this.firstScored).map((y) => normalize(y));
    const h = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
    let at = 0;
    for (const p of parts) {
      h.set(p, at);
      at += p.length;
    }
    return h;
  }

  headProbabilities(h: Vector): Vector {
    const head = this.head!;
    const z = new Float64Array(head.nOut);
    for (let c = 0; c < head.nOut; c++) {
      let acc = 0;
      for (let i = 0; i < head.nIn; i++) acc += head.W[c * head.nIn + i] * h[i];
      z[c] = acc + head.b[c];
    }
    const top = Math.max(...z);
    const e = z.map((v) => Math.exp(v - top));
    const sum = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / sum);
  }

  predict(input: ArrayLike<number>, mode: 'goodness' | 'head'): { label: number; scores: number[] } {
    const scores =
      mode === 'goodness' ? this.goodnessScores(input) : Array.from(this.headProbabilities(this.headInput(this.forward(this.labelledInput(input, -1)).ys)));
    // seenLabelsOnly: the best seen label (all before any is seen); the head is not masked.
    const masked = mode === 'goodness' && this.config.seenLabelsOnly && this.seen.size > 0;
    let best = -1;
    for (let c = 0; c < scores.length; c++) {
      if (masked && !this.seen.has(c)) continue;
      if (best < 0 || scores[c] > scores[best]) best = c;
    }
    return { label: best, scores };
  }

  private wrongLabel(input: ArrayLike<number>, label: number): number {
    const c = this.config;
    // seenLabelsOnly: only seen labels other than the true one, once there is one.
    const others = c.seenLabelsOnly ? [...this.seen].filter((k) => k !== label && k < c.classes).sort((a, b) => a - b) : [];
    const allowed = (k: number) => k !== label && (others.length === 0 || others.includes(k));
    if (c.negatives === 'random') {
      if (others.length > 0) return others[this.rng.nextBelow(others.length)];
      return (label + 1 + this.rng.nextBelow(c.classes - 1)) % c.classes;
    }
    const scores = this.goodnessScores(input);
    let top = -Infinity;
    scores.forEach((s, k) => {
      if (allowed(k)) top = Math.max(top, s);
    });
    const w = scores.map((s, k) => (allowed(k) ? Math.exp((s - top) / c.temperature) : 0));
    let pick = this.rng.nextUnit() * w.reduce((a, b) => a + b, 0);
    for (let k = 0; k < w.length; k++) {
      if (!allowed(k)) continue;
      pick -= w[k];
      if (pick < 0) return k;
    }
    for (let k = c.classes - 1; k >= 0; k--) if (allowed(k)) return k;
    return label === c.classes - 1 ? c.classes - 2 : c.classes - 1;
  }

  /** Blurred, thresholded random mask (Hinton 2022, sec. 3.2). */
  mask(): Vector {
    const W = this.config.imageWidth,
      H = this.config.imageHeight;
    let m = new Float64Array(W * H);
    for (let i = 0; i < m.length; i++) m[i] = this.rng.nextUnit() < 0.5 ? 0 : 1;
    const blur = (src: Vector, horizontal: boolean) => {
      const out = new Float64Array(src.length);
      for (let r = 0; r < H; r++)
        for (let c = 0; c < W; c++) {
          const at = (rr: number, cc: number) => src[Math.min(Math.max(rr, 0), H - 1) * W + Math.min(Math.max(cc, 0), W - 1)];
          out[r * W + c] = horizontal ? 0.25 * at(r, c - 1) + 0.5 * at(r, c) + 0.25 * at(r, c + 1) : 0.25 * at(r - 1, c) + 0.5 * at(r, c) + 0.25 * at(r + 1, c);
        }
      return out;
    };
    for (let pass = 0; pass < 6; pass++) m = blur(blur(m, true), false);
    return m.map((v) => (v > 0.5 ? 1 : 0));
  }

  private hybrid(a: ArrayLike<number>, b: ArrayLike<number> | null): Vector {
    const m = this.mask();
    const n = a.length;
    const other = b ?? this.previous ?? Float64Array.from({ length: n }, (_, i) => a[n - 1 - i]);
    const out = Float64Array.from({ length: n }, (_, i) => m[i] * a[i] + (1 - m[i]) * other[i]);
    if (!b) this.previous = Float64Array.from(a);
    return out;
  }

  /**
   * dL/dz of layer l for rows ys (pos rows first), including peer
   * normalisation on positive rows; updates the running means. Returns
   * dz per row and the stats.
   */
  layerGradients(l: number, ys: Vector[], n: number): { dz: Vector[]; stats: ReferenceStats } {
    const c = this.config;
    const nOut = this.layers[l].nOut;
    const slope = c.goodness === 'mean-squares' ? 2 / nOut : 2;
    let peerGrad: Vector | null = null;
    let peerPenalty = 0;
    if (c.peerWeight > 0) {
      const m = this.peer[l];
      for (let j = 0; j < nOut; j++) {
        let sum = 0;
        for (let r = 0; r < n; r++) sum += ys[r][j];
        m[j] = c.peerMomentum * m[j] + (1 - c.peerMomentum) * (sum / n);
      }
      const mean = m.reduce((a, b) => a + b, 0) / nOut;
      peerGrad = m.map((v) => c.peerWeight * 2 * (v - mean) * (1 - c.peerMomentum));
      peerPenalty = c.peerWeight * m.reduce((a, v) => a + (v - mean) ** 2, 0);
    }
    const stats: ReferenceStats = { goodnessPositive: 0, goodnessNegative: 0, loss: 0, active: 0, hoyer: 0, peerPenalty };
    const gs = ys.map((y) => goodness(y, c.goodness));
    const dz = ys.map((y, r) => {
      const positive = r < n;
      const g = gs[r];
      let dLdG: number;
      if (c.loss === 'symba') {
        // one loss per pair (Lee & Song 2023)
        const delta = positive ? g - gs[r + n] : gs[r - n] - g;
        if (positive) stats.loss += softplus(-delta / c.temperature) / n;
        const s = sigmoid(-delta / c.temperature) / c.temperature;
        dLdG = positive ? -s : s;
      } else {
        stats.loss += ffLoss(g, positive, c.threshold, c.temperature) / n;
        const p = sigmoid((g - c.threshold) / c.temperature);
        dLdG = positive ? -(1 - p) / c.temperature : p / c.temperature;
      }
      if (positive) {
        stats.goodnessPositive += g / n;
        let l1 = 0,
          l2 = 0,
          on = 0;
        for (const v of y) {
          l1 += v;
          l2 += v * v;
          if (v > 0) on++;
        }
        stats.active += on / nOut / n;
        stats.hoyer += (l2 > 0 && nOut > 1 ? (Math.sqrt(nOut) - l1 / Math.sqrt(l2)) / (Math.sqrt(nOut) - 1) : 1) / n;
      } else {
        stats.goodnessNegative += g / n;
      }
      return y.map((v, j) => (v > 0 ? dLdG * slope * v + (positive && peerGrad ? peerGrad[j] : 0) : 0));
    });
    return { dz, stats };
  }

  /** Linear cooldown: 1 -> finalRate over decaySteps completed steps, then flat. */
  rateScale(): number {
    const c = this.config;
    if (c.decaySteps === 0) return 1;
    if (this.t >= c.decaySteps) return c.finalRate;
    return 1 - (1 - c.finalRate) * (this.t / c.decaySteps);
  }

  /** One optimizer step on p with gradient g. */
  protected apply(p: Float64Array, g: ArrayLike<number>, eta: number): void {
    const c = this.config;
    let s = this.state.get(p);
    if (!s) this.state.set(p, (s = [new Float64Array(p.length), new Float64Array(p.length)]));
    const [m, v] = s;
    if (c.optimizer === 'adam') {
      const c2 = Math.sqrt(1 - c.beta2 ** this.t);
      const step = (eta * c2) / (1 - c.beta1 ** this.t);
      const eps = 1e-8 * c2;
      for (let i = 0; i < p.length; i++) {
        m[i] = c.beta1 * m[i] + (1 - c.beta1) * g[i];
        v[i] = c.beta2 * v[i] + (1 - c.beta2) * g[i] * g[i];
        p[i] = p[i] - (step * m[i]) / (Math.sqrt(v[i]) + eps) - eta * c.weightDecay * p[i];
      }
    } else {
      for (let i = 0; i < p.length; i++) {
        m[i] = c.beta1 * m[i] + g[i];
        p[i] = p[i] - eta * m[i] - eta * c.weightDecay * p[i];
      }
    }
  }

  /** Mean over pairs of dz (x) x: the gradient of layer l's W and b. */
  static gradients(layer: DenseLayer, dz: Vector[], xs: Vector[], n: number): { gW: Float64Array; gb: Float64Array } {
    const gW = new Float64Array(layer.W.length),
      gb = new Float64Array(layer.nOut);
    dz.forEach((d, r) => {
      for (let j = 0; j < layer.nOut; j++) {
        gb[j] += d[j] / n;
        for (let i = 0; i < layer.nIn; i++) gW[j * layer.nIn + i] += (d[j] / n) * xs[r][i];
      }
    });
    return { gW, gb };
  }

  /**
   * The first-layer rows of one training step: n positive rows, then n
   * negative rows (drawing negatives from the PRNG as the wasm does).
   */
  stepRows(inputs: ArrayLike<number>[], labels: number[]): Vector[] {
    const c = this.config;
    const n = inputs.length;
    const hybrid = c.negatives === 'hybrid';
    if (c.seenLabelsOnly) labels.forEach((l) => this.seen.add(l));
    const negLabels = hybrid ? [] : inputs.map((x, b) => this.wrongLabel(x, labels[b]));
    const rows: Vector[] = [];
    inputs.forEach((x, b) => rows.push(this.labelledInput(x, hybrid ? -1 : labels[b])));
    inputs.forEach((x, b) => rows.push(hybrid ? this.hybrid(x, n > 1 ? inputs[(b + 1) % n] : null) : this.labelledInput(x, negLabels[b])));
    return rows;
  }

  /** One training step on samples (inputs[b], labels[b]). */
  train(inputs: ArrayLike<number>[], labels: number[]): void {
    const c = this.config;
    const n = inputs.length;
    const passes = this.stepRows(inputs, labels).map((r) => this.forward(r));
    const scale = this.rateScale();
    this.t++;
    this.lastStats = [];
    this.layers.forEach((layer, l) => {
      const { dz, stats } = this.layerGradients(
        l,
        passes.map((p) => p.ys[l]),
        n,
      );
      const { gW, gb } = ReferenceFF.gradients(
        layer,
        dz,
        passes.map((p) => p.xs[l]),
        n,
      );
      this.apply(layer.W, gW, c.learningRate * scale);
      this.apply(layer.b, gb, c.learningRate * scale);
      this.lastStats.push(stats);
    });
    this.lastHeadLoss = 0;
    if (this.head) {
      const head = this.head;
      const labelled = inputs.map((x, b) => [x, labels[b]] as const).filter(([, y]) => y >= 0);
      if (labelled.length > 0) {
        const dz: Vector[] = [],
          hs: Vector[] = [];
        let loss = 0;
        for (const [x, y] of labelled) {
          const h = this.headInput(this.forward(this.labelledInput(x, -1)).ys);
          const p = this.headProbabilities(h);
          loss -= Math.log(Math.max(p[y], 1e-30));
          p[y] -= 1;
          dz.push(p);
          hs.push(h);
        }
        const { gW, gb } = ReferenceFF.gradients(head, dz, hs, labelled.length);
        this.apply(head.W, gW, c.headLearningRate * scale);
        this.apply(head.b, gb, c.headLearningRate * scale);
        this.lastHeadLoss = loss / labelled.length;
      }
    }
  }
}
