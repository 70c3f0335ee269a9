// The rule-comparison harness (papers/004): compareRules() and its outputs,
// and the representation metrics it uses. `ffedge compare` and
// `npm run compare` (dist/host/compare/main.js) run it.
export * from './compare.js';
export * from './metrics.js';
export { parseArgs } from './main.js';
