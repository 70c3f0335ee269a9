// The ff-edge wire protocol, host side. Spec: docs/protocol.md.
export * from './errors.js';
export * from './crc32.js';
export * from './cobs.js';
export * from './frame.js';
export * from './messages.js';
export * from './window.js';
