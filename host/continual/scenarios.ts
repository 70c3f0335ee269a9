// Continual-learning scenarios: one labelled dataset (any host source, held in
// memory) turned into a sequence of tasks, a training stream with each
// sample's task, a held-out set per task and the boundaries between tasks.
//
//   class-incremental  classes arrive in groups (MNIST 5 tasks x 2 digits; IMU one gesture per task)
//   domain-drift       the same classes; task k's samples pass through drift k (task 0 is clean);
//                      abrupt, or gradual over `gradual` samples (new-task samples mixed in with
//                      a probability rising linearly from 0 to 1, as MOA's gradual drift)
//   recurring          A -> B -> A: a two-task scenario (drift or class groups) with A again at the end
//   task-column        a file whose task/segment column splits it: segments in file order
//
// Deterministic: the stream, the held-out split and any noise depend only on
// the data and `seed` (sources/prng.ts). Samples of a task are visited in a
// seeded order (file segments: in file order), cycling with a fresh order when
// a task asks for more samples than it has.
//
// Non-goals: task-incremental heads (the model always predicts among all
// classes), unlabelled streams (scores need labels).

import { mixSeed, Rng, shuffledIndices } from '../sources/prng.js';
import type { PackedSamples, Sample } from '../sources/sample.js';
import { makeTransform, type DataLayout, type DriftSpec, type Transform } from './drift.js';

/** A labelled dataset in memory: training rows and held-out rows. */
export interface BaseData extends DataLayout {
  name: string;
  classes: number;
  classNames?: readonly string[];
  train: PackedSamples;
  eval: PackedSamples;
}

export interface ScenarioTask {
  name: string;
  /** Training samples this task streams. */
  trainCount: number;
  /** Held-out samples of this task (already transformed). */
  eval: PackedSamples;
  /** Classes present in the task's training rows. */
  classes: number[];
}

export interface ScenarioSample extends Sample {
  /** Task this sample was drawn from. */
  task: number;
  /** 0-based position in the stream. */
  index: number;
}

/** Task `task` starts at stream position `sample`; gradual: the mix is complete at `until`. */
export interface Boundary {
  sample: number;
  task: number;
  from: number | null;
  kind: 'abrupt' | 'gradual';
  name: string;
  until?: number;
}

export interface Scenario {
  name: string;
  description: string;
  inputSize: number;
  classes: number;
  classNames?: readonly string[];
  tasks: ScenarioTask[];
  boundaries: Boundary[];
  /** Samples in the whole stream. */
  length: number;
  /** A fresh pass over the stream (same every call). */
  stream(): Generator<ScenarioSample>;
}

export const SCENARIOS = ['class-incremental', 'domain-drift', 'recurring', 'task-column'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export class ScenarioError extends TypeError {
  override name = 'ScenarioError';
}

/** What a task trains on before the scenario orders it. */
interface TaskPlan {
  name: string;
  rows: PackedSamples;
  eval: PackedSamples;
  transform: Transform | null;
  /** 'shuffled': seeded order per pass; 'file': stored order. */
  order: 'shuffled' | 'file';
  count: number;
}

export function selectRows(p: PackedSamples, keep: (index: number, label: number) => boolean): PackedSamples {
  const picked: number[] = [];
  for (let i = 0; i < p.count; i++) if (keep(i, p.labels[i]!)) picked.push(i);
  const d = p.inputSize;
  const inputs = new Float32Array(picked.length * d);
  picked.forEach((r, k) => inputs.set(p.inputs.subarray(r * d, (r + 1) * d), k * d));
  return { count: picked.length, inputSize: d, inputs, labels: Int32Array.from(picked, (r) => p.labels[r]!) };
}

function mapRows(p: PackedSamples, transform: Transform | null, seed: number): PackedSamples {
  if (!transform) return p;
  const d = p.inputSize;
  const inputs = new Float32Array(p.count * d);
  for (let i = 0; i < p.count; i++) inputs.set(transform(p.inputs.slice(i * d, (i + 1) * d), new Rng(mixSeed(seed, i))), i * d);
  return { ...p, inputs };
}

const classesOf = (p: PackedSamples): number[] => [...new Set(p.labels)].filter((l) => l >= 0).sort((a, b) => a - b);

/** One task's samples, `count` of them, in its order, cycling with a new order per pass. */
function* taskSamples(plan: TaskPlan, seed: number, task: number): Generator<Sample> {
  const { rows } = plan;
  if (rows.count === 0) throw new ScenarioError(`task ${plan.name} has no training samples`);
  const d = rows.inputSize;
  for (let pass = 0, given = 0; given < plan.count; pass++) {
    const order = plan.order === 'file' ? null : shuffledIndices(rows.count, mixSeed(seed, task, pass));
    for (let k = 0; k < rows.count && given < plan.count; k++, given++) {
      const r = order ? order[k]! : k;
      let inputs: Float32Array = rows.inputs.slice(r * d, (r + 1) * d);
      if (plan.transform) inputs = plan.transform(inputs, new Rng(mixSeed(seed, task, 0x4015e, given)));
      yield { inputs, label: rows.labels[r]! };
    }
  }
}

function assemble(name: string, description: string, base: BaseData, plans: TaskPlan[], seed: number, gradual: number): Scenario {
  if (plans.length === 0) throw new ScenarioError(`scenario ${name} has no tasks`);
  if (!Number.isInteger(gradual) || gradual < 0) throw new ScenarioError(`gradual must be a whole number of samples >= 0, got ${gradual}`);
  const boundaries: Boundary[] = [];
  let at = 0;
  plans.forEach((p, k) => {
    if (gradual > 0 && k > 0 && gradual >= p.count) {
      throw new ScenarioError(`a gradual drift over ${gradual} samples needs tasks longer than that; task ${p.name} has ${p.count}`);
    }
    const kind = gradual > 0 && k > 0 ? 'gradual' : 'abrupt';
    boundaries.push({ sample: at, task: k, from: k > 0 ? k - 1 : null, kind, name: p.name, ...(kind === 'gradual' ? { until: at + gradual } : {}) });
    at += p.count;
  });
  const tasks: ScenarioTask[] = plans.map((p) => ({ name: p.name, trainCount: p.count, eval: p.eval, classes: classesOf(p.rows) }));
  return {
    name,
    description,
    inputSize: base.inputSize,
    classes: base.classes,
    ...(base.classNames ? { classNames: base.classNames } : {}),
    tasks,
    boundaries,
    length: at,
    *stream() {
      let index = 0;
      // During a gradual transition the previous task keeps streaming from where it stopped.
      let previous: Generator<Sample> | null = null;
      for (let k = 0; k < plans.length; k++) {
        const current = taskSamples({ ...plans[k]!, count: Infinity }, seed, k);
        const mix = new Rng(mixSeed(seed, 0x6a0d, k));
        for (let i = 0; i < plans[k]!.count; i++) {
          const old = previous !== null && i < gradual && mix.float() >= (i + 1) / (gradual + 1);
          const next = (old ? previous! : current).next();
          if (next.done) throw new ScenarioError(`task ${plans[k]!.name} ended early`);
          yield { ...next.value, task: old ? k - 1 : k, index: index++ };
        }
        previous = gradual > 0 ? current : null;
      }
    },
  };
}

/** "0,1/2,3" -> [[0,1],[2,3]]; class names are accepted too. */
export function parseTaskGroups(text: string, classes: number, classNames?: readonly string[]): number[][] {
  const groups = text.split(/[/;]/).map((g) =>
    g
      .split(/[,\s]+/)
      .filter(Boolean)
      .map((c) => {
        const named = classNames?.indexOf(c) ?? -1;
        const k = named >= 0 ? named : Number(c);
        if (!Number.isInteger(k) || k < 0 || k >= classes) {
          throw new ScenarioError(`--tasks: ${JSON.stringify(c)} is not a class (0..${classes - 1}${classNames ? ` or ${classNames.join(', ')}` : ''})`);
        }
        return k;
      }),
  );
  if (groups.some((g) => g.length === 0)) throw new ScenarioError(`--tasks ${JSON.stringify(text)} has an empty task; write class groups as 0,1/2,3/4`);
  const seen = new Set<number>();
  for (const k of groups.flat()) {
    if (seen.has(k)) throw new ScenarioError(`--tasks: class ${k} is in two tasks`);
    seen.add(k);
  }
  return groups;
}

/** Classes 0..C-1 (or a seeded shuffle of them) in groups of `perTask`. */
export function defaultTaskGroups(classes: number, perTask: number, shuffleSeed: number | null = null): number[][] {
  if (!Number.isInteger(perTask) || perTask < 1) throw new ScenarioError(`classes per task must be a positive integer, got ${perTask}`);
  const order = shuffleSeed === null ? Array.from({ length: classes }, (_, i) => i) : Array.from(shuffledIndices(classes, shuffleSeed));
  const groups: number[][] = [];
  for (let i = 0; i < classes; i += perTask) groups.push(order.slice(i, i + perTask));
  return groups;
}

export interface CommonScenarioOptions {
  seed: number;
  /** Training samples per task; default: each task's rows once. */
  samplesPerTask?: number;
}

const className = (base: BaseData, k: number): string => base.classNames?.[k] ?? String(k);

export function classIncremental(base: BaseData, groups: number[][], o: CommonScenarioOptions): Scenario {
  const plans = groups.map((g): TaskPlan => {
    const set = new Set(g);
    const rows = selectRows(base.train, (_, l) => set.has(l));
    if (rows.count === 0) throw new ScenarioError(`task {${g.map((k) => className(base, k)).join(', ')}} has no training samples in ${base.name}`);
    return {
      name: g.map((k) => className(base, k)).join('+'),
      rows,
      eval: selectRows(base.eval, (_, l) => set.has(l)),
      transform: null,
      order: 'shuffled',
      count: o.samplesPerTask ?? rows.count,
    };
  });
  return assemble(
    'class-incremental',
    `${base.name}: ${groups.length} tasks of classes ${plans.map((p) => `{${p.name}}`).join(' -> ')}`,
    base,
    plans,
    o.seed,
    0,
  );
}

/** Task 0 clean, task k under drifts[k-1]; each task trains on its own disjoint slice of the training rows. */
export function domainDrift(base: BaseData, drifts: DriftSpec[], o: CommonScenarioOptions & { gradual?: number; recurring?: boolean }): Scenario {
  if (drifts.length === 0) throw new ScenarioError('domain-drift needs at least one --drift, e.g. gain:2 or rotate:30');
  const conditions: { name: string; transform: Transform | null }[] = [
    { name: 'clean', transform: null },
    ...drifts.map((d, k) => ({ name: d.text, transform: makeTransform(d, base, mixSeed(o.seed, 0x9e53, k)) })),
  ];
  if (o.recurring) {
    if (drifts.length !== 1) throw new ScenarioError('recurring (A -> B -> A) takes exactly one --drift for B');
    conditions.push(conditions[0]!);
  }
  const T = conditions.length;
  const order = shuffledIndices(base.train.count, mixSeed(o.seed, 0x511ce));
  const slice = Math.floor(base.train.count / T);
  if (slice === 0) throw new ScenarioError(`${base.name} has ${base.train.count} training samples, too few for ${T} tasks`);
  const evalFor = new Map<Transform | null, PackedSamples>();
  const plans = conditions.map((c, k): TaskPlan => {
    const mine = new Set(Array.from(order.subarray(k * slice, (k + 1) * slice)));
    if (!evalFor.has(c.transform)) evalFor.set(c.transform, mapRows(base.eval, c.transform, mixSeed(o.seed, 0xe7a1, k)));
    return {
      name: k === T - 1 && o.recurring ? 'clean (again)' : c.name,
      rows: selectRows(base.train, (i) => mine.has(i)),
      eval: evalFor.get(c.transform)!,
      transform: c.transform,
      order: 'shuffled',
      count: o.samplesPerTask ?? slice,
    };
  });
  const how = (o.gradual ?? 0) > 0 ? `gradual over ${o.gradual} samples` : 'abrupt';
  return assemble(
    o.recurring ? 'recurring' : 'domain-drift',
    `${base.name}: ${plans.map((p) => p.name).join(' -> ')} (${how})`,
    base,
    plans,
    o.seed,
    o.gradual ?? 0,
  );
}

/** A -> B -> A over class groups: [A, B] trained, then A again (a fresh pass, the same held-out set). */
export function recurringClasses(base: BaseData, groups: number[][], o: CommonScenarioOptions): Scenario {
  if (groups.length !== 2) throw new ScenarioError(`recurring over classes takes two groups (A/B), e.g. --tasks 0,1/2,3; got ${groups.length}`);
  const two = classIncremental(base, groups, o);
  const set = new Set(groups[0]);
  const rows = selectRows(base.train, (_, l) => set.has(l));
  const plans: TaskPlan[] = [...groups, groups[0]!].map((g, k) => {
    const s = new Set(g);
    const r = k === 2 ? rows : selectRows(base.train, (_, l) => s.has(l));
    return {
      name: two.tasks[k % 2]!.name + (k === 2 ? ' (again)' : ''),
      rows: r,
      eval: two.tasks[k % 2]!.eval,
      transform: null,
      order: 'shuffled',
      count: o.samplesPerTask ?? r.count,
    };
  });
  return assemble('recurring', `${base.name}: ${plans.map((p) => `{${p.name}}`).join(' -> ')}`, base, plans, o.seed, 0);
}

/**
 * Segments of a file by its task column (`tasks[i]` = task value of row i):
 * each run of equal values is a task, in file order; `holdout` of each value's
 * rows (seeded) is its held-out set, shared by segments with the same value.
 */
export function taskColumn(
  base: Omit<BaseData, 'train' | 'eval'> & { rows: PackedSamples },
  tasks: readonly string[],
  o: { seed: number; holdout?: number },
): Scenario {
  const { rows } = base;
  if (tasks.length !== rows.count) throw new ScenarioError(`task column has ${tasks.length} values for ${rows.count} rows`);
  const holdout = o.holdout ?? 0.2;
  if (!(holdout >= 0 && holdout < 1)) throw new ScenarioError(`holdout must be in [0, 1), got ${holdout}`);
  const values = [...new Set(tasks)];
  const held = new Set<number>();
  const evals = new Map<string, PackedSamples>();
  values.forEach((v, k) => {
    const mine = tasks.flatMap((t, i) => (t === v ? [i] : []));
    const order = shuffledIndices(mine.length, mixSeed(o.seed, 0x7a5c, k));
    const cut = Math.round(mine.length * holdout);
    const out = new Set(Array.from(order.subarray(0, cut), (j) => mine[j]!));
    for (const i of out) held.add(i);
    evals.set(
      v,
      selectRows(rows, (i) => out.has(i)),
    );
  });
  const plans: TaskPlan[] = [];
  for (let i = 0; i < rows.count;) {
    let j = i;
    while (j < rows.count && tasks[j] === tasks[i]) j++;
    const from = i,
      to = j;
    const seg = selectRows(rows, (r) => r >= from && r < to && !held.has(r));
    const again = plans.some((p) => p.name === tasks[from]);
    if (seg.count > 0)
      plans.push({
        name: tasks[from]! + (again ? ' (again)' : ''),
        rows: seg,
        eval: evals.get(tasks[from]!)!,
        transform: null,
        order: 'file',
        count: seg.count,
      });
    i = j;
  }
  const data: BaseData = { ...base, train: rows, eval: rows };
  return assemble('task-column', `${base.name}: ${plans.length} segments by task column (${values.length} distinct tasks)`, data, plans, o.seed, 0);
}
