// Goodness log (JSONL) -> CSV for spreadsheets, pandas, R.
//
// One row per record per layer: a train record with 3 layers gives 3 rows
// (layer = 1, 2, 3, the same numbering as the summary and plots), eval and
// link records give one row each with `layer` empty. Columns not used by a
// record type are empty; null metrics are empty cells. Meta records are
// skipped by default (nested config does not fit a table); with
// `includeMeta` they become one row whose `meta` cell holds the JSON.
// `perClass` is one cell of ';'-separated accuracies.

import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { rename, rm } from 'node:fs/promises';
import { atomicPlan } from '../files/atomic-write.js';
import { readLog, RECORD_TYPES, type LogRecord, type ParseLogOptions, type RecordType } from './records.js';

export const CSV_COLUMNS = [
  'type',
  't',
  'seq',
  'step',
  'label',
  'predicted',
  'layer',
  'gpos',
  'gneg',
  'loss',
  'active',
  'hoyer',
  'accuracy',
  'n',
  'perClass',
  'framesDropped',
  'crcErrors',
  'retransmits',
  'duplicates',
  'meta',
] as const;
export type CsvColumn = (typeof CSV_COLUMNS)[number];

export interface CsvExportOptions {
  /** Record types to export; default train, eval, link. */
  types?: readonly RecordType[];
  /** Shorthand for adding 'meta' to `types`. */
  includeMeta?: boolean;
}

/** RFC 4180 quoting: only when the cell holds a comma, quote or line break. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const s = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function selectedTypes(options: CsvExportOptions): Set<RecordType> {
  const types = new Set<RecordType>(options.types ?? ['train', 'eval', 'link']);
  for (const t of types) {
    if (!RECORD_TYPES.includes(t)) throw new TypeError(`options.types has an unknown record type: ${JSON.stringify(t)}`);
  }
  if (options.includeMeta) types.add('meta');
  return types;
}

/** The rows (cell values by column) for one record. */
export function recordRows(record: LogRecord): Partial<Record<CsvColumn, unknown>>[] {
  switch (record.type) {
    case 'train':
      if (record.layers === null) return [{ type: 'train', t: record.t, seq: record.seq, label: record.label }]; // reply lost: no numbers
      return record.layers.map((layer, i) => ({
        type: 'train',
        t: record.t,
        seq: record.seq,
        step: record.step,
        label: record.label,
        predicted: record.predicted,
        layer: i + 1,
        ...layer,
      }));
    case 'eval':
      return [
        {
          type: 'eval',
          t: record.t,
          step: record.step,
          accuracy: record.accuracy,
          n: record.n,
          perClass: record.perClass?.map((a) => (a === null ? '' : String(a))).join(';'),
        },
      ];
    case 'link':
      return [
        {
          type: 'link',
          t: record.t,
          framesDropped: record.framesDropped,
          crcErrors: record.crcErrors,
          retransmits: record.retransmits,
          duplicates: record.duplicates,
        },
      ];
    case 'end':
      return [{ type: 'end', t: record.t, meta: JSON.stringify({ ok: record.ok, reason: record.reason, trained: record.trained, inDoubt: record.inDoubt }) }];
    case 'meta': {
      const { type: _type, t, ...rest } = record;
      return [{ type: 'meta', t, meta: JSON.stringify(rest) }];
    }
    case 'boundary':
    case 'drift':
    case 'prequential':
    case 'task-eval':
    case 'continual-summary':
    case 'reset': {
      // Continual-learning records: the step column plus the rest as JSON in the meta column.
      const { type, t, ...rest } = record;
      return [{ type, t, step: 'step' in record ? record.step : undefined, meta: JSON.stringify(rest) }];
    }
    default:
      throw new TypeError(`record has an unknown type: ${JSON.stringify((record as { type?: unknown }).type)}`);
  }
}

function rowText(row: Partial<Record<CsvColumn, unknown>>): string {
  return CSV_COLUMNS.map((c) => csvCell(row[c])).join(',');
}

export const CSV_HEADER = CSV_COLUMNS.join(',');

/** Records -> CSV text (header included, '\n' line ends). */
export function recordsToCsv(records: Iterable<LogRecord>, options: CsvExportOptions = {}): string {
  const types = selectedTypes(options);
  const lines = [CSV_HEADER];
  for (const r of records) if (types.has(r.type)) for (const row of recordRows(r)) lines.push(rowText(row));
  return lines.join('\n') + '\n';
}

/**
 * Streams a JSONL log into a CSV file, never holding the whole log in memory.
 * Writes a temporary file and renames it over `csvPath` only when the whole
 * log was read, so a bad log never leaves a truncated CSV that looks complete.
 * Returns how many records and rows were written.
 */
export async function exportCsv(
  logPath: string,
  csvPath: string,
  options: CsvExportOptions & ParseLogOptions = {},
): Promise<{ records: number; rows: number }> {
  if (typeof csvPath !== 'string' || csvPath === '') throw new TypeError('csvPath must be a non-empty string');
  const types = selectedTypes(options);
  // A temporary file renamed over csvPath at the end (host/files/atomic-write.ts); a device is written in place.
  const plan = atomicPlan(csvPath);
  const partial = plan?.temporary ?? csvPath;
  const out = createWriteStream(partial);
  const failed = once(out, 'error').then(([err]) => Promise.reject(err as Error));
  failed.catch(() => undefined);
  const write = async (text: string) => {
    if (!out.write(text)) await Promise.race([once(out, 'drain'), failed]);
  };
  let records = 0;
  let rows = 0;
  try {
    await Promise.race([once(out, 'open'), failed]);
    await write(CSV_HEADER + '\n');
    for await (const r of readLog(logPath, options)) {
      if (!types.has(r.type)) continue;
      records++;
      for (const row of recordRows(r)) {
        await write(rowText(row) + '\n');
        rows++;
      }
    }
    out.end();
    await Promise.race([once(out, 'close'), failed]);
    if (plan) await rename(plan.temporary, plan.final);
  } catch (err) {
    out.destroy();
    if (plan) await rm(plan.temporary, { force: true });
    throw err;
  }
  return { records, rows };
}
