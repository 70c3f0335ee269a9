// Sample files with a task (or segment) column, for the task-column scenario.
//
//   CSV:   one column (by header name or 0-based index, negative from the end)
//          names each row's task; it is removed before the rest is read as
//          usual (sources/files.ts: inputs and a label column).
//   JSONL: a key of each object (default "task") names the row's task:
//          {"inputs":[...],"label":2,"task":"indoor"}
//
// Task values are compared as text; rows keep file order (a file is a stream).
//
// Non-goals: quoted CSV cells, files larger than memory.

import { readFile } from 'node:fs/promises';
import { parseCsv, parseJsonl, SampleFileError, type FileDataset } from '../sources/files.js';

export interface TaskFile {
  data: FileDataset;
  /** Task value of each row of `data`, in order. */
  tasks: string[];
}

const isData = (line: string): boolean => line.trim() !== '' && !line.trimStart().startsWith('#');

export function splitCsvTaskColumn(text: string, column: string, file = '<csv>'): { text: string; tasks: string[]; header: boolean } {
  const lines = text.split(/\r?\n/);
  const first = lines.findIndex(isData);
  if (first < 0) throw new SampleFileError(file, 1, 'no rows');
  const headerCells = lines[first]!.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
  const byIndex = /^-?\d+$/.test(column);
  let index = byIndex ? Number(column) : headerCells.indexOf(column);
  if (!byIndex && index < 0)
    throw new SampleFileError(file, first + 1, `no column named ${JSON.stringify(column)} for --task-column (header: ${headerCells.join(', ')})`);
  if (index < 0) index += headerCells.length;
  const header = !byIndex || headerCells.some((c) => c !== '' && !Number.isFinite(Number(c)));
  const tasks: string[] = [];
  const out = lines.map((line, i) => {
    if (!isData(line)) return line;
    const cells = line.split(',');
    if (index >= cells.length) throw new SampleFileError(file, i + 1, `has ${cells.length} cells, no task column ${index}`);
    const [task] = cells.splice(index, 1);
    if (!(header && i === first)) tasks.push(task!.trim());
    return cells.join(',');
  });
  return { text: out.join('\n'), tasks, header };
}

export async function loadTaskFile(
  path: string,
  column: string,
  options: { label?: string | number | null; classNames?: readonly string[] } = {},
): Promise<TaskFile> {
  const text = await readFile(path, 'utf8');
  const common = options.classNames ? { classNames: options.classNames } : {};
  if (path.endsWith('.jsonl')) {
    const tasks: string[] = [];
    text.split(/\r?\n/).forEach((line, i) => {
      if (line.trim() === '') return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        return;
      } // parseJsonl reports it with the line number
      const task = (value as Record<string, unknown> | null)?.[column];
      if (task === undefined || task === null) throw new SampleFileError(path, i + 1, `has no "${column}" (the --task-column key)`);
      tasks.push(String(task));
    });
    return { data: parseJsonl(text, common, path), tasks };
  }
  const split = splitCsvTaskColumn(text, column, path);
  const label = options.label === undefined ? -1 : options.label;
  const data = parseCsv(split.text, { ...common, label, header: split.header }, path);
  if (data.packed.count !== split.tasks.length) throw new SampleFileError(path, 0, `read ${data.packed.count} rows but ${split.tasks.length} task values`);
  return { data, tasks: split.tasks };
}
