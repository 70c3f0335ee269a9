// Goodness log tooling: one import for the session and the CLI.
export * from './records.js';
export * from './jsonl-writer.js';
export * from './export-csv.js';
export * from './summary.js';
export * from './plot-svg.js';
export * from './live-dashboard.js';
