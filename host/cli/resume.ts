// A run that starts from a checkpoint (--load-checkpoint) continues the step
// count of the run that saved it: the device counts from 1 again after
// CONFIGURE, so the log's steps are shifted by the checkpoint's `steps`, and
// the run's meta records say where it resumed from.

import type { LogRecord } from '../logs/records.js';
import type { RecordSink } from '../session/index.js';

export interface Resumed {
  /** The checkpoint file the run started from. */
  checkpoint: string;
  /** Training steps behind its weights. */
  steps: number;
}

/** One record as the resumed run logs it: steps shifted, meta marked with `resumedFrom`. */
export function resumedRecord(record: LogRecord, from: Resumed): LogRecord {
  if (record.type === 'meta') return { ...record, resumedFrom: { ...from } };
  if ('step' in record && typeof record.step === 'number') return { ...record, step: record.step + from.steps } as LogRecord;
  return record;
}

/** A sink that writes every record through resumedRecord(). */
export function resumedSink(sink: RecordSink, from: Resumed): RecordSink {
  return { append: (record) => sink.append(resumedRecord(record, from)) };
}
