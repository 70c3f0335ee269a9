// Plain reference of the device's Page-Hinkley detector
// (assembly/learner/drift.ts), every operation rounded to f32 with
// Math.fround so its alarms match the wasm's sample for sample.

const f = Math.fround;
const ALPHA = f(0.9999);

export interface PageHinkleyOptions {
  /** Default 0.005 (River). */
  delta?: number;
  /** Default 50 (River). */
  threshold?: number;
  /** Default 30 (River). */
  minSamples?: number;
  /** Alarm when the mean falls (the device's goodness signal) instead of when it rises (the error). */
  falls?: boolean;
}

export class ReferencePageHinkley {
  private readonly delta: number;
  private readonly threshold: number;
  private readonly minSamples: number;
  private readonly falls: boolean;
  private count = 0;
  private mean = 0;
  private up = 0;
  private upMin = 0;
  private down = 0;
  private downMax = 0;

  constructor(options: PageHinkleyOptions = {}) {
    this.delta = f(options.delta ?? 0.005);
    this.threshold = f(options.threshold ?? 50);
    this.minSamples = options.minSamples ?? 30;
    this.falls = options.falls ?? false;
  }

  reset(): void {
    this.count = 0;
    this.mean = 0;
    this.up = 0;
    this.upMin = 0;
    this.down = 0;
    this.downMax = 0;
  }

  /** Feeds one value; true on an alarm (the detector then restarts). */
  update(x: number): boolean {
    x = f(x);
    this.count++;
    this.mean = f(this.mean + f(f(x - this.mean) / this.count));
    const deviation = f(x - this.mean);
    this.up = f(f(ALPHA * this.up) + f(deviation - this.delta));
    this.upMin = Math.min(this.upMin, this.up);
    this.down = f(f(ALPHA * this.down) + f(deviation + this.delta));
    this.downMax = Math.max(this.downMax, this.down);
    if (this.count < this.minSamples) return false;
    const alarm = this.falls ? f(this.downMax - this.down) > this.threshold : f(this.up - this.upMin) > this.threshold;
    if (alarm) this.reset();
    return alarm;
  }
}
