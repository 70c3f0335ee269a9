// A one-line progress bar for long work, on stderr so stdout stays clean for
// results. On a terminal it redraws in place (at most every `intervalMs`); when
// stderr is not a terminal (CI, a pipe) it prints a plain line every 10%, or
// every `intervalMs * 50` for work of unknown length.
//
//   training  [##########----------]  50%  1,000/2,000  812/s  eta 1s  acc 0.84

export interface ProgressOptions {
  label: string;
  /** Units of work in all; null when unknown (a live source). */
  total: number | null;
  unit?: string;
  stream?: NodeJS.WriteStream;
  width?: number;
  intervalMs?: number;
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  const m = Math.floor(seconds / 60);
  return `${m}m${String(Math.round(seconds - m * 60)).padStart(2, '0')}s`;
}

export class ProgressBar {
  private readonly started = performance.now();
  private lastDraw = 0;
  private lastDecile = 0;
  private done = 0;
  private note = '';
  private drawn = false;
  private readonly tty: boolean;
  private readonly stream: NodeJS.WriteStream;
  private readonly width: number;
  private readonly intervalMs: number;

  constructor(private readonly options: ProgressOptions) {
    this.stream = options.stream ?? process.stderr;
    this.tty = this.stream.isTTY === true;
    this.width = options.width ?? 24;
    this.intervalMs = options.intervalMs ?? 100;
  }

  /** Sets the amount done (and an optional note such as the latest accuracy). */
  update(done: number, note?: string): void {
    this.done = done;
    if (note !== undefined) this.note = note;
    const t = performance.now();
    const total = this.options.total;
    if (this.tty) {
      if (t - this.lastDraw < this.intervalMs && done !== total) return;
      this.lastDraw = t;
      this.stream.write(`\r${this.line()}\x1b[K`);
      this.drawn = true;
      return;
    }
    if (total !== null && total > 0) {
      const decile = Math.floor((10 * done) / total);
      if (decile === this.lastDecile || done >= total) return; // finish() prints the last line
      this.lastDecile = decile;
    } else if (t - this.lastDraw < this.intervalMs * 50) {
      return;
    }
    this.lastDraw = t;
    this.stream.write(`${this.line()}\n`);
  }

  /** Sets the note without counting progress (redrawn with the next update). */
  annotate(note: string): void {
    this.note = note;
    if (this.tty && this.drawn) this.stream.write(`\r${this.line()}\x1b[K`);
  }

  /** Prints a message on its own line without breaking the bar. */
  log(message: string): void {
    if (this.tty && this.drawn) this.stream.write('\r\x1b[K');
    this.stream.write(`${message}\n`);
    if (this.tty && this.drawn) this.stream.write(this.line());
  }

  /** Draws the final state and ends the line. */
  finish(note?: string): void {
    if (note !== undefined) this.note = note;
    if (this.tty) this.stream.write(`\r${this.line()}\x1b[K\n`);
    else this.stream.write(`${this.line()}\n`);
  }

  line(): string {
    const { label, total, unit = '' } = this.options;
    const seconds = (performance.now() - this.started) / 1000;
    const rate = seconds > 0 ? this.done / seconds : 0;
    const parts = [label.padEnd(9)];
    if (total !== null && total > 0) {
      const f = Math.min(1, this.done / total);
      const filled = Math.round(f * this.width);
      parts.push(
        `[${'#'.repeat(filled)}${'-'.repeat(this.width - filled)}]`,
        `${String(Math.floor(f * 100)).padStart(3)}%`,
        `${int(this.done)}/${int(total)}${unit}`,
      );
      parts.push(`${int(rate)}/s`);
      if (this.done < total) parts.push(`eta ${duration(rate > 0 ? (total - this.done) / rate : Infinity)}`);
      else parts.push(`${duration(seconds)}`);
    } else {
      parts.push(`${int(this.done)}${unit}`, `${int(rate)}/s`, duration(seconds));
    }
    if (this.note) parts.push(this.note);
    return parts.join('  ');
  }
}
