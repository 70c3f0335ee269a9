// The streaming session's public API (import from here): the Session facade,
// its types and errors, the host-side arena check, training runs and
// checkpoint files. The link engine (link.ts), pipeline, replies and log
// records are internal to this folder.

export { Session } from './session.js';
export type {
  Checkpoint,
  ConfigureResult,
  DeviceCounters,
  DeviceInfo,
  EvalResult,
  FragmentMode,
  FragmentStats,
  LinkStats,
  PredictionResult,
  PredictMode,
  RecordSink,
  SessionOptions,
  StreamOptions,
  StreamSummary,
  TrainResult,
} from './types.js';
export { DeviceDisconnectedError, DeviceTimeoutError, LinkTooLossyError, SessionClosedError } from './errors.js';
export { arenaLowerBound, type ArenaLowerBound } from './arena.js';
export { runStream, type RunPlan, type RunResult } from './run.js';
export { CheckpointFileError, readCheckpointFile, writeCheckpointFile, type CheckpointFile } from './checkpoint-file.js';
