/*
 * fatal-report.c: plain-text fatal report, the placeholder for an ERROR frame.
 * Protocol hook: once the protocol has an ERROR code for "device trapped",
 * emit a pre-encoded ERROR frame here (e.g. a table generated at build time by
 * the host's TypeScript codec, one frame per trap code), so the C side never
 * grows a third implementation of the codec.
 */
#include "fatal-report.h"

#include "platform.h"

#define REPORT_MAX 96 /* longest: 0 + "FFEDGE FATAL " + kind + " 4294967295 " + name + "\r\n" + 0 */

static uint32_t append(char* report, uint32_t at, const char* text) {
  while (*text != '\0' && at < REPORT_MAX - 3) report[at++] = *text++; /* room for "\r\n" 0 */
  return at;
}

void ffedge_report_fatal(const char* kind, uint32_t code, const char* name) {
  char digits[11];
  int first = (int)sizeof digits - 1;
  digits[first] = '\0';
  do {
    digits[--first] = (char)('0' + code % 10);
    code /= 10;
  } while (code != 0);

  /* One write, so a relay (socat EXEC, a pipe) gets the whole report before it
   * notices the program has gone. */
  char report[REPORT_MAX];
  uint32_t at = 0;
  report[at++] = '\0'; /* COBS frame delimiter */
  at = append(report, at, "FFEDGE FATAL ");
  at = append(report, at, kind);
  at = append(report, at, " ");
  at = append(report, at, &digits[first]);
  at = append(report, at, " ");
  at = append(report, at, name);
  report[at++] = '\r';
  report[at++] = '\n';
  report[at++] = '\0';
  ffedge_platform_write(1, (const uint8_t*)report, at);
}
