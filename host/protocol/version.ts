// The wire protocol's version (docs/protocol.md §8), in a file of its own so
// the error texts (errors.ts) and the framing (frame.ts) share it.
// v2: GOODNESS carries the prequential prediction and a drift flag (§5.8).
// v3: SAMPLE_PART / INFER_PART, a sample in slices for noisy links (§5.3a).
export const PROTOCOL_VERSION = 3;
