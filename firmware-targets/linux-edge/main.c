/*
 * main.c: ff-device.wasm (through wasm2c) as a native Linux program that
 * speaks the serial link on stdin/stdout or on a tty. Only glue lives here:
 * the WASI shim, the runtime and the embedding are the same files the
 * bare-metal target uses (../wasm2c-glue/).
 *
 *   ff-device [--tty PATH [--baud N]] [--ram BYTES] [--seed N]
 *
 * Exit status: 0 when _start returns, the code given to proc_exit, 2 on a
 * usage error, 3 after a wasm trap (reported on the link and on stderr),
 * 4 when the tty or the RAM pool cannot be set up.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "embed.h"
#include "platform.h"
#include "wasm-rt-pool.h"

#define EXIT_USAGE 2
#define EXIT_TRAP 3
#define EXIT_SETUP 4
#define DEFAULT_RANDOM_SEED 0x0FF0ED6E5EED0001ull /* same as the bare-metal default */

static int link_in = STDIN_FILENO;
static int link_out = STDOUT_FILENO;
static int tty_fd = -1;
static struct termios tty_saved;

static const char usage[] =
    "usage: ff-device [--tty PATH [--baud N]] [--ram BYTES] [--seed N]\n"
    "  Runs the wasm2c build of ff-device.wasm; fd 0/1 of the program are the\n"
    "  serial link: stdin/stdout, or PATH (raw mode, 8N1) with --tty.\n"
    "  --tty PATH   serial device, e.g. /dev/ttyUSB0 or a pty\n"
    "  --baud N     line speed for --tty (default 115200)\n"
    "  --ram BYTES  linear memory the program may use: accesses above trap and\n"
    "               ram_limit_bytes is set to BYTES (default: no limit, 0)\n"
    "  --seed N     seed of the deterministic random_get (default 0x0FF0ED6E5EED0001)\n";

static speed_t baud_constant(unsigned long baud) {
  switch (baud) {
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 115200: return B115200;
    case 230400: return B230400;
    case 460800: return B460800;
    case 500000: return B500000;
    case 921600: return B921600;
    case 1000000: return B1000000;
    case 2000000: return B2000000;
    case 3000000: return B3000000;
    case 4000000: return B4000000;
    default: return 0;
  }
}

static void restore_tty(void) {
  if (tty_fd >= 0) tcsetattr(tty_fd, TCSADRAIN, &tty_saved);
}

static int open_tty(const char* path, unsigned long baud) {
  speed_t speed = baud_constant(baud);
  if (speed == 0) {
    fprintf(stderr,
            "ff-device: --baud %lu is not supported; use one of 9600 19200 38400 57600 "
            "115200 230400 460800 500000 921600 1000000 2000000 3000000 4000000\n",
            baud);
    return EXIT_USAGE;
  }
  tty_fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (tty_fd < 0) {
    fprintf(stderr, "ff-device: cannot open --tty %s: %s\n", path, strerror(errno));
    return EXIT_SETUP;
  }
  struct termios raw;
  if (tcgetattr(tty_fd, &tty_saved) != 0) {
    fprintf(stderr, "ff-device: %s is not a terminal: %s\n", path, strerror(errno));
    return EXIT_SETUP;
  }
  raw = tty_saved;
  cfmakeraw(&raw); /* 8 bits, no parity, no echo, no line editing, no CR/LF mapping */
  raw.c_cflag |= CLOCAL | CREAD;
  raw.c_cflag &= ~(tcflag_t)(CSTOPB | CRTSCTS);
  raw.c_cc[VMIN] = 1; /* read blocks until one byte, then returns what is there */
  raw.c_cc[VTIME] = 0;
  if (cfsetispeed(&raw, speed) != 0 || cfsetospeed(&raw, speed) != 0 ||
      tcsetattr(tty_fd, TCSANOW, &raw) != 0) {
    fprintf(stderr, "ff-device: cannot set raw mode on %s: %s\n", path, strerror(errno));
    return EXIT_SETUP;
  }
  atexit(restore_tty);
  link_in = link_out = tty_fd;
  return 0;
}

static int parse_u64(const char* text, uint64_t max, uint64_t* out) {
  char* end = NULL;
  errno = 0;
  unsigned long long value = strtoull(text, &end, 0);
  if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || value > max) return -1;
  *out = value;
  return 0;
}

int main(int argc, char** argv) {
  const char* tty_path = NULL;
  uint64_t baud = 115200, ram = 0, seed = DEFAULT_RANDOM_SEED;
  for (int i = 1; i < argc; i++) {
    const char* flag = argv[i];
    if (strcmp(flag, "--help") == 0 || strcmp(flag, "-h") == 0) {
      fputs(usage, stdout);
      return 0;
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "ff-device: unknown flag or missing value: %s\n%s", flag, usage);
      return EXIT_USAGE;
    }
    const char* value = argv[++i];
    if (strcmp(flag, "--tty") == 0) {
      tty_path = value;
    } else if (strcmp(flag, "--baud") == 0) {
      if (parse_u64(value, UINT32_MAX, &baud) != 0) goto bad_value;
    } else if (strcmp(flag, "--ram") == 0) {
      /* wasm32 memory sizes are u32 in wasm2c's wasm_rt_memory_t */
      if (parse_u64(value, UINT32_MAX, &ram) != 0 || ram == 0) goto bad_value;
    } else if (strcmp(flag, "--seed") == 0) {
      if (parse_u64(value, UINT64_MAX, &seed) != 0) goto bad_value;
    } else {
      fprintf(stderr, "ff-device: unknown flag %s\n%s", flag, usage);
      return EXIT_USAGE;
    }
    continue;
  bad_value:
    fprintf(stderr, "ff-device: bad value for %s: '%s' (want a positive integer, 0x.. allowed)\n",
            flag, value);
    return EXIT_USAGE;
  }

  /* A vanished host turns into EIO from fd_write, which the program can
   * handle, instead of killing the process. */
  signal(SIGPIPE, SIG_IGN);

  if (tty_path != NULL) {
    int status = open_tty(tty_path, (unsigned long)baud);
    if (status != 0) return status;
  }

  uint8_t* pool = NULL;
  if (ram != 0) {
    pool = calloc((size_t)ram, 1);
    if (pool == NULL) {
      fprintf(stderr, "ff-device: cannot allocate --ram %" PRIu64 " bytes\n", ram);
      return EXIT_SETUP;
    }
  }
  ffedge_embed_options_t options = {.pool = pool,
                                    .pool_bytes = (uint32_t)ram,
                                    .random_seed = seed,
                                    .runtime_kind = FFEDGE_RUNTIME_LINUX_EDGE};
  uint32_t trap = ffedge_embed_run(&options);
  if (trap != 0) {
    fprintf(stderr, "ff-device: wasm trap %" PRIu32 " (%s)\n", trap,
            ffedge_rt_trap_name((wasm_rt_trap_t)trap));
    return EXIT_TRAP;
  }
  return 0;
}

/* ---- platform.h ------------------------------------------------------- */

static void wait_ready(int fd, short events) {
  struct pollfd p = {.fd = fd, .events = events};
  poll(&p, 1, -1);
}

uint32_t ffedge_platform_read(uint8_t* dst, uint32_t max, uint32_t* got) {
  for (;;) {
    ssize_t n = read(link_in, dst, max);
    if (n >= 0) {
      *got = (uint32_t)n;
      return FFEDGE_WASI_ESUCCESS;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) { /* someone made the fd non-blocking */
      wait_ready(link_in, POLLIN);
      continue;
    }
    return FFEDGE_WASI_EIO;
  }
}

uint32_t ffedge_platform_write(uint32_t fd, const uint8_t* src, uint32_t len) {
  int out = fd == 1 ? link_out : STDERR_FILENO;
  while (len > 0) {
    ssize_t n = write(out, src, len);
    if (n > 0) {
      src += n;
      len -= (uint32_t)n;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      wait_ready(out, POLLOUT);
    } else {
      return FFEDGE_WASI_EIO;
    }
  }
  return FFEDGE_WASI_ESUCCESS;
}

uint32_t ffedge_platform_clock_ns(uint32_t clock_id, uint64_t* ns) {
  static const clockid_t clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID,
                                     CLOCK_THREAD_CPUTIME_ID};
  struct timespec now;
  if (clock_id >= sizeof clocks / sizeof clocks[0]) return FFEDGE_WASI_EINVAL;
  if (clock_gettime(clocks[clock_id], &now) != 0) return FFEDGE_WASI_EINVAL;
  *ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
  return FFEDGE_WASI_ESUCCESS;
}

void ffedge_platform_exit(uint32_t code) {
  exit((int)code); /* atexit restores the tty */
}
