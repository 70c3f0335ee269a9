// Sample files: CSV and JSONL, loaded into packed arrays.
//
// CSV: one sample per line, numeric cells separated by `delimiter` (default:
// detected from the first line among "," ";" and tab), an optional header
// line, and optionally one label column chosen by name (needs a header) or
// 0-based index (negative counts from the end, -1 = last). The inputs are the
// other columns in file order, or `columns` in the given order, minus `drop`;
// with a header, a column named like a timestamp (time, timestamp, ms, ...)
// is never an input unless `columns` names it. Blank lines and lines starting
// with '#' are skipped. Cells are plain numbers (no quoting, no embedded
// delimiters); header names may be wrapped in double quotes.
//
// JSONL: one `{"inputs": [numbers], "label": n}` object per line; `label` may
// be omitted (unlabelled).
//
// Labels are integers 0..classes-1, -1 (or an empty CSV cell / absent JSON
// label) for unlabelled, or one of `classNames` spelled out. Without
// `classNames`, a file whose labels are words ("idle", "walk") gets the
// sorted distinct words as its class names (`classNames` of the result).
// Every value must fit a 32-bit float, as the device stores it.
//
// windowRows() turns a row-per-reading file into windows of N rows.
//
// Errors in the data throw `SampleFileError` carrying the file and 1-based line
// number; bad arguments throw `TypeError` naming the argument.
//
// Non-goals: quoted CSV with text columns, files larger than memory.

/** The largest finite 32-bit float: a cell above it would reach the device as Infinity. */
const F32_MAX = 3.4028234663852886e38;

/** Delimiters auto-detection picks from. */
const DELIMITERS = [',', ';', '\t'] as const;

/** Header names that mark a timestamp column, which is not a sensor input. */
const TIMESTAMP = /^(time|timestamp|ts|t|date|datetime|millis|ms|us|micros|epoch|time_?ms|time_?s|seconds|elapsed)$/i;

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseNumberCell } from './cells.js';
import { packedSource, UNLABELLED, type PackedSource } from './sample.js';

/** A problem in a sample file's contents, located by file and 1-based line. */
export class SampleFileError extends Error {
  override name = 'SampleFileError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
  }
}

interface CommonOptions {
  /** Source name; default is the file name. */
  name?: string;
  /** Number of classes; default classNames.length, else max label + 1. Labels must be below it. */
  classes?: number;
  /** Names of the classes; label cells may use them instead of the index. */
  classNames?: readonly string[];
}

export interface CsvOptions extends CommonOptions {
  /** true: first line is a header; false: no header; 'auto' (default): a header if any of its cells is not a number. */
  header?: boolean | 'auto';
  /** Label column: header name, or 0-based index (negative from the end). Omit or null for no labels. */
  label?: string | number | null;
  /** One-character cell separator; default: detected from the first line among ',', ';' and tab. */
  delimiter?: string;
  /** Input columns to keep (header names or 0-based indices), in this order; default all but the label. */
  columns?: readonly (string | number)[];
  /** Columns that are not inputs (names or indices). */
  drop?: readonly (string | number)[];
}

export interface JsonlOptions extends CommonOptions {
  /** Require this many inputs per line; default: whatever the first line has. */
  inputSize?: number;
}

/** A loaded file: a packed source plus the input column names when the CSV had a header. */
export interface FileDataset extends PackedSource {
  readonly file: string;
  /** Names of the input columns (CSV with a header only). */
  readonly inputColumns?: readonly string[];
  /** Columns left out of the inputs on their own (timestamps), by name. */
  readonly droppedColumns?: readonly string[];
  /** 1-based line of each sample (of the last row of a window), for messages about a sample. */
  readonly lines: Int32Array;
  /** The class names came from the label words in the file (not from options.classNames). */
  readonly namesFromFile?: boolean;
  /** Samples are windows of consecutive rows (windowRows). */
  readonly windowed?: { window: number; hop: number };
}

const parseNumber = parseNumberCell;

function checkCommon(options: CommonOptions): void {
  if (options.name !== undefined && typeof options.name !== 'string') {
    throw new TypeError('options.name must be a string');
  }
  if (options.classes !== undefined && (!Number.isInteger(options.classes) || options.classes < 0)) {
    throw new TypeError(`options.classes must be a non-negative integer, got ${options.classes}`);
  }
  if (options.classNames !== undefined) {
    if (!Array.isArray(options.classNames) || options.classNames.some((n) => typeof n !== 'string' || n === '')) {
      throw new TypeError('options.classNames must be an array of non-empty strings');
    }
    if (options.classes !== undefined && options.classes !== options.classNames.length) {
      throw new TypeError(`options.classes (${options.classes}) disagrees with options.classNames (${options.classNames.length} names)`);
    }
  }
}

/** Growable packed storage shared by both formats. */
class PackedBuilder {
  private inputs = new Float32Array(1024);
  private labels = new Int32Array(64);
  private lines = new Int32Array(64);
  /** The label cell of each sample when some label is a word, else undefined. */
  private words: (string | undefined)[] | undefined;
  count = 0;
  maxLabel = -1;
  inputSize = 0;

  /** `label` NAMED means `word` is a class name to be numbered in finish(). */
  push(values: ArrayLike<number>, label: number, line: number, word?: string): void {
    if (label === NAMED && this.words === undefined) {
      this.words = Array.from(this.labels.subarray(0, this.count), (l) => (l === UNLABELLED ? undefined : String(l)));
    }
    if (this.words !== undefined) this.words[this.count] = label === NAMED ? word : label === UNLABELLED ? undefined : String(label);
    if (this.count === 0) this.inputSize = values.length;
    const need = (this.count + 1) * this.inputSize;
    if (need > this.inputs.length) {
      const grown = new Float32Array(Math.max(need, this.inputs.length * 2));
      grown.set(this.inputs);
      this.inputs = grown;
    }
    if (this.count >= this.labels.length) {
      const grown = new Int32Array(this.labels.length * 2);
      grown.set(this.labels);
      this.labels = grown;
      const lines = new Int32Array(this.lines.length * 2);
      lines.set(this.lines);
      this.lines = lines;
    }
    this.inputs.set(values, this.count * this.inputSize);
    this.labels[this.count] = label;
    this.lines[this.count] = line;
    this.count++;
    if (label > this.maxLabel) this.maxLabel = label;
  }

  finish(
    file: string,
    options: CommonOptions,
    lastLine: number,
    inputColumns: readonly string[] | undefined,
    droppedColumns: readonly string[] = [],
  ): FileDataset {
    if (this.count === 0) throw new SampleFileError(file, lastLine, 'no samples in file');
    const labels = this.labels.slice(0, this.count);
    const lines = this.lines.slice(0, this.count);
    let classNames = options.classNames;
    if (this.words !== undefined) {
      // Label words: the sorted distinct words are the classes, so the mapping does not depend on row order.
      const names = [...new Set(this.words.filter((w): w is string => w !== undefined))].sort();
      if (options.classes !== undefined && names.length > options.classes) {
        throw new SampleFileError(file, lastLine, `${names.length} class names (${names.join(', ')}) but classes = ${options.classes}`);
      }
      this.words.forEach((w, i) => {
        labels[i] = w === undefined ? UNLABELLED : names.indexOf(w);
      });
      classNames = names;
    }
    const classes = options.classes ?? classNames?.length ?? this.maxLabel + 1;
    const packed = { count: this.count, inputSize: this.inputSize, inputs: this.inputs.slice(0, this.count * this.inputSize), labels };
    const source = packedSource(packed, {
      name: options.name ?? file,
      classes,
      ...(classNames !== undefined ? { classNames } : {}),
    });
    return Object.assign(
      source,
      { file, lines },
      inputColumns !== undefined ? { inputColumns } : {},
      droppedColumns.length > 0 ? { droppedColumns } : {},
      this.words !== undefined ? { namesFromFile: true } : {},
    );
  }
}

/** parseLabel's answer for a word label without classNames: the builder numbers the words at the end. */
const NAMED = -2;

/**
 * Shared label rule: integer -1..classes-1, empty = unlabelled, one of
 * classNames, or (without classNames) any word, returned as NAMED.
 */
function parseLabel(raw: unknown, options: CommonOptions, fail: (reason: string) => never): number {
  if (raw === undefined || raw === null || raw === '') return UNLABELLED;
  let label: number;
  if (typeof raw === 'number') {
    label = raw;
  } else if (typeof raw === 'string') {
    const named = options.classNames?.indexOf(raw.trim()) ?? -1;
    if (named >= 0) return named;
    const n = parseNumber(raw);
    if (n === undefined) {
      if (!options.classNames) return NAMED;
      fail(`label ${JSON.stringify(raw)} is not one of the classes ${options.classNames.join(', ')}`);
    }
    label = n;
  } else {
    fail(`label must be a number, got ${JSON.stringify(raw)}`);
  }
  if (!Number.isInteger(label) || label < UNLABELLED) {
    fail(`label ${label} is not an integer >= -1 (-1 = unlabelled); if the file has no label column, pass --label-column none`);
  }
  const classes = options.classes ?? options.classNames?.length;
  if (classes !== undefined && label >= classes) fail(`label ${label} is not below classes = ${classes}`);
  return label;
}

/** Binary bytes (NUL, other control characters, invalid UTF-8) in a line of a text file. */
function binaryByte(text: string): string | undefined {
  const m = /[\u0000-\u0008\u000e-\u001f\ufffd]/.exec(text);
  if (!m) return undefined;
  return m[0] === '\ufffd' ? 'bytes that are not UTF-8 text' : `byte 0x${m[0].charCodeAt(0).toString(16).padStart(2, '0')}`;
}

/** The most frequent of , ; tab in a line (',' when none appears). */
export function detectDelimiter(line: string): string {
  let best: string = ',';
  let most = 0;
  for (const d of DELIMITERS) {
    const n = line.split(d).length - 1;
    if (n > most) {
      best = d;
      most = n;
    }
  }
  return best;
}

const show = (d: string): string => (d === '\t' ? 'tab' : `'${d}'`);

/** Parses CSV lines one at a time; used by both the string and the file loader. */
class CsvParser {
  private readonly builder = new PackedBuilder();
  private delimiter: string | undefined;
  private readonly headerMode: boolean | 'auto';
  private sawFirst = false;
  private columns = -1;
  private labelIndex = -1;
  /** Columns read as inputs, in input order. */
  private inputIndex: number[] = [];
  private dropped: string[] = [];
  private header: string[] | undefined;
  private lastLine = 0;

  constructor(
    private readonly file: string,
    private readonly options: CsvOptions,
  ) {
    checkCommon(options);
    const { header = 'auto', label, delimiter } = options;
    if (header !== true && header !== false && header !== 'auto') {
      throw new TypeError(`options.header must be true, false or 'auto', got ${JSON.stringify(header)}`);
    }
    if (delimiter !== undefined && (typeof delimiter !== 'string' || delimiter.length !== 1 || /[0-9.+\-eE\r\n]/.test(delimiter))) {
      throw new TypeError(`options.delimiter must be one character that cannot appear in a number, got ${JSON.stringify(delimiter)}`);
    }
    if (label !== undefined && label !== null && typeof label !== 'string' && !Number.isInteger(label)) {
      throw new TypeError(`options.label must be a column name, an integer index or null, got ${JSON.stringify(label)}`);
    }
    if (typeof label === 'string' && header === false) {
      throw new TypeError(`options.label names a column ('${label}') but options.header is false; use an index`);
    }
    for (const key of ['columns', 'drop'] as const) {
      const list = options[key];
      if (list !== undefined && (!Array.isArray(list) || list.some((c) => typeof c !== 'string' && !Number.isInteger(c)))) {
        throw new TypeError(`options.${key} must be an array of column names or integer indices`);
      }
    }
    if (options.columns !== undefined && options.drop !== undefined) throw new TypeError('options.columns and options.drop exclude each other');
    this.delimiter = delimiter;
    this.headerMode = header;
  }

  private fail(line: number, reason: string): never {
    throw new SampleFileError(this.file, line, reason);
  }

  /** A hint when a line holds another delimiter than the one in use (a ';' file read with ','). */
  private delimiterHint(text: string): string {
    const other = DELIMITERS.find((d) => d !== this.delimiter && text.includes(d) && detectDelimiter(text) === d);
    return other ? `; the file looks ${show(other)}-separated: pass --delimiter ${other === '\t' ? "$'\\t'" : `'${other}'`}` : '';
  }

  /** A column given by name or index (negative from the end), as an index. */
  private column(what: string, c: string | number, line: number): number {
    if (typeof c === 'number') {
      const at = c < 0 ? this.columns + c : c;
      if (at < 0 || at >= this.columns) this.fail(line, `${what} column index ${c} does not exist; rows have ${this.columns} columns`);
      return at;
    }
    if (!this.header) this.fail(line, `${what} column '${c}' needs a header line naming the columns; use an index instead`);
    const at = this.header.indexOf(c);
    if (at < 0) this.fail(line, `no ${what} column named '${c}'; columns are: ${this.header.join(', ')}`);
    return at;
  }

  private setColumns(count: number, line: number, text: string): void {
    this.columns = count;
    const { label, columns, drop } = this.options;
    if (label !== undefined && label !== null) {
      this.labelIndex = this.column('label', label, line);
      if (count < 2) this.fail(line, `a label column needs at least one input column beside it${this.delimiterHint(text)}`);
    }
    const named = (c: number): string => (this.header ? `'${this.header[c]}'` : `${c}`);
    if (columns !== undefined) {
      this.inputIndex = columns.map((c) => this.column('input', c, line));
      const label = this.inputIndex.indexOf(this.labelIndex);
      if (label >= 0) this.fail(line, `column ${named(this.labelIndex)} is the label; it cannot also be an input`);
    } else {
      const dropped = new Set((drop ?? []).map((c) => this.column('dropped', c, line)));
      for (let c = 0; c < count; c++) {
        if (this.header && TIMESTAMP.test(this.header[c]) && c !== this.labelIndex && !dropped.has(c)) {
          dropped.add(c);
          this.dropped.push(this.header[c]);
        }
      }
      this.inputIndex = Array.from({ length: count }, (_, c) => c).filter((c) => c !== this.labelIndex && !dropped.has(c));
    }
    if (this.inputIndex.length === 0) this.fail(line, 'no input columns are left');
  }

  line(text: string, line: number): void {
    this.lastLine = line;
    const binary = binaryByte(text);
    if (binary) this.fail(line, `${binary}: this is not a text CSV file`);
    const trimmed = text.replace(/^[ \r]+|[ \r]+$/g, ''); // not tabs: a trailing tab is an empty last cell
    if (trimmed === '' || trimmed.startsWith('#')) return;
    this.delimiter ??= detectDelimiter(trimmed);
    const cells = trimmed.split(this.delimiter);
    if (!this.sawFirst) {
      this.sawFirst = true;
      // A header has a word outside the label column (label cells may be class words).
      const label = this.options.label;
      const labelAt = typeof label === 'number' ? (label < 0 ? cells.length + label : label) : -1;
      const isHeader =
        this.headerMode === true ||
        typeof label === 'string' ||
        (this.headerMode === 'auto' && cells.some((c, i) => i !== labelAt && parseNumber(c) === undefined && !this.options.classNames?.includes(c.trim())));
      if (isHeader) {
        this.header = cells.map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
        this.setColumns(cells.length, line, trimmed);
        return;
      }
      this.setColumns(cells.length, line, trimmed);
    }
    if (cells.length !== this.columns) {
      const labelNote = this.labelIndex >= 0 ? ` (${this.columns - 1} inputs + label)` : '';
      this.fail(line, `expected ${this.columns} columns${labelNote}, got ${cells.length}${this.delimiterHint(trimmed)}`);
    }
    const values = new Float32Array(this.inputIndex.length);
    for (let k = 0; k < this.inputIndex.length; k++) {
      const c = this.inputIndex[k];
      const v = parseNumber(cells[c]);
      const name = this.header ? ` ('${this.header[c]}')` : '';
      if (v === undefined || !Number.isFinite(v)) {
        this.fail(line, `column ${c + 1}${name} is not a number: ${JSON.stringify(cells[c])}${this.delimiterHint(trimmed)}`);
      }
      if (Math.abs(v) > F32_MAX) this.fail(line, `column ${c + 1}${name}: ${cells[c].trim()} does not fit a 32-bit float (largest 3.4e38)`);
      values[k] = v;
    }
    let label = UNLABELLED;
    let word: string | undefined;
    if (this.labelIndex >= 0) {
      word = cells[this.labelIndex].trim();
      label = parseLabel(word, this.options, (r) => this.fail(line, `column ${this.labelIndex + 1}: ${r}`));
    }
    this.builder.push(values, label, line, word);
  }

  finish(): FileDataset {
    const inputColumns = this.header ? this.inputIndex.map((c) => this.header![c]) : undefined;
    return this.builder.finish(this.file, this.options, this.lastLine, inputColumns, this.dropped);
  }
}

class JsonlParser {
  private readonly builder = new PackedBuilder();
  private inputSize: number;
  private lastLine = 0;

  constructor(
    private readonly file: string,
    private readonly options: JsonlOptions,
  ) {
    checkCommon(options);
    const { inputSize } = options;
    if (inputSize !== undefined && (!Number.isInteger(inputSize) || inputSize < 1)) {
      throw new TypeError(`options.inputSize must be a positive integer, got ${inputSize}`);
    }
    this.inputSize = inputSize ?? -1;
  }

  private fail(line: number, reason: string): never {
    throw new SampleFileError(this.file, line, reason);
  }

  line(text: string, line: number): void {
    this.lastLine = line;
    const binary = binaryByte(text);
    if (binary) this.fail(line, `${binary}: this is not a text JSONL file`);
    if (text.trim() === '') return;
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch (err) {
      this.fail(line, `not valid JSON (${(err as Error).message})`);
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      this.fail(line, 'expected an object like {"inputs":[...],"label":n}');
    }
    const { inputs, label } = record as { inputs?: unknown; label?: unknown };
    if (!Array.isArray(inputs)) this.fail(line, '"inputs" must be an array of numbers');
    if (this.inputSize < 0) {
      if (inputs.length === 0) this.fail(line, '"inputs" is empty');
      this.inputSize = inputs.length;
    }
    if (inputs.length !== this.inputSize) {
      this.fail(line, `"inputs" has ${inputs.length} values, expected ${this.inputSize}`);
    }
    const values = new Float32Array(inputs.length);
    for (let i = 0; i < inputs.length; i++) {
      const v = inputs[i];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        this.fail(line, `"inputs"[${i}] is not a finite number: ${JSON.stringify(v)}`);
      }
      if (Math.abs(v) > F32_MAX) this.fail(line, `"inputs"[${i}] = ${v} does not fit a 32-bit float (largest 3.4e38)`);
      values[i] = v;
    }
    const parsed = parseLabel(label, this.options, (r) => this.fail(line, r));
    this.builder.push(values, parsed, line, typeof label === 'string' ? label.trim() : undefined);
  }

  finish(): FileDataset {
    return this.builder.finish(this.file, this.options, this.lastLine, undefined);
  }
}

function parseText(parser: CsvParser | JsonlParser, text: string): FileDataset {
  if (typeof text !== 'string') throw new TypeError('text must be a string');
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((l, i) => parser.line(l.endsWith('\r') ? l.slice(0, -1) : l, i + 1));
  return parser.finish();
}

async function parseFile(parser: CsvParser | JsonlParser, path: string): Promise<FileDataset> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let n = 0;
  for await (const l of lines) parser.line(l, ++n);
  return parser.finish();
}

function checkPath(path: unknown): asserts path is string {
  if (typeof path !== 'string' || path === '') throw new TypeError('path must be a non-empty string');
}

/** Parses CSV text; `file` only names the text in error messages. */
export function parseCsv(text: string, options: CsvOptions = {}, file = '<csv>'): FileDataset {
  return parseText(new CsvParser(file, options), text);
}

/** Parses JSONL text; `file` only names the text in error messages. */
export function parseJsonl(text: string, options: JsonlOptions = {}, file = '<jsonl>'): FileDataset {
  return parseText(new JsonlParser(file, options), text);
}

/** Reads a CSV file line by line into a packed source. */
export async function loadCsv(path: string, options: CsvOptions = {}): Promise<FileDataset> {
  checkPath(path);
  return parseFile(new CsvParser(path, options), path);
}

/** Reads a JSONL file line by line into a packed source. */
export async function loadJsonl(path: string, options: JsonlOptions = {}): Promise<FileDataset> {
  checkPath(path);
  return parseFile(new JsonlParser(path, options), path);
}

/** Loads `.csv`, `.tsv` (tab-delimited), `.jsonl` or `.ndjson` by extension. */
export async function loadSampleFile(path: string, options: CsvOptions & JsonlOptions = {}): Promise<FileDataset> {
  checkPath(path);
  const ext = path.toLowerCase().match(/\.([a-z]+)$/)?.[1];
  switch (ext) {
    case 'csv':
      return loadCsv(path, options);
    case 'tsv':
      return loadCsv(path, { delimiter: '\t', ...options });
    case 'jsonl':
    case 'ndjson':
      return loadJsonl(path, options);
    default:
      throw new TypeError(`path must end in .csv, .tsv, .jsonl or .ndjson to pick a format, got ${path}`);
  }
}

/**
 * Windows of `window` consecutive rows, starting every `hop` rows (default:
 * `window`, no overlap), for files with one sensor reading per row. The
 * inputs of a window are its rows one after another (reading 0's columns,
 * then reading 1's, ...), the layout of the IMU windows. Label: the most
 * frequent label of the window's labelled rows; on a tie, the one of the
 * latest row among the tied (the window is closest to what comes next);
 * unlabelled when no row has a label. A last, shorter window is dropped.
 */
export function windowRows(data: FileDataset, window: number, hop = window): FileDataset {
  if (!Number.isInteger(window) || window < 1) throw new TypeError(`window must be a positive integer, got ${window}`);
  if (!Number.isInteger(hop) || hop < 1) throw new TypeError(`hop must be a positive integer, got ${hop}`);
  const { packed } = data;
  const d = packed.inputSize;
  const count = packed.count < window ? 0 : Math.floor((packed.count - window) / hop) + 1;
  if (count === 0) {
    throw new SampleFileError(data.file, data.lines[packed.count - 1] ?? 1, `${packed.count} rows make no window of ${window} rows`);
  }
  const inputs = new Float32Array(count * window * d);
  const labels = new Int32Array(count);
  const lines = new Int32Array(count);
  const votes = new Map<number, number>();
  for (let w = 0; w < count; w++) {
    const first = w * hop;
    inputs.set(packed.inputs.subarray(first * d, (first + window) * d), w * window * d);
    votes.clear();
    let label = UNLABELLED;
    let best = 0;
    for (let r = first; r < first + window; r++) {
      const l = packed.labels[r];
      if (l === UNLABELLED) continue;
      const n = (votes.get(l) ?? 0) + 1;
      votes.set(l, n);
      if (n >= best) {
        best = n;
        label = l;
      } // >=: a later row wins a tie
    }
    labels[w] = label;
    lines[w] = data.lines[first + window - 1];
  }
  const source = packedSource(
    { count, inputSize: window * d, inputs, labels },
    {
      name: data.name,
      classes: data.classes,
      ...(data.classNames ? { classNames: data.classNames } : {}),
    },
  );
  return Object.assign(source, {
    file: data.file,
    lines,
    windowed: { window, hop },
    ...(data.inputColumns ? { inputColumns: data.inputColumns } : {}),
    ...(data.droppedColumns ? { droppedColumns: data.droppedColumns } : {}),
    ...(data.namesFromFile ? { namesFromFile: true } : {}),
  });
}
