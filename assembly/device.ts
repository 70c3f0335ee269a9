// build/ff-device.wasm: the device program. A WASI preview1 command whose
// fd 0 / fd 1 are the serial link: it reads protocol frames (docs/protocol.md)
// from fd 0, trains or predicts with the learner, and writes replies to fd 1.
// Imports only fd_read, fd_write and proc_exit, so a firmware target's C shim
// provides them over a UART or a tty (firmware-targets/*).
//
// Each SAMPLE is trained as it arrives (a batch of one: the on-device case).
// An embedder may set, before _start:
//   ram_limit_bytes  linear-memory bytes really available (0 = no limit);
//                    configs that need more are refused with the numbers;
//   runtime_kind     which target runs this (names below), for HELLO.
//
// Non-goals: buffering more than one request; threads; clocks.

import { configure, arenaBytes, setMemoryLimit } from "./learner/configure";
import { train, predict, weightsLoaded, unconfigure, stagingArea, restartOptimizer } from "./learner/learner";
import { errorDetail, fail, ERR_NOT_CONFIGURED, ERR_CONFIG_LENGTH, ERR_SAMPLE_KIND, ERR_SNAPSHOT_MISMATCH } from "./learner/errors";
import {
  snapshotApply, snapshotBeginRestore, snapshotBytes, snapshotCapture, snapshotCrc, snapshotRead, snapshotWrite,
} from "./learner/snapshot";
import { configArea, CONFIG_MAX_BYTES, Optimizer } from "./learner/config";
import { inputs, labels, params, paramsBytes, stateOffset, stats, scores, arenaBase, STATS_HEADER, STATS_FIELDS } from "./learner/arena";
import { configured, inputSize, classes, layerCount, steps } from "./learner/state";
import { optimizerKind } from "./learner/optimizer";
import { samplePrediction, sampleDrift } from "./learner/continual";
import { crc32Update } from "./protocol/crc32";
import { ERR_NONE, ERR_UNKNOWN_TYPE, ERR_SAMPLE_LENGTH, ERR_CHECKPOINT_SEQUENCE, ERR_PART_ORDER } from "./protocol/errors";
import { MAX_PAYLOAD, rxPayload, rxPayloadLength, rxPush, rxReset, rxSeq, rxType, RX_FRAME, txBegin, txFinish, txFrame } from "./protocol/frame";
import {
  ACK_APPLIED, checkRequest, checkpointGetMaxLength, checkpointGetOffset, checkpointGetIsState, chunkIsState, chunkOffset,
  chunkTotal, chunkData, chunkLength, writeChunkHead, CHUNK_FIXED, CHUNK_STATE,
  MSG_ACK, MSG_CHECKPOINT_DATA, MSG_CHECKPOINT_GET, MSG_CHECKPOINT_PUT, MSG_CONFIG_OK, MSG_CONFIGURE,
  MSG_ERROR, MSG_GOODNESS, MSG_HELLO, MSG_INFER, MSG_INFER_PART, MSG_PREDICTION, MSG_RESET, MSG_SAMPLE, MSG_SAMPLE_PART,
  partFirst, partToF32, partTotal, SAMPLE_NEGATIVE, SAMPLE_UNLABELLED, GOODNESS_DRIFT, sampleCount, sampleKind, sampleLabel, sampleToF32, writeAck, writeCheckpointData,
  writeConfigOk, writeGoodness, writeHello, writePrediction, writeProtocolError, writeErrorString,
} from "./protocol/messages";
import { linkNextExpected, linkReset, WINDOW } from "./protocol/link";
import {
  CHECKPOINT_COMPLETE, CHECKPOINT_MORE, checkpointChunkFits, checkpointChunkStored, checkpointPutChunk, checkpointReset,
} from "./protocol/checkpoint";
import { CHECKPOINT_CHUNK_MAX, serveApplied, serveBoot, serveFrame, serveHelloSeq, servedReply, SERVE_APPLY, SERVE_HELLO } from "./protocol/serve";

// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_read")
declare function fd_read(fd: u32, iovs: usize, iovsLength: u32, read: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_write")
declare function fd_write(fd: u32, iovs: usize, iovsLength: u32, written: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "proc_exit")
declare function proc_exit(code: u32): void;

/** Set by the embedder before _start: usable linear-memory bytes (0 = no limit). */
export let ram_limit_bytes: u32 = 0;
/** Set by the embedder before _start: 0 wasi, 1 linux-edge, 2 cortex-m4, 3 riscv32, 4 cortex-m0. */
export let runtime_kind: u32 = 0;
/** Set by the embedder before _start (tests only): the link's first sequence number (HELLO.nextExpected). */
export let link_first_seq: u32 = 0;

/** (ABI 1 << 16) | protocol 3: HELLO's buildId names what this program speaks. */
const BUILD_ID: u32 = 0x00010003;
const READ_CHUNK: i32 = 256;
const readBuffer: usize = memory.data(READ_CHUNK, 16);
const iovec: usize = memory.data(16, 16); // { buf, len } + result word
const DELIMITER: usize = memory.data<u8>([0x00]); // frame delimiter (docs/protocol.md §2)
const NAME_WASI = memory.data<u8>([0x66, 0x66, 0x2d, 0x65, 0x64, 0x67, 0x65, 0x2f, 0x77, 0x61, 0x73, 0x69]); // "ff-edge/wasi"
const NAME_LINUX = memory.data<u8>([0x66, 0x66, 0x2d, 0x65, 0x64, 0x67, 0x65, 0x2f, 0x6c, 0x69, 0x6e, 0x75, 0x78, 0x2d, 0x65, 0x64, 0x67, 0x65]); // "ff-edge/linux-edge"
const NAME_M4 = memory.data<u8>([0x66, 0x66, 0x2d, 0x65, 0x64, 0x67, 0x65, 0x2f, 0x63, 0x6f, 0x72, 0x74, 0x65, 0x78, 0x2d, 0x6d, 0x34]); // "ff-edge/cortex-m4"
const NAME_RV32 = memory.data<u8>([0x66, 0x66, 0x2d, 0x65, 0x64, 0x67, 0x65, 0x2f, 0x72, 0x69, 0x73, 0x63, 0x76, 0x33, 0x32]); // "ff-edge/riscv32"
const NAME_M0 = memory.data<u8>([0x66, 0x66, 0x2d, 0x65, 0x64, 0x67, 0x65, 0x2f, 0x63, 0x6f, 0x72, 0x74, 0x65, 0x78, 0x2d, 0x6d, 0x30]); // "ff-edge/cortex-m0"

// Weights and snapshot CRCs are costly for a large model: computed once per
// version of the learner's state (stateChanged() forgets them).
let weightsCrc: u32 = 0;
let weightsCrcValid: bool = false;
let snapshotCrcValue: u32 = 0;
let snapshotCrcValid: bool = false;
// A weights CHECKPOINT_PUT stages into the optimizer state (learner.ts:
// stagingArea); a snapshot PUT writes in place (learner/snapshot.ts).
const STAGING_NONE: i32 = 0;
const STAGING_WEIGHTS: i32 = 1;
const STAGING_SNAPSHOT: i32 = 2;
let staging: i32 = STAGING_NONE;
let snapshotTotal: u32 = 0;

function stateChanged(): void {
  weightsCrcValid = false;
  snapshotCrcValid = false;
}
// The sample whose parts (SAMPLE_PART / INFER_PART, docs/protocol.md §5.3a) are
// arriving: its values go straight into input row 0, no reassembly buffer.
// partNext = 0: none in progress.
let partNext: u32 = 0;
let partType: u32 = 0;
let partKindLabel: u32 = 0;
let partTotalValues: u32 = 0;

/** Writes all bytes to fd 1 or exits (a link that cannot be written is gone). */
function writeAll(ptr: usize, length: i32): void {
  while (length > 0) {
    store<usize>(iovec, ptr);
    store<u32>(iovec + sizeof<usize>(), <u32>length);
    const errno = fd_write(1, iovec, 1, iovec + 8);
    if (errno != 0) proc_exit(100 + <u32>errno);
    const n = load<u32>(iovec + 8);
    ptr += n;
    length -= <i32>n;
  }
}

function memoryLimit(): u32 {
  return ram_limit_bytes != 0 ? ram_limit_bytes : 0xffff0000;
}

function arenaFree(): u32 {
  const used = configured ? <u32>arenaBase + <u32>arenaBytes() : <u32>__heap_base;
  const limit = memoryLimit();
  return limit > used ? limit - used : 0;
}

function hello(seq: u32): i32 {
  let name = NAME_WASI;
  let length = 12;
  if (runtime_kind == 1) { name = NAME_LINUX; length = 18; }
  else if (runtime_kind == 2) { name = NAME_M4; length = 17; }
  else if (runtime_kind == 3) { name = NAME_RV32; length = 15; }
  else if (runtime_kind == 4) { name = NAME_M0; length = 17; }
  return txFinish(writeHello(txBegin(MSG_HELLO, seq), WINDOW, MAX_PAYLOAD, arenaFree(), BUILD_ID, linkNextExpected(), name, length));
}

function learnerError(seq: u32, code: i32): i32 {
  return txFinish(writeErrorString(txBegin(MSG_ERROR, seq), <u32>code, <u32>errorDetail(), "learner refused"));
}

function endStaging(): void {
  if (staging == STAGING_NONE) return;
  checkpointReset();
  // A broken weights transfer leaves the optimizer state overwritten: restart
  // it. A broken snapshot leaves the learner unconfigured (snapshot.ts).
  if (staging == STAGING_WEIGHTS) restartOptimizer();
  staging = STAGING_NONE;
}

/** One snapshot CHECKPOINT_PUT chunk (docs/protocol.md §5.13); returns the reply's length. */
function putSnapshot(seq: u32, p: usize, length: i32): i32 {
  if (chunkOffset(p) == 0) {
    if (!configured) return txFinish(writeErrorString(txBegin(MSG_ERROR, seq), ERR_NOT_CONFIGURED, 0, "configure first"));
    endStaging();
    const want = snapshotBytes();
    if (chunkTotal(p) != want) return learnerError(seq, fail(ERR_SNAPSHOT_MISMATCH, <i32>want));
    snapshotTotal = want;
    snapshotBeginRestore();
    staging = STAGING_SNAPSHOT;
  } else if (staging != STAGING_SNAPSHOT) {
    return txFinish(writeProtocolError(txBegin(MSG_ERROR, seq), ERR_CHECKPOINT_SEQUENCE, 0));
  }
  stateChanged();
  if (!checkpointChunkFits(p, snapshotTotal)) {
    endStaging();
    return txFinish(writeProtocolError(txBegin(MSG_ERROR, seq), ERR_CHECKPOINT_SEQUENCE, 0));
  }
  snapshotWrite(chunkOffset(p), chunkData(p), <u32>chunkLength(length));
  const result = checkpointChunkStored(p, length);
  if (result == CHECKPOINT_MORE) return txFinish(writeAck(txBegin(MSG_ACK, seq), (seq + 1) & 0xffff, ACK_APPLIED));
  staging = STAGING_NONE;
  checkpointReset();
  if (result != CHECKPOINT_COMPLETE) return txFinish(writeProtocolError(txBegin(MSG_ERROR, seq), <u32>result, 0));
  const status = snapshotApply();
  if (status != 0) return learnerError(seq, status);
  return txFinish(writeAck(txBegin(MSG_ACK, seq), (seq + 1) & 0xffff, ACK_APPLIED));
}

/** One snapshot CHECKPOINT_DATA chunk at `offset`, at most `maxLength` bytes. */
function getSnapshot(seq: u32, offset: u32, maxLength: u32): i32 {
  const total = snapshotBytes();
  if (offset > total) offset = total;
  let n = maxLength;
  if (n > <u32>CHECKPOINT_CHUNK_MAX) n = <u32>CHECKPOINT_CHUNK_MAX;
  if (n > total - offset) n = total - offset;
  if (!snapshotCrcValid) {
    snapshotCapture();
    snapshotCrcValue = snapshotCrc();
    snapshotCrcValid = true;
  }
  const q = txBegin(MSG_CHECKPOINT_DATA, seq);
  const m = writeChunkHead(q, offset | CHUNK_STATE, total, snapshotCrcValue, <i32>n);
  snapshotRead(offset, q + <usize>CHUNK_FIXED, <u32>m);
  return txFinish(CHUNK_FIXED + m);
}

/** Decodes a SAMPLE/INFER payload into input row 0; returns 0 or an error frame length. */
function loadSample(seq: u32, p: usize): i32 {
  if (!configured) return txFinish(writeErrorString(txBegin(MSG_ERROR, seq), ERR_NOT_CONFIGURED, 0, "configure first"));
  if (<i32>sampleCount(p) != inputSize) return txFinish(writeProtocolError(txBegin(MSG_ERROR, seq), ERR_SAMPLE_LENGTH, <u32>inputSize));
  sampleToF32(p, inputs);
  return 0;
}

/** Trains on the sample in input row 0 (kind and label from the SAMPLE-layout payload p); the reply's length. */
function trainLoaded(seq: u32, p: usize): i32 {
  const kind = sampleKind(p);
  if (kind == SAMPLE_NEGATIVE) {
    return txFinish(writeErrorString(txBegin(MSG_ERROR, seq), ERR_SAMPLE_KIND, kind, "explicit negatives not trained"));
  }
  endStaging();
  store<i32>(labels, kind == SAMPLE_UNLABELLED ? -1 : sampleLabel(p));
  stateChanged();
  const status = train(1);
  if (status != 0) return learnerError(seq, status);
  return txFinish(writeGoodness(txBegin(MSG_GOODNESS, seq), seq, steps, <u32>layerCount, <u32>STATS_FIELDS,
    stats + <usize>STATS_HEADER * sizeof<f32>(), samplePrediction(), sampleDrift() ? GOODNESS_DRIFT : 0));
}

/** Predicts the sample in input row 0 (INFER kind from p: 0 goodness, 1 softmax head); the reply's length. */
function inferLoaded(seq: u32, p: usize): i32 {
  snapshotCrcValid = false; // the scratch rows change; the weights do not
  const label = predict(0, <i32>sampleKind(p)); // INFER kind: 0 goodness, 1 softmax head
  if (label < 0) return learnerError(seq, -label);
  return txFinish(writePrediction(txBegin(MSG_PREDICTION, seq), label, <u32>classes, scores));
}

/**
 * SAMPLE_PART / INFER_PART (docs/protocol.md §5.3a): writes the slice into
 * input row 0 at [first, first + n). Parts of one sample are consecutive
 * requests with the same type, kind, label and total, first = 0, then each
 * the index after the last; anything else is ERR_PART_ORDER and drops the
 * sample. The last part trains (predicts) as SAMPLE (INFER) does.
 */
function applyPart(type: u32, seq: u32, p: usize, length: i32): i32 {
  if (!configured) return txFinish(writeErrorString(txBegin(MSG_ERROR, seq), ERR_NOT_CONFIGURED, 0, "configure first"));
  const first = partFirst(p);
  const total = partTotal(p);
  const kindLabel = load<u32>(p); // kind u8 | encoding u8 | label i16: the encoding may change per part
  if (first == 0) {
    partNext = 0;
    if (<i32>total != inputSize) return txFinish(writeProtocolError(txBegin(MSG_ERROR, seq), ERR_SAMPLE_LENGTH, <u32>inputSize));
    partType = type;
    partKindLabel = kindLabel & 0xffff00ff;
    partTotalValues = total;
  } else if (first != partNext || type != partType || (kindLabel & 0xffff00ff) != partKindLabel || total != partTotalValues) {
    const expected = partNext;
    partNext = 0;
    return txFinish(writeProtocolError(txBegin(MSG_ERROR, seq), ERR_PART_ORDER, expected));
  }
  partNext = first + partToF32(p, length, inputs + (<usize>first << alignof<f32>()));
  if (partNext < total) return txFinish(writeAck(txBegin(MSG_ACK, seq), (seq + 1) & 0xffff, ACK_APPLIED));
  partNext = 0;
  return type == MSG_SAMPLE_PART ? trainLoaded(seq, p) : inferLoaded(seq, p);
}

/** Applies the in-order request; returns the reply frame's length. */
function apply(type: u32, seq: u32, p: usize, length: i32): i32 {
  const invalid = checkRequest(type, p, length);
  if (type != MSG_SAMPLE_PART && type != MSG_INFER_PART) partNext = 0; // parts of one sample are consecutive
  if (invalid != ERR_NONE) {
    partNext = 0;
    return txFinish(writeProtocolError(txBegin(MSG_ERROR, seq), <u32>invalid, 0));
  }
  switch (type) {
  case MSG_SAMPLE_PART:
  case MSG_INFER_PART: return applyPart(type, seq, p, length);
  case MSG_CONFIGURE: {
    endStaging();
    stateChanged();
    if (length > CONFIG_MAX_BYTES) {
      return txFinish(writeErrorString(txBegin(MSG_ERROR, seq), ERR_CONFIG_LENGTH, <u32>CONFIG_MAX_BYTES, "config too long"));
    }
    memory.copy(configArea, p, <usize>length);
    const status = configure(length);
    if (status != 0) return learnerError(seq, status);
    return txFinish(writeConfigOk(txBegin(MSG_CONFIG_OK, seq), <u32>arenaBytes(), arenaFree()));
  }
  case MSG_SAMPLE: {
    const refused = loadSample(seq, p);
    if (refused != 0) return refused;
    return trainLoaded(seq, p);
  }
  case MSG_INFER: {
    const refused = loadSample(seq, p);
    if (refused != 0) return refused;
    return inferLoaded(seq, p);
  }
  case MSG_CHECKPOINT_GET: {
    if (!configured) return txFinish(writeErrorString(txBegin(MSG_ERROR, seq), ERR_NOT_CONFIGURED, 0, "configure first"));
    endStaging();
    if (checkpointGetIsState(p)) return getSnapshot(seq, checkpointGetOffset(p), checkpointGetMaxLength(p));
    const total = <u32>paramsBytes;
    let offset = checkpointGetOffset(p);
    if (offset > total) offset = total;
    let n = <u32>checkpointGetMaxLength(p);
    if (n > <u32>CHECKPOINT_CHUNK_MAX) n = <u32>CHECKPOINT_CHUNK_MAX;
    if (n > total - offset) n = total - offset;
    if (!weightsCrcValid) {
      weightsCrc = crc32Update(0, params, <i32>total);
      weightsCrcValid = true;
    }
    return txFinish(writeCheckpointData(txBegin(MSG_CHECKPOINT_DATA, seq), offset, total, weightsCrc, params + <usize>offset, <i32>n));
  }
  case MSG_CHECKPOINT_PUT: {
    if (chunkIsState(p)) return putSnapshot(seq, p, length);
    if (!configured) return txFinish(writeErrorString(txBegin(MSG_ERROR, seq), ERR_NOT_CONFIGURED, 0, "configure first"));
    const capacity = <u32>stateOffset * (optimizerKind == Optimizer.ADAM ? 2 : 1);
    if (staging == STAGING_SNAPSHOT) endStaging();
    staging = STAGING_WEIGHTS;
    const result = checkpointPutChunk(p, length, stagingArea(), capacity);
    if (result == CHECKPOINT_MORE) return txFinish(writeAck(txBegin(MSG_ACK, seq), (seq + 1) & 0xffff, ACK_APPLIED));
    if (result != CHECKPOINT_COMPLETE) {
      endStaging();
      return txFinish(writeProtocolError(txBegin(MSG_ERROR, seq), <u32>result, 0));
    }
    const total = load<u32>(p, 4);
    if (total != <u32>paramsBytes) {
      endStaging();
      return learnerError(seq, weightsLoaded(<i32>total)); // ERR_WEIGHTS_LENGTH with the size expected
    }
    memory.copy(params, stagingArea(), paramsBytes);
    staging = STAGING_NONE;
    checkpointReset();
    weightsLoaded(<i32>total);
    stateChanged();
    return txFinish(writeAck(txBegin(MSG_ACK, seq), (seq + 1) & 0xffff, ACK_APPLIED));
  }
  case MSG_RESET: {
    endStaging();
    unconfigure();
    checkpointReset();
    stateChanged();
    return txFinish(writeAck(txBegin(MSG_ACK, seq), (seq + 1) & 0xffff, ACK_APPLIED));
  }
  default: return txFinish(writeProtocolError(txBegin(MSG_ERROR, seq), ERR_UNKNOWN_TYPE, type));
  }
}

function onFrame(): void {
  let n = serveFrame();
  if (n == SERVE_HELLO) n = hello(serveHelloSeq());
  else if (n == SERVE_APPLY) n = serveApplied(apply(rxType(), rxSeq(), rxPayload(), rxPayloadLength()));
  writeAll(servedReply(), n);
}

export function _start(): void {
  setMemoryLimit(ram_limit_bytes);
  rxReset();
  linkReset(link_first_seq);
  checkpointReset();
  serveBoot();
  // A 0x00 first ends any partial frame the host holds from before a reset, so
  // the boot HELLO is not glued to it; to a host with none it is an empty
  // frame, ignored (docs/protocol.md §2).
  writeAll(DELIMITER, 1);
  writeAll(txFrame(), hello(0)); // unprompted HELLO at boot
  while (true) {
    store<usize>(iovec, readBuffer);
    store<u32>(iovec + sizeof<usize>(), <u32>READ_CHUNK);
    const errno = fd_read(0, iovec, 1, iovec + 8);
    if (errno != 0) proc_exit(100 + <u32>errno);
    const n = load<u32>(iovec + 8);
    if (n == 0) return; // end of input: the link closed
    for (let i: u32 = 0; i < n; i++) {
      if (rxPush(<u32>load<u8>(readBuffer + <usize>i)) == RX_FRAME) onFrame();
    }
  }
}
