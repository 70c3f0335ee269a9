// Training goodness summed up over N samples: one `train` record per N trained
// samples instead of one per sample (MQTT messages are not free on a fleet).
// Means per layer of positive / negative goodness and loss; a NaN or missing
// metric is left out of its mean (null when none was finite).

import type { TrainResult } from '../session/index.js';
import type { LayerMeans } from './topics.js';

export class GoodnessWindow {
  private sums: { gpos: number; gneg: number; loss: number; ngpos: number; ngneg: number; nloss: number }[] = [];
  private count = 0;
  private predicted = 0;
  private correct = 0;

  get size(): number {
    return this.count;
  }

  add(result: TrainResult): void {
    this.count++;
    if (result.prediction !== null && result.label >= 0) {
      this.predicted++;
      if (result.prediction === result.label) this.correct++;
    }
    if (!result.layers) return; // reply lost after training: counted, no metrics
    result.layers.forEach((layer, l) => {
      const s = (this.sums[l] ??= { gpos: 0, gneg: 0, loss: 0, ngpos: 0, ngneg: 0, nloss: 0 });
      if (Number.isFinite(layer.goodnessPositive)) {
        s.gpos += layer.goodnessPositive;
        s.ngpos++;
      }
      if (Number.isFinite(layer.goodnessNegative)) {
        s.gneg += layer.goodnessNegative;
        s.ngneg++;
      }
      if (Number.isFinite(layer.loss)) {
        s.loss += layer.loss;
        s.nloss++;
      }
    });
  }

  /** The means so far, and a fresh window. */
  take(): { n: number; layers: LayerMeans[]; accuracy: number | null } {
    const mean = (sum: number, n: number): number | null => (n > 0 ? sum / n : null);
    const out = {
      n: this.count,
      layers: this.sums.map((s) => ({ gpos: mean(s.gpos, s.ngpos), gneg: mean(s.gneg, s.ngneg), loss: mean(s.loss, s.nloss) })),
      accuracy: this.predicted > 0 ? this.correct / this.predicted : null,
    };
    this.sums = [];
    this.count = this.predicted = this.correct = 0;
    return out;
  }
}
