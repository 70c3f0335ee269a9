// Continual-learning metrics.
//
// Accuracy matrix and its summaries as Lopez-Paz & Ranzato 2017 (GEM, §2):
//   R[i][j] = accuracy on task j's held-out set after training tasks 0..i,
//   b[j]    = accuracy on task j of the freshly configured (untrained) model,
//   ACC = 1/T  sum_j R[T-1][j]
//   BWT = 1/(T-1) sum_{j<T-1} (R[T-1][j] - R[j][j])     (negative = forgetting)
//   FWT = 1/(T-1) sum_{j>=1}  (R[j-1][j] - b[j])
// BWT and FWT are null with one task, FWT also without b.
//
// Prequential ("test-then-train", progressive validation; Dawid 1984): the
// device predicts each streamed sample before training on it; the host scores
// those predictions overall and over a sliding window.
//
// Non-goals: confidence intervals, intransigence or other metrics beyond GEM.

export interface TaskEvalEntry {
  /** -1: before any training (b_j). */
  afterTask: number;
  task: number;
  accuracy: number;
}

export interface AccuracyMatrix {
  tasks: number;
  /** R[i][j]; null where that evaluation is missing (an interrupted run). */
  R: (number | null)[][];
  /** b[j]; null when the untrained model was not evaluated. */
  baseline: (number | null)[] | null;
}

/** Builds R (and b) from task-eval entries; `tasks` defaults to 1 + the largest index seen. */
export function accuracyMatrix(entries: Iterable<TaskEvalEntry>, tasks?: number): AccuracyMatrix {
  const list = Array.from(entries);
  const T = tasks ?? Math.max(0, ...list.map((e) => Math.max(e.afterTask, e.task) + 1));
  const R: (number | null)[][] = Array.from({ length: T }, () => new Array<number | null>(T).fill(null));
  let baseline: (number | null)[] | null = null;
  for (const e of list) {
    if (e.task < 0 || e.task >= T || e.afterTask >= T) throw new RangeError(`task-eval (${e.afterTask}, ${e.task}) is outside a ${T}-task matrix`);
    if (e.afterTask < 0) (baseline ??= new Array<number | null>(T).fill(null))[e.task] = e.accuracy;
    else R[e.afterTask]![e.task] = e.accuracy;
  }
  return { tasks: T, R, baseline };
}

export interface ContinualMetrics {
  acc: number;
  bwt: number | null;
  fwt: number | null;
}

const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

/** ACC, BWT, FWT of a complete T x T matrix (GEM eqs. 2-4). Throws on a missing entry. */
export function continualMetrics(R: readonly (readonly (number | null)[])[], baseline: readonly (number | null)[] | null = null): ContinualMetrics {
  const T = R.length;
  if (T === 0) throw new RangeError('the accuracy matrix has no tasks');
  const at = (i: number, j: number): number => {
    const v = R[i]?.[j];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`R[${i}][${j}] is missing: the scenario did not finish task ${i}`);
    return v;
  };
  const acc = mean(Array.from({ length: T }, (_, j) => at(T - 1, j)));
  if (T === 1) return { acc, bwt: null, fwt: null };
  const bwt = mean(Array.from({ length: T - 1 }, (_, j) => at(T - 1, j) - at(j, j)));
  let fwt: number | null = null;
  if (baseline && baseline.every((b) => typeof b === 'number')) {
    fwt = mean(Array.from({ length: T - 1 }, (_, k) => at(k, k + 1) - (baseline[k + 1] as number)));
  }
  return { acc, bwt, fwt };
}

/** Running prequential accuracy, overall and over the last `window` scored samples. */
export class PrequentialAccuracy {
  /** Samples scored (labelled, with a prediction). */
  n = 0;
  correct = 0;
  /** Labelled samples that came back without a prediction. */
  missing = 0;
  private readonly ring: Uint8Array;
  private filled = 0;
  private head = 0;
  private inWindow = 0;

  constructor(readonly window = 500) {
    if (!Number.isInteger(window) || window < 1) throw new TypeError(`window must be a positive integer, got ${window}`);
    this.ring = new Uint8Array(window);
  }

  /** Scores one sample; unlabelled samples (label < 0) are ignored. */
  add(prediction: number | null, label: number): void {
    if (label < 0) return;
    if (prediction === null) {
      this.missing++;
      return;
    }
    const hit = prediction === label ? 1 : 0;
    this.n++;
    this.correct += hit;
    if (this.filled === this.window) this.inWindow -= this.ring[this.head]!;
    else this.filled++;
    this.ring[this.head] = hit;
    this.inWindow += hit;
    this.head = (this.head + 1) % this.window;
  }

  get accuracy(): number | null {
    return this.n > 0 ? this.correct / this.n : null;
  }

  get windowAccuracy(): number | null {
    return this.filled > 0 ? this.inWindow / this.filled : null;
  }
}

export interface DetectionDelays {
  /** Per boundary (after the first): samples from it to the first alarm before the next boundary, null if none. */
  delays: (number | null)[];
  /** Alarms that are not the first within `horizon` samples after a boundary (nothing changed since the last one). */
  falseAlarms: number;
}

/** Matches drift alarms to the boundaries they follow: the first alarm within `horizon` samples after a boundary detects it; every other alarm is false. */
export function detectionDelays(boundaries: readonly number[], alarms: readonly number[], horizon = Infinity): DetectionDelays {
  const starts = [...boundaries].sort((a, b) => a - b).filter((b) => b > 0);
  const delays: (number | null)[] = starts.map(() => null);
  let falseAlarms = 0;
  for (const a of [...alarms].sort((x, y) => x - y)) {
    let k = -1;
    for (let i = 0; i < starts.length; i++) if (starts[i]! <= a) k = i;
    if (k >= 0 && a - starts[k]! <= horizon && delays[k] === null) delays[k] = a - starts[k]!;
    else falseAlarms++;
  }
  return { delays, falseAlarms };
}
