// Option-argument parsers for the commander programs of the scripts
// (host/bench/*.ts, host/compare/main.ts), and parsing as a library call: the
// scripts and `ffedge` share one way to read a command line (commander).
// A bad value throws commander's InvalidArgumentError, which commander reports
// with the option's name ("option '--epochs <n>' argument '-1' is invalid. ...").

import { CommanderError, InvalidArgumentError, type Command, type OptionValues } from 'commander';

/** An integer >= 0 ("--seed 0"). */
export function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('It must be an integer >= 0.');
  return n;
}

/** An integer >= 1 ("--rounds 3"). */
export function positiveInteger(value: string): number {
  const n = nonNegativeInteger(value);
  if (n < 1) throw new InvalidArgumentError('It must be an integer >= 1.');
  return n;
}

/** A finite number > 0 ("--budget 2.5"). */
export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('It must be a number > 0.');
  return n;
}

/** A comma-separated list, blanks dropped ("--rules ff,backprop"). */
export function commaList(value: string): string[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new InvalidArgumentError('It must name at least one item.');
  return items;
}

/**
 * Parses `args` (the user's arguments, without node and the script) with
 * `program` and returns its option values, printing nothing and exiting never:
 * a mistake throws a TypeError with commander's message and "see --help".
 * `program` should not have commander's own help option (declare --help as a
 * plain flag and print `program.helpInformation()` yourself).
 */
export function parseOptions<T extends OptionValues>(program: Command, args: readonly string[]): T {
  program
    .exitOverride()
    .showSuggestionAfterError(false)
    .configureOutput({ writeOut: () => {}, writeErr: () => {}, outputError: () => {} });
  try {
    program.parse([...args], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) throw new TypeError(`${e.message.replace(/^error: /, '')} (see --help)`);
    throw e;
  }
  return program.opts<T>();
}
