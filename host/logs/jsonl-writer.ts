// Append-only JSONL writer for goodness logs.
//
// Contract (what "never loses records on a crash" means here):
// - Each record becomes one line and reaches the operating system (write(2))
//   before `write()` / `append()` returns: the stream's sink writes
//   synchronously, so nothing sits in a JS buffer that a crash, an uncaught
//   exception or process.exit() could drop. Once the OS has the bytes, they
//   survive the process dying by any means, SIGKILL included.
// - Power loss is a different matter: the `fsync` option picks when the file
//   is forced to disk ('close' by default, 'always' after every record).
// - The file is opened O_APPEND and never truncated; reopening a log adds to
//   it. A line is written whole in one call, so a reader only ever sees a
//   partial record as the last line if the machine (not the process) died
//   mid-write; readLog() skips such a tail and reports it.
// - Records are validated before writing (validateRecord); an invalid record is
//   refused with a TypeError by `append()` and never reaches the file.
//
// It is an object-mode Writable, so `pipeline(recordSource, writer)` works and
// honours backpressure; `append()` awaits 'drain' when write() asks for it.
// Sync writes cost a syscall per record (a few microseconds), which is noise
// beside a serial link and acceptable for an in-process trainer. Like any
// stream, an I/O error (disk full) rejects append() and is emitted as 'error'.
//
// Non-goals: rotation, compression, concurrent writers from several processes
// beyond what O_APPEND gives (whole lines, interleaved).

import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { LogRecordError, validateRecord, type LogRecord } from './records.js';

export type FsyncPolicy = 'never' | 'close' | 'always';

export interface JsonlWriterOptions {
  /** When to force the file to disk; default 'close'. */
  fsync?: FsyncPolicy;
  /** Object-mode high-water mark (records) for backpressure; default 64. */
  highWaterMark?: number;
}

export class JsonlWriter extends Writable {
  readonly path: string;
  private fd: number | undefined;
  private readonly fsyncPolicy: FsyncPolicy;
  /** Records written by this writer. */
  written = 0;
  /** Bytes written by this writer. */
  bytes = 0;

  /** Opens (creating if needed) `path` for appending. Throws synchronously if it cannot. */
  constructor(path: string, options: JsonlWriterOptions = {}) {
    if (typeof path !== 'string' || path === '') throw new TypeError('path must be a non-empty string');
    const { fsync = 'close', highWaterMark = 64 } = options;
    if (!['never', 'close', 'always'].includes(fsync)) {
      throw new TypeError(`options.fsync must be 'never', 'close' or 'always', got ${JSON.stringify(fsync)}`);
    }
    if (!Number.isInteger(highWaterMark) || highWaterMark < 1) {
      throw new TypeError(`options.highWaterMark must be a positive integer, got ${highWaterMark}`);
    }
    super({ objectMode: true, highWaterMark });
    this.path = path;
    this.fsyncPolicy = fsync;
    this.fd = openSync(path, 'a');
  }

  override _write(record: LogRecord, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    try {
      validateRecord(record);
      this.writeLine(JSON.stringify(record) + '\n');
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  private writeLine(line: string): void {
    if (this.fd === undefined) throw new Error(`log ${this.path} is closed`);
    const buf = Buffer.from(line, 'utf8');
    let off = 0;
    // A regular file rarely takes less than asked, but the contract is "whole line".
    while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    if (this.fsyncPolicy === 'always') fsyncSync(this.fd);
    this.written++;
    this.bytes += buf.length;
  }

  override _final(callback: (error?: Error | null) => void): void {
    try {
      if (this.fd !== undefined && this.fsyncPolicy !== 'never') fsyncSync(this.fd);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const fd = this.fd;
    this.fd = undefined;
    try {
      if (fd !== undefined) closeSync(fd);
    } catch (err) {
      callback(error ?? (err as Error));
      return;
    }
    callback(error);
  }

  /**
   * Writes one record. Resolves once the line is in the OS (immediately, in
   * practice) and the stream is below its high-water mark. Rejects with a
   * TypeError, writing nothing, if the record is invalid.
   */
  async append(record: LogRecord): Promise<void> {
    try {
      validateRecord(record);
    } catch (err) {
      if (err instanceof LogRecordError) throw new TypeError(`record: ${err.message}`);
      throw err;
    }
    if (this.destroyed || this.writableEnded) throw new Error(`log ${this.path} is closed; open a new JsonlWriter`);
    // The line is in the OS when write() returns; the callback only reports I/O errors.
    await new Promise<void>((resolve, reject) => {
      this.write(record, (err) => (err ? reject(err) : resolve()));
    });
    if (this.writableNeedDrain) await once(this, 'drain');
  }

  /** Flushes (fsync per policy) and closes the file. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (!this.writableEnded) this.end();
    await once(this, 'close');
  }
}

/** Opens a log for appending: `const log = openJsonlWriter('run.jsonl'); await log.append(r); await log.close();` */
export function openJsonlWriter(path: string, options?: JsonlWriterOptions): JsonlWriter {
  return new JsonlWriter(path, options);
}
