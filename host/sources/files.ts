// Sample files: CSV and JSONL, loaded into packed arrays.
//
// CSV: one sample per line, numeric cells separated by `delimiter` (default
// ","), an optional header line, and optionally one label column chosen by
// name (needs a header) or 0-based index (negative counts from the end, -1 =
// last). Every other column is an input, in file order. Blank lines and lines
// starting with '#' are skipped. Cells are plain numbers (no quoting, no
// embedded delimiters); header names may be wrapped in double quotes.
//
// JSONL: one `{"inputs": [numbers], "label": n}` object per line; `label` may
// be omitted (unlabelled).
//
// Labels are integers 0..classes-1, -1 (or an empty CSV cell / absent JSON
// label) for unlabelled, or one of `classNames` spelled out.
//
// Errors in the data throw `SampleFileError` carrying the file and 1-based line
// number; bad arguments throw `TypeError` naming the argument.
//
// Non-goals: quoted CSV with text columns, files larger than memory.

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
  /** One-character cell separator; default ','. */
  delimiter?: string;
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
      throw new TypeError(
        `options.classes (${options.classes}) disagrees with options.classNames (${options.classNames.length} names)`,
      );
    }
  }
}

/** Growable packed storage shared by both formats. */
class PackedBuilder {
  private inputs = new Float32Array(1024);
  private labels = new Int32Array(64);
  count = 0;
  maxLabel = -1;
  inputSize = 0;

  push(values: ArrayLike<number>, label: number): void {
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
    }
    this.inputs.set(values, this.count * this.inputSize);
    this.labels[this.count] = label;
    this.count++;
    if (label > this.maxLabel) this.maxLabel = label;
  }

  finish(
    file: string,
    options: CommonOptions,
    lastLine: number,
    inputColumns: readonly string[] | undefined,
  ): FileDataset {
    if (this.count === 0) throw new SampleFileError(file, lastLine, 'no samples in file');
    const classes = options.classes ?? options.classNames?.length ?? this.maxLabel + 1;
    const packed = {
      count: this.count,
      inputSize: this.inputSize,
      inputs: this.inputs.slice(0, this.count * this.inputSize),
      labels: this.labels.slice(0, this.count),
    };
    const source = packedSource(packed, {
      name: options.name ?? file,
      classes,
      ...(options.classNames !== undefined ? { classNames: options.classNames } : {}),
    });
    return Object.assign(source, { file }, inputColumns !== undefined ? { inputColumns } : {});
  }
}

/** Shared label rule: integer -1..classes-1, empty = unlabelled, or a class name. */
function parseLabel(
  raw: unknown,
  options: CommonOptions,
  fail: (reason: string) => never,
): number {
  if (raw === undefined || raw === null || raw === '') return UNLABELLED;
  let label: number;
  if (typeof raw === 'number') {
    label = raw;
  } else if (typeof raw === 'string') {
    const named = options.classNames?.indexOf(raw.trim()) ?? -1;
    if (named >= 0) return named;
    const n = parseNumber(raw);
    if (n === undefined) {
      const names = options.classNames ? ` or one of ${options.classNames.join(', ')}` : '';
      fail(`label ${JSON.stringify(raw)} is not an integer${names}`);
    }
    label = n;
  } else {
    fail(`label must be a number, got ${JSON.stringify(raw)}`);
  }
  if (!Number.isInteger(label) || label < UNLABELLED) {
    fail(`label ${label} is not an integer >= -1 (-1 = unlabelled)`);
  }
  const classes = options.classes ?? options.classNames?.length;
  if (classes !== undefined && label >= classes) fail(`label ${label} is not below classes = ${classes}`);
  return label;
}

/** Parses CSV lines one at a time; used by both the string and the file loader. */
class CsvParser {
  private readonly builder = new PackedBuilder();
  private readonly delimiter: string;
  private readonly headerMode: boolean | 'auto';
  private sawFirst = false;
  private columns = -1;
  private labelIndex = -1;
  private header: string[] | undefined;
  private lastLine = 0;

  constructor(
    private readonly file: string,
    private readonly options: CsvOptions,
  ) {
    checkCommon(options);
    const { header = 'auto', label, delimiter = ',' } = options;
    if (header !== true && header !== false && header !== 'auto') {
      throw new TypeError(`options.header must be true, false or 'auto', got ${JSON.stringify(header)}`);
    }
    if (typeof delimiter !== 'string' || delimiter.length !== 1 || /[0-9.+\-eE\r\n]/.test(delimiter)) {
      throw new TypeError(`options.delimiter must be one character that cannot appear in a number, got ${JSON.stringify(delimiter)}`);
    }
    if (label !== undefined && label !== null && typeof label !== 'string' && !Number.isInteger(label)) {
      throw new TypeError(`options.label must be a column name, an integer index or null, got ${JSON.stringify(label)}`);
    }
    if (typeof label === 'string' && header === false) {
      throw new TypeError(`options.label names a column ('${label}') but options.header is false; use an index`);
    }
    this.delimiter = delimiter;
    this.headerMode = header;
  }

  private fail(line: number, reason: string): never {
    throw new SampleFileError(this.file, line, reason);
  }

  private setColumns(count: number, line: number): void {
    this.columns = count;
    const { label } = this.options;
    if (label === undefined || label === null) return;
    if (typeof label === 'string') {
      const at = this.header?.indexOf(label) ?? -1;
      if (at < 0) {
        this.fail(line, `no label column named '${label}'; columns are: ${(this.header ?? []).join(', ')}`);
      }
      this.labelIndex = at;
    } else {
      const at = label < 0 ? count + label : label;
      if (at < 0 || at >= count) this.fail(line, `label column index ${label} does not exist; rows have ${count} columns`);
      this.labelIndex = at;
    }
    if (count < 2) this.fail(line, 'a label column needs at least one input column beside it');
  }

  line(text: string, line: number): void {
    this.lastLine = line;
    const trimmed = text.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const cells = trimmed.split(this.delimiter);
    if (!this.sawFirst) {
      this.sawFirst = true;
      const isHeader =
        this.headerMode === true ||
        (this.headerMode === 'auto' &&
          cells.some((c) => parseNumber(c) === undefined && !this.options.classNames?.includes(c.trim())));
      if (isHeader) {
        this.header = cells.map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
        this.setColumns(cells.length, line);
        return;
      }
      this.setColumns(cells.length, line);
    }
    if (cells.length !== this.columns) {
      const labelNote = this.labelIndex >= 0 ? ` (${this.columns - 1} inputs + label)` : '';
      this.fail(line, `expected ${this.columns} columns${labelNote}, got ${cells.length}`);
    }
    const values = new Float32Array(this.labelIndex >= 0 ? this.columns - 1 : this.columns);
    let label = UNLABELLED;
    let k = 0;
    for (let c = 0; c < cells.length; c++) {
      if (c === this.labelIndex) {
        label = parseLabel(cells[c].trim(), this.options, (r) => this.fail(line, `column ${c + 1}: ${r}`));
        continue;
      }
      const v = parseNumber(cells[c]);
      if (v === undefined || !Number.isFinite(v)) {
        const name = this.header ? ` ('${this.header[c]}')` : '';
        this.fail(line, `column ${c + 1}${name} is not a number: ${JSON.stringify(cells[c])}`);
      }
      values[k++] = v;
    }
    this.builder.push(values, label);
  }

  finish(): FileDataset {
    const inputColumns = this.header?.filter((_, c) => c !== this.labelIndex);
    return this.builder.finish(this.file, this.options, this.lastLine, inputColumns);
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
      values[i] = v;
    }
    this.builder.push(values, parseLabel(label, this.options, (r) => this.fail(line, r)));
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
