/*
 * fatal-report.h: how a fatal condition (a wasm trap, a CPU fault) reaches
 * the host. This is the ONE hook to change when the wire protocol exists:
 * replace the body of ffedge_report_fatal() with the bytes of an ERROR frame.
 */
#ifndef FFEDGE_FATAL_REPORT_H
#define FFEDGE_FATAL_REPORT_H

#include <stdint.h>

/*
 * Writes, on the serial link (fd 1), with polled output that needs no
 * interrupts or wasm memory:
 *
 *   0x00 "FFEDGE FATAL <kind> <code> <name>\r\n" 0x00
 *
 * e.g. kind "trap", code 5 (wasm_rt_trap_t), name "unreachable"; or kind
 * "fault", code 3 (the Cortex-M exception number), name "hardfault".
 * The 0x00 on each side is the COBS frame delimiter: a frame decoder sees
 * the text as one separate (invalid) frame instead of gluing it to the next.
 */
void ffedge_report_fatal(const char* kind, uint32_t code, const char* name);

#endif
