/*
 * fatal-report.c: a trap or a fault becomes an ERROR(DEVICE_TRAP) frame on the
 * link. The frames come pre-encoded from the host's codec (fatal-frames.h), so
 * this file only picks one and writes it: no COBS or CRC code on the device.
 */
#include "fatal-report.h"

#include "fatal-frames.h"
#include "platform.h"

static void send(uint32_t index) {
  const ffedge_fatal_frame_t* frame = &ffedge_fatal_frames[index];
  /* One write of 0x00 + frame, so a relay (socat EXEC, a pipe) gets the whole
   * report before it notices the program has gone. */
  uint8_t report[1 + FFEDGE_FATAL_FRAME_MAX];
  report[0] = 0x00;
  for (uint32_t i = 0; i < frame->length; i++) report[1 + i] = ffedge_fatal_bytes[frame->offset + i];
  ffedge_platform_write(1, report, 1u + frame->length);
}

void ffedge_report_trap(uint32_t trap) {
  send(trap < FFEDGE_FATAL_TRAP_COUNT ? trap : 0);
}

void ffedge_report_fault(uint32_t exception) {
  uint32_t wanted = FFEDGE_FATAL_FAULT_BASE + (exception >= 16 ? 16 : exception);
  uint32_t index = FFEDGE_FATAL_TRAP_COUNT; /* "fault: unknown" (detail 256 + 0) */
  for (uint32_t i = FFEDGE_FATAL_TRAP_COUNT; i < FFEDGE_FATAL_FRAME_COUNT; i++) {
    if (ffedge_fatal_frames[i].detail == wanted) index = i;
  }
  send(index);
}
