// Splitting one labelled training set across the devices of a fleet.
//
//   iid          a seeded shuffle dealt out round robin: every device sees every class
//   by-class:K   non-IID, each device holds K classes: device d gets classes
//                (d*K + j) mod C for j < K, and the samples of a class are
//                dealt round robin among the devices holding it (McMahan et
//                al. 2017 give each client 2 shards of digit-sorted MNIST; this
//                is the same idea with whole classes, so "2 digits per device"
//                holds exactly)
//
// Each device's indices come out in a seeded order, so its stream is shuffled
// within its own classes.
//
// Non-goals: Dirichlet label skew, quantity skew.

import { mixSeed, shuffledIndices } from '../sources/prng.js';

export type SplitSpec = { kind: 'iid' } | { kind: 'by-class'; classesPerDevice: number };

export function parseSplit(text: string): SplitSpec {
  if (text === 'iid') return { kind: 'iid' };
  const m = /^by-class:(\d+)$/.exec(text);
  if (m && Number(m[1]) >= 1) return { kind: 'by-class', classesPerDevice: Number(m[1]) };
  throw new TypeError(`split must be "iid" or "by-class:K" (K >= 1 classes per device), got ${JSON.stringify(text)}`);
}

export function describeSplit(spec: SplitSpec): string {
  return spec.kind === 'iid' ? 'iid' : `by-class:${spec.classesPerDevice}`;
}

export interface DevicePart {
  /** Indices into the training set, in this device's (seeded) order. */
  indices: Uint32Array;
  /** The classes present in this part, ascending. */
  classes: number[];
}

/** The classes device d holds under by-class:K with C classes. */
export function classesOf(device: number, classesPerDevice: number, classes: number): number[] {
  const k = Math.min(classesPerDevice, classes);
  const out = new Set<number>();
  for (let j = 0; j < k; j++) out.add((device * k + j) % classes);
  return [...out].sort((a, b) => a - b);
}

/**
 * Parts of `labels` (class per sample; negative = unlabelled, not dealt) for
 * `devices` devices. Every labelled sample goes to exactly one device, except
 * under by-class when no device holds its class (fewer devices x K than classes).
 */
export function splitAcrossDevices(labels: ArrayLike<number>, classes: number, devices: number, spec: SplitSpec, seed: number): DevicePart[] {
  if (!Number.isInteger(devices) || devices < 1) throw new TypeError(`devices must be a positive integer, got ${devices}`);
  if (!Number.isInteger(classes) || classes < 1) throw new TypeError(`classes must be a positive integer, got ${classes}`);
  const order = shuffledIndices(labels.length, mixSeed(seed, 0x5a17));
  const parts: number[][] = Array.from({ length: devices }, () => []);
  if (spec.kind === 'iid') {
    let next = 0;
    for (const i of order) if (labels[i]! >= 0) parts[next++ % devices]!.push(i);
  } else {
    const holders: number[][] = Array.from({ length: classes }, () => []);
    for (let d = 0; d < devices; d++) for (const c of classesOf(d, spec.classesPerDevice, classes)) holders[c]!.push(d);
    const dealt = new Array<number>(classes).fill(0);
    for (const i of order) {
      const c = labels[i]!;
      if (c < 0 || c >= classes) continue;
      const h = holders[c]!;
      if (h.length === 0) continue;
      parts[h[dealt[c]!++ % h.length]!]!.push(i);
    }
  }
  return parts.map((p, d) => {
    const local = shuffledIndices(p.length, mixSeed(seed, d + 1));
    const indices = Uint32Array.from(local, (k) => p[k]!);
    const present = [...new Set(p.map((i) => labels[i]!))].sort((a, b) => a - b);
    return { indices, classes: present };
  });
}
