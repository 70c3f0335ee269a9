// Progress of a fleet on stderr, one line per device, from what the broker
// delivered (so a coordinator shows devices on other hosts too):
//
//   round 3/10  devices 7/8 online  average acc 0.842
//     host-0  online   1,500 trained  g+ 3.12 g- 0.41  acc 0.801
//     host-3  OFFLINE (last-will)
//
// On a terminal the block is redrawn in place; otherwise printed every `everyMs`.

import type { FleetView, FleetViewState } from './fleet-view.js';

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const num = (v: number | null | undefined, digits = 2): string => (v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits));

export function renderFleet(s: FleetViewState, rounds: number | null): string[] {
  const online = s.devices.filter((d) => d.online).length;
  const last = s.averaged[s.averaged.length - 1];
  const lines = [
    `round ${s.coordinator.round}${rounds ? `/${rounds}` : ''}  devices ${online}/${s.devices.length} online${last ? `  average acc ${num(last.accuracy, 3)}` : ''}`,
  ];
  for (const d of s.devices) {
    if (!d.online) {
      lines.push(`  ${d.device}  OFFLINE (${d.reason ?? '?'})`);
      continue;
    }
    const top = d.layers[d.layers.length - 1];
    lines.push(
      `  ${d.device}  online  ${int(d.trained)} trained  g+ ${num(top?.gpos)} g- ${num(top?.gneg)}  acc ${num(d.accuracy, 3)}${d.drifts ? `  drift ${d.drifts}` : ''}`,
    );
  }
  return lines;
}

export class FleetProgress {
  private timer: NodeJS.Timeout | undefined;
  private drawn = 0;
  private readonly tty: boolean;

  constructor(
    private readonly view: FleetView,
    private readonly rounds: number | null,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly everyMs = 0,
  ) {
    this.tty = stream.isTTY === true;
  }

  start(): void {
    const every = this.everyMs || (this.tty ? 500 : 5000);
    this.timer = setInterval(() => this.draw(), every);
    this.timer.unref();
  }

  draw(): void {
    const lines = renderFleet(this.view.snapshot(), this.rounds);
    if (this.tty && this.drawn > 0) this.stream.write(`\x1b[${this.drawn}A`);
    this.stream.write(lines.map((l) => `${l}\x1b[K\n`.replace(this.tty ? '' : '\x1b[K', '')).join(''));
    this.drawn = this.tty ? lines.length : 0;
  }

  /** A message above the block. */
  log(message: string): void {
    if (this.tty && this.drawn > 0) {
      this.stream.write(`\x1b[${this.drawn}A\x1b[J`);
      this.drawn = 0;
    }
    this.stream.write(`${message}\n`);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.draw();
  }
}
