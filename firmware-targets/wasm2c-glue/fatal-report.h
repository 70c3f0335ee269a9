/*
 * fatal-report.h: how a fatal condition (a wasm trap, a CPU fault) reaches the
 * host: as one ERROR frame with code DEVICE_TRAP (73, docs/protocol.md §7), so a
 * host decoding frames sees a typed error instead of silence or stray text.
 */
#ifndef FFEDGE_FATAL_REPORT_H
#define FFEDGE_FATAL_REPORT_H

#include <stdint.h>

/*
 * Each writes, on the serial link (fd 1) in one ffedge_platform_write call that
 * needs no interrupts and no wasm memory:
 *
 *   0x00  ERROR(DEVICE_TRAP, detail, "trap: <name>" | "fault: <name>") frame incl. its 0x00
 *
 * The leading 0x00 ends any frame the device had half written, so the report
 * always deframes. The frames are pre-encoded (fatal-frames.h, generated from
 * the host's codec); header seq is 0. The caller halts afterwards.
 */

/* A wasm trap: `trap` is the wasm_rt_trap_t code (detail = trap; unknown codes send detail 0). */
void ffedge_report_trap(uint32_t trap);

/* A CPU exception: `exception` is the Cortex-M exception number (IPSR), detail =
 * 256 + exception; any external interrupt (>= 16) is reported as 256 + 16, and an
 * exception without its own frame as 256 + 0. */
void ffedge_report_fault(uint32_t exception);

#endif
