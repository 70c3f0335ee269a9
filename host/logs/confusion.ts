// Confusion matrix of an evaluation: which class the model predicted for the
// held-out samples of each true class. `ffedge stream` writes it into the log
// as a meta record `{"type":"meta","confusion":{...}}` after the last
// evaluation; `ffedge logs summary` prints the last one with per-class recall
// and precision.
//
// Non-goals: plots (the SVG shows accuracy over time), running matrices.

import type { LogRecord, MetaRecord } from './records.js';
import { renderTable } from './summary.js';

export interface Confusion {
  step: number;
  mode: string;
  /** Class names, or their numbers as text. */
  classes: string[];
  /** matrix[true][predicted]: held-out samples of class `true` predicted as `predicted`. */
  matrix: number[][];
}

/** Counts (label, predicted) pairs into a classes x classes matrix; unlabelled pairs are skipped. */
export function countConfusion(pairs: Iterable<{ label: number; predicted: number }>, classes: number): number[][] {
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (const { label, predicted } of pairs) {
    if (label < 0) continue;
    if (label >= classes || predicted < 0 || predicted >= classes) throw new RangeError(`pair (${label}, ${predicted}) outside ${classes} classes`);
    matrix[label][predicted]++;
  }
  return matrix;
}

export function confusionRecord(confusion: Confusion): MetaRecord {
  return { type: 'meta', t: Date.now(), confusion };
}

function isConfusion(v: unknown): v is Confusion {
  const c = v as Confusion;
  return (
    typeof c === 'object' &&
    c !== null &&
    Array.isArray(c.classes) &&
    Array.isArray(c.matrix) &&
    c.matrix.length === c.classes.length &&
    c.matrix.every((row) => Array.isArray(row) && row.length === c.classes.length)
  );
}

/** The last confusion matrix in a log, if any. */
export function lastConfusion(records: Iterable<LogRecord>): Confusion | undefined {
  let last: Confusion | undefined;
  for (const r of records) if (r.type === 'meta' && isConfusion(r.confusion)) last = r.confusion;
  return last;
}

const ratio = (a: number, b: number): string => (b === 0 ? '-' : (a / b).toFixed(3));

/** The matrix as a table (rows: true class, columns: predicted) and per-class recall/precision. */
export function renderConfusion(c: Confusion): string {
  const k = c.classes.length;
  const rowTotals = c.matrix.map((row) => row.reduce((a, b) => a + b, 0));
  const colTotals = c.classes.map((_, j) => c.matrix.reduce((a, row) => a + row[j], 0));
  const n = rowTotals.reduce((a, b) => a + b, 0);
  const correct = c.matrix.reduce((a, row, i) => a + row[i], 0);
  const header = ['true \\ predicted', ...c.classes, 'n', 'recall', 'precision'];
  const rows = c.matrix.map((row, i) => [c.classes[i], ...row.map(String), String(rowTotals[i]), ratio(row[i], rowTotals[i]), ratio(row[i], colTotals[i])]);
  return (
    `Confusion matrix at step ${c.step.toLocaleString('en-US')} (${c.mode}; ${n} held-out samples, accuracy ${ratio(correct, n)})\n` +
    renderTable(header, rows, ['left', ...new Array(k + 3).fill('right')])
  );
}
