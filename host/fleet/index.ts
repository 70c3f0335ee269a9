// The fleet's public API: topics and payloads, broker helpers, device runner,
// coordinator, federated averaging, data split, live view.
export * from './topics.js';
export * from './broker.js';
export * from './chunks.js';
export * from './fedavg.js';
export * from './split.js';
export * from './data.js';
export { DeviceRunner, type DeviceRunnerOptions, type RunnerCounts } from './device-runner.js';
export { Coordinator, CoordinatorError, type CoordinatorOptions, type RoundResult } from './coordinator.js';
export { FleetView, watchFleet, type DeviceView, type FleetViewState } from './fleet-view.js';
export { FleetProgress, renderFleet } from './progress.js';
export { serveFleetPage, renderBody, type FleetPageServer } from './live-page.js';
export { runLocalFleet, parseDevices, openDevice, averageEvaluator, type DeviceSpec, type LocalFleetOptions, type LocalFleetResult } from './local-fleet.js';
