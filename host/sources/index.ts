// Sample sources for the host: one import for the session and the CLI.
export * from './sample.js';
export * from './prng.js';
export * from './mnist.js';
export * from './files.js';
export * from './serial-sensor.js';
export * from './imu-gestures.js';
