/*
 * fatal-report.c: plain-text fatal report, the placeholder for an ERROR frame.
 * Protocol hook: once docs/protocol.md defines ERROR (code + short text),
 * emit a pre-encoded ERROR frame here (e.g. a table generated at build time by
 * the host's TypeScript codec, one frame per trap code), so the C side never
 * grows a third implementation of the codec.
 */
#include "fatal-report.h"

#include "platform.h"

static void put_text(const char* text) {
  uint32_t length = 0;
  while (text[length] != '\0') length++; /* not strlen: newlib's is 220 bytes of flash */
  ffedge_platform_write(1, (const uint8_t*)text, length);
}

void ffedge_report_fatal(const char* kind, uint32_t code, const char* name) {
  char digits[11];
  int at = (int)sizeof digits - 1;
  digits[at] = '\0';
  do {
    digits[--at] = (char)('0' + code % 10);
    code /= 10;
  } while (code != 0);

  static const uint8_t delimiter = 0x00;
  ffedge_platform_write(1, &delimiter, 1);
  put_text("FFEDGE FATAL ");
  put_text(kind);
  put_text(" ");
  put_text(&digits[at]);
  put_text(" ");
  put_text(name);
  put_text("\r\n");
  ffedge_platform_write(1, &delimiter, 1);
}
