#!/usr/bin/env bash
# setup-toolchains.sh: install the Debian packages the firmware targets need.
#
#   sudo scripts/setup-toolchains.sh          # install what is missing (CI runs it as root)
#   scripts/setup-toolchains.sh --check       # only report; exit 1 if something is missing
#
# Idempotent and quiet: packages already installed are skipped, `apt-get update`
# runs at most once and only when something must be installed. Non-interactive.
# Written for Debian 12 (bookworm); --no-install-recommends, so every package
# a build needs is named below.
set -euo pipefail

# package             what for
packages=(
  wabt                    # wasm2c and wasm-rt.h
  gcc-arm-none-eabi       # bare-metal Cortex-M4F compiler
  binutils-arm-none-eabi  # arm-none-eabi-size, objcopy, ld
  libnewlib-arm-none-eabi # newlib-nano (--specs=nano.specs) and libm
  qemu-system-arm         # mps2-an386, netduinoplus2 (STM32F405) and microbit (nRF51) machines
  gcc-riscv64-unknown-elf # rv32imac compiler of the riscv32 target (-march=rv32imac -mabi=ilp32)
  picolibc-riscv64-unknown-elf # its C library (picolibc.specs, libm, the rv32imac/ilp32 multilib)
  qemu-system-misc        # qemu-system-riscv32 (virt machine) for the riscv32 target
  qemu-user               # qemu-arm, runs the ARM Linux build on x86-64
  gcc-arm-linux-gnueabihf # cross compiler for the ARM Linux build
  libc6-dev-armhf-cross   # its libc (only "recommended", so named here)
  gcc                     # native Linux build
  libc6-dev               # headers for the native build
  make
  socat                   # pty pairs for --tty tests and virtual devices
  mosquitto               # MQTT broker the fleet tests and bench:fleet start on a free port
  chromium                # headless browser for the live dashboard test (test/dashboard-chromium.test.ts)
)

check_only=false
case "${1:-}" in
  --check) check_only=true ;;
  "") ;;
  -h | --help)
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "setup-toolchains.sh: unknown argument '$1' (use --check or nothing)" >&2
    exit 2
    ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "setup-toolchains.sh: this is not a Debian-based system; install by hand: ${packages[*]}" >&2
  exit 1
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-toolchains.sh: all firmware toolchains present"
  exit 0
fi

if $check_only; then
  echo "setup-toolchains.sh: missing: ${missing[*]} (run: sudo scripts/setup-toolchains.sh)"
  exit 1
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    echo "setup-toolchains.sh: need root to install ${missing[*]}: run it as root" >&2
    exit 1
  fi
fi

echo "setup-toolchains.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  -o Dpkg::Use-Pty=0 "${missing[@]}" >/dev/null
echo "setup-toolchains.sh: done"
