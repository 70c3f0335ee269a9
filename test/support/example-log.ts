// Test support: a deterministic, plausible goodness log for the tests of the
// log tooling (summary, plots, dashboard, CLI) without a device run.
//
// Shape of a healthy FF run: per layer, positive goodness rises above the
// threshold and negative goodness falls below it, the loss decays, sparsity
// settles, evaluation accuracy climbs towards a ceiling. Deeper layers learn
// a little later. Values are noisy around these trends (seeded).
//
// Non-goal: realism beyond "reads like a run"; this is not a simulator.

import { Rng } from '../../host/sources/prng.js';
import type { EvalRecord, LinkRecord, LogRecord, MetaRecord, TrainRecord } from '../../host/logs/records.js';

export interface ExampleLogOptions {
  /** Training records (one per step); default 2000. */
  steps?: number;
  layers?: number;
  classes?: number;
  seed?: number;
  /** An eval record every this many steps; default steps / 10. */
  evalEvery?: number;
  /** A link record every this many steps; default steps / 4. */
  linkEvery?: number;
  /** Wall-clock start, ms since epoch; default 2024-01-01T00:00:00Z. */
  t0?: number;
  /** Goodness threshold theta (written to meta.config); default 2. */
  threshold?: number;
}

export function exampleLog(options: ExampleLogOptions = {}): LogRecord[] {
  const {
    steps = 2000,
    layers = 3,
    classes = 10,
    seed = 1,
    threshold = 2,
    evalEvery = Math.max(1, Math.round(steps / 10)),
    linkEvery = Math.max(1, Math.round(steps / 4)),
    t0 = Date.UTC(2024, 0, 1),
  } = options;
  const rng = new Rng(seed);
  const out: LogRecord[] = [];
  const meta: MetaRecord = {
    type: 'meta',
    t: t0,
    config: { algorithm: 'ff', layers: [784, ...Array.from({ length: layers }, () => 500)], threshold, learningRate: 0.03, seed },
    device: { runtime: 'example', arenaBytes: 1 << 20, protocol: 1 },
  };
  out.push(meta);
  let link: LinkRecord = { type: 'link', t: t0, framesDropped: 0, crcErrors: 0, retransmits: 0, duplicates: 0 };
  for (let step = 0; step < steps; step++) {
    const t = t0 + step * 5;
    const label = rng.int(classes);
    const progress = (l: number) => 1 - Math.exp(-(step / steps) * (5 - l));
    const layerRecords = Array.from({ length: layers }, (_, l) => {
      const p = progress(l);
      const gpos = threshold * (0.9 + 1.6 * p) + rng.normal() * 0.35;
      const gneg = threshold * (0.85 - 0.55 * p) + rng.normal() * 0.3;
      const loss = 0.7 * (1 - 0.75 * p) + rng.normal() * 0.04;
      const active = Math.min(1, Math.max(0, 0.5 - 0.25 * p + rng.normal() * 0.03));
      const hoyer = Math.min(1, Math.max(0, 0.2 + 0.35 * p + rng.normal() * 0.03));
      return { gpos, gneg: Math.max(0, gneg), loss: Math.max(0, loss), active, hoyer };
    });
    const accuracyNow = 0.1 + 0.85 * progress(0);
    const predicted = rng.float() < accuracyNow ? label : (label + 1 + rng.int(classes - 1)) % classes;
    const train: TrainRecord = { type: 'train', t, seq: step, step, label, layers: layerRecords, predicted };
    out.push(train);
    if ((step + 1) % evalEvery === 0) {
      const accuracy = Math.min(1, Math.max(0, 0.1 + 0.87 * progress(0) + rng.normal() * 0.01));
      const perClass = Array.from({ length: classes }, () => Math.min(1, Math.max(0, accuracy + rng.normal() * 0.03)));
      const ev: EvalRecord = { type: 'eval', t: t + 1, step: step + 1, accuracy, n: 2004, perClass };
      out.push(ev);
    }
    if ((step + 1) % linkEvery === 0) {
      link = {
        type: 'link',
        t: t + 2,
        framesDropped: link.framesDropped + rng.int(3),
        crcErrors: link.crcErrors + rng.int(2),
        retransmits: link.retransmits + rng.int(4),
        duplicates: link.duplicates + rng.int(2),
      };
      out.push(link);
    }
  }
  return out;
}
