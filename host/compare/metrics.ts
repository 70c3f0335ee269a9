// Representation metrics for comparing learning rules (papers/000, 004),
// computed on the host from hidden activities read with Learner.represent():
//
//  * active fraction: share of units with activity > 0, averaged over samples;
//  * Hoyer sparseness per sample, (sqrt(n) - |x|_1/|x|_2) / (sqrt(n) - 1):
//    0 for a flat vector, 1 for a single active unit (an all-zero vector
//    counts as 1, as the learner's stats do), averaged over samples;
//  * class-ensemble overlap: each class's ensemble is the k units with the
//    highest mean activity on that class (k = 10% of the layer by default);
//    overlap is |E_a n E_b| / k averaged over class pairs: 0 when every class
//    has its own units, 1 when all classes use the same ones; random sets give
//    about k / n. Low overlap = category-specific ensembles (papers/000);
//  * linear CKA (Kornblith et al. 2019) between two layers' activities on the
//    same samples: |Y^T X|_F^2 / (|X^T X|_F |Y^T Y|_F), columns centred;
//    1 for representations equal up to rotation and scale, near 0 for
//    unrelated ones (papers/004 compares rules this way).
//
// Non-goals: RSA with other distances, kernel CKA, statistics across seeds.

/** n samples x width activities, row-major. */
export interface Activity {
  readonly count: number;
  readonly width: number;
  readonly values: Float32Array | Float64Array;
}

export function activity(rows: ArrayLike<number>[]): Activity {
  const count = rows.length;
  if (count === 0) throw new TypeError('activity needs at least one sample');
  const width = rows[0].length;
  const values = new Float64Array(count * width);
  rows.forEach((r, i) => {
    if (r.length !== width) throw new TypeError(`sample ${i} has ${r.length} units, sample 0 has ${width}`);
    for (let j = 0; j < width; j++) values[i * width + j] = r[j];
  });
  return { count, width, values };
}

export function activeFraction(a: Activity): number {
  let on = 0;
  for (let i = 0; i < a.values.length; i++) if (a.values[i] > 0) on++;
  return on / a.values.length;
}

export function hoyer(a: Activity): number {
  const n = a.width;
  if (n < 2) return 1;
  const root = Math.sqrt(n);
  let total = 0;
  for (let s = 0; s < a.count; s++) {
    let l1 = 0,
      l2 = 0;
    for (let j = 0; j < n; j++) {
      const v = a.values[s * n + j];
      l1 += Math.abs(v);
      l2 += v * v;
    }
    total += l2 > 0 ? (root - l1 / Math.sqrt(l2)) / (root - 1) : 1;
  }
  return total / a.count;
}

/** Mean activity of each unit per class: classes x width. */
export function classMeans(a: Activity, labels: ArrayLike<number>, classes: number): Float64Array[] {
  if (labels.length !== a.count) throw new TypeError(`labels has ${labels.length} entries for ${a.count} samples`);
  const sums = Array.from({ length: classes }, () => new Float64Array(a.width));
  const counts = new Array<number>(classes).fill(0);
  for (let s = 0; s < a.count; s++) {
    const c = labels[s];
    counts[c]++;
    for (let j = 0; j < a.width; j++) sums[c][j] += a.values[s * a.width + j];
  }
  return sums.map((m, c) => m.map((v) => (counts[c] ? v / counts[c] : 0)));
}

/** The k units with the highest value, ties to the lower index. */
function topUnits(values: Float64Array, k: number): Set<number> {
  const order = Array.from(values.keys()).sort((x, y) => values[y] - values[x] || x - y);
  return new Set(order.slice(0, k));
}

/** Mean pairwise overlap of the classes' top-k ensembles (see the top of the file). */
export function ensembleOverlap(a: Activity, labels: ArrayLike<number>, classes: number, fraction = 0.1): number {
  if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`fraction must be in (0, 1], got ${fraction}`);
  const k = Math.max(1, Math.round(fraction * a.width));
  const seen = new Set(Array.from(labels));
  const ensembles = classMeans(a, labels, classes)
    .map((m, c) => (seen.has(c) ? topUnits(m, k) : null))
    .filter((e) => e !== null) as Set<number>[];
  let total = 0,
    pairs = 0;
  for (let x = 0; x < ensembles.length; x++) {
    for (let y = x + 1; y < ensembles.length; y++) {
      let shared = 0;
      for (const u of ensembles[x]) if (ensembles[y].has(u)) shared++;
      total += shared / k;
      pairs++;
    }
  }
  return pairs ? total / pairs : NaN;
}

/** Columns centred, as a dense float64 copy. */
function centred(a: Activity): Float64Array {
  const { count, width } = a;
  const out = Float64Array.from(a.values);
  for (let j = 0; j < width; j++) {
    let mean = 0;
    for (let s = 0; s < count; s++) mean += out[s * width + j];
    mean /= count;
    for (let s = 0; s < count; s++) out[s * width + j] -= mean;
  }
  return out;
}

/** |A^T B|_F^2 for centred n x p and n x q matrices. */
function crossNorm(A: Float64Array, p: number, B: Float64Array, q: number, n: number): number {
  let total = 0;
  const column = new Float64Array(q);
  for (let i = 0; i < p; i++) {
    column.fill(0);
    for (let s = 0; s < n; s++) {
      const v = A[s * p + i];
      if (v === 0) continue;
      const row = s * q;
      for (let j = 0; j < q; j++) column[j] += v * B[row + j];
    }
    for (let j = 0; j < q; j++) total += column[j] * column[j];
  }
  return total;
}

/** Linear CKA of two activities on the same samples, in [0, 1]; NaN if either is constant. */
export function linearCka(x: Activity, y: Activity): number {
  if (x.count !== y.count) throw new TypeError(`CKA needs the same samples: ${x.count} vs ${y.count}`);
  const X = centred(x),
    Y = centred(y),
    n = x.count;
  const xy = crossNorm(X, x.width, Y, y.width, n);
  const xx = crossNorm(X, x.width, X, x.width, n);
  const yy = crossNorm(Y, y.width, Y, y.width, n);
  return xx > 0 && yy > 0 ? xy / Math.sqrt(xx * yy) : NaN;
}
