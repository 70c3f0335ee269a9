# firmware.mk: the build steps every bare-metal wasm2c target shares (wasm2c, the
# static-memory rewrite, the glue, link, size). A target's Makefile sets the
# board part and includes this file last:
#
#   PREFIX     cross tool prefix (arm-none-eabi-, riscv64-unknown-elf-)
#   CPU        -mcpu/-march/-mabi flags, used to compile and link
#   LDSCRIPT   its linker script
#   LIBC       libc selection at link, e.g. --specs=nano.specs
#   BOARD_OBJS object names of its own and shared board files (main.o uart-x.o ...)
#   BOARD_DIRS where those sources live, searched in order (its folder: .)
#   MPU_LDSCRIPT  (ARMv7-M boards only) the linker script of BOUNDS_CHECKS=mpu,
#              which puts linear memory at address 0; unset: that mode is refused
#
# and the settings below may be given on the command line (see each README).

WASM        ?= ../../build/ff-device.wasm
BUILD       ?= build
# Bytes of RAM given to wasm linear memory (any size, not only 64 KiB pages).
# It is also what the program reads from its `ram_limit_bytes` global.
RAM_BYTES   ?= 262144
# Main stack; wasm calls deeper than CALL_DEPTH trap ("exhaustion") before
# the C stack can run out: keep CALL_DEPTH x largest frame (see measure.sh)
# well below STACK_BYTES.
STACK_BYTES ?= 16384
CALL_DEPTH  ?= 64
RANDOM_SEED ?= 0x0FF0ED6E5EED0001
# 1: proc_exit, the end of _start, traps and faults end QEMU with a status.
# Never on a real board.
SEMIHOSTING ?= 0
# Default 1: every linear-memory access is checked (one 32-bit compare, see
# static-memory.h) and one outside the memory traps. 0: no checks in the
# generated C (~0.75x the instructions per step), but an access outside the
# memory then reads or corrupts whatever RAM is there. Trusted programs only.
# mpu: no compare either, and still sandboxed: linear memory at address 0, loads and
# stores unprivileged, the MPU grants exactly the memory's size and an access past
# it faults into the same oob trap (../cortex-m-common/mpu-sandbox.c; RAM_BYTES a
# multiple of 1024; ARMv7-M boards with MPU_LDSCRIPT only).
BOUNDS_CHECKS ?= 1
# embed: run the device program (embed.c). step-bench: the instruction bench
# (step-bench.c) with WASM=ff-core.wasm, BENCH_CONFIG=/abs/bench-config.h,
# BENCH_STEPS=N; host/bench/boards.ts drives it.
EMBED       ?= embed
BENCH_STEPS ?= 20
# wasm-rt.h of the installed wabt (Debian: /usr/include/wasm-rt.h).
WASM_RT_H   ?= /usr/include/wasm-rt.h
WASM2C      ?= wasm2c

ifeq ($(BOUNDS_CHECKS),mpu)
ifeq ($(MPU_LDSCRIPT),)
$(error BOUNDS_CHECKS=mpu: this board has no MPU build (an ARMv7-M part with RAM at address 0 and MPU_LDSCRIPT); use BOUNDS_CHECKS=1)
endif
LDSCRIPT := $(MPU_LDSCRIPT)
MPU_CFLAGS := -DFFEDGE_MPU_SANDBOX=0 -fno-delete-null-pointer-checks
BOARD_OBJS += mpu-sandbox.o
endif

CC      := $(PREFIX)gcc
SIZE    := $(PREFIX)size
OBJCOPY := $(PREFIX)objcopy
GLUE    := $(dir $(lastword $(MAKEFILE_LIST)))
GLUE    := $(GLUE:%/=%)

# -ffp-contract=off: no fused multiply-add, so results stay bit-identical to V8.
# -fno-math-errno: sqrtf needs no errno (wasm has none); one instruction with an FPU.
CFLAGS := $(CPU) -O2 -ffp-contract=off -fno-math-errno -std=gnu11 -g \
  -ffunction-sections -fdata-sections -fstack-usage -Wall -Wno-unused-function \
  -DNDEBUG -DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0 -DFFEDGE_RT_STATIC_MEMORY \
  -DWASM_RT_MAX_CALL_STACK_DEPTH=$(CALL_DEPTH) \
  -DFFEDGE_RAM_BYTES=$(RAM_BYTES)u -DFFEDGE_RANDOM_SEED=$(RANDOM_SEED)ull \
  -DFFEDGE_SEMIHOSTING=$(SEMIHOSTING) $(MPU_CFLAGS) \
  $(if $(filter step-bench,$(EMBED)),-DBENCH_STEPS=$(BENCH_STEPS) -DBENCH_CONFIG='"$(abspath $(BENCH_CONFIG))"') \
  -I$(BUILD)/include -I$(BUILD) -I$(GLUE) -I. $(addprefix -I,$(BOARD_DIRS))
LDFLAGS := $(CPU) $(LIBC) -nostartfiles -Wl,--gc-sections $(addprefix -L,$(BOARD_DIRS)) \
  -T $(LDSCRIPT) -Wl,--defsym=__stack_bytes=$(STACK_BYTES) \
  -Wl,-Map,$(BUILD)/fw.map -Wl,--print-memory-usage
LDLIBS := -lm -lc -lgcc

OBJS := $(addprefix $(BUILD)/,ffdevice.o $(EMBED).o wasm-rt-pool.o wasi-shim.o fatal-report.o $(BOARD_OBJS))

# Rebuild everything when a setting changes, not only when a file does.
CONFIG := $(RAM_BYTES) $(STACK_BYTES) $(CALL_DEPTH) $(RANDOM_SEED) $(SEMIHOSTING) $(BOUNDS_CHECKS) $(EMBED) $(CFLAGS) $(LDFLAGS)
$(shell mkdir -p $(BUILD)/include; echo '$(CONFIG)' | cmp -s - $(BUILD)/config.stamp || echo '$(CONFIG)' > $(BUILD)/config.stamp)

.PHONY: all size clean print-%
all: $(BUILD)/fw.elf $(BUILD)/fw.bin

$(BUILD)/include/wasm-rt.h: $(WASM_RT_H)
	cp $< $@

# -n ffdevice fixes the C names (Z_ffdevice_*) whatever the file is called.
# use-static-memory.sh points the loads and stores at ffedge_linear_memory (main.c).
STATIC_MEMORY_FLAGS := $(if $(filter 0,$(BOUNDS_CHECKS)),--no-bounds-checks)
$(BUILD)/ffdevice.c $(BUILD)/ffdevice.h: $(WASM) $(BUILD)/config.stamp $(GLUE)/use-static-memory.sh
	$(WASM2C) $< -n ffdevice -o $(BUILD)/ffdevice.c
	$(GLUE)/use-static-memory.sh $(BUILD)/ffdevice.c $(STATIC_MEMORY_FLAGS)

# Generated code: its warnings (unused values from TRAP()) are not ours to fix.
$(BUILD)/ffdevice.o: $(BUILD)/ffdevice.c $(BUILD)/ffdevice.h $(GLUE)/static-memory.h $(BUILD)/include/wasm-rt.h $(BUILD)/config.stamp
	$(CC) $(CFLAGS) -w -c $< -o $@
$(BUILD)/%.o: $(GLUE)/%.c $(wildcard $(GLUE)/*.h) $(BUILD)/ffdevice.h $(BUILD)/include/wasm-rt.h $(BUILD)/config.stamp
	$(CC) $(CFLAGS) -c $< -o $@

vpath %.c $(BOARD_DIRS)
vpath %.S $(BOARD_DIRS)
$(BUILD)/%.o: %.c board.h $(BUILD)/ffdevice.h $(BUILD)/include/wasm-rt.h $(BUILD)/config.stamp
	$(CC) $(CFLAGS) -c $< -o $@
$(BUILD)/%.o: %.S $(BUILD)/config.stamp
	$(CC) $(CPU) -c $< -o $@

$(BUILD)/fw.elf: $(OBJS) $(LDSCRIPT)
	$(CC) $(LDFLAGS) $(OBJS) $(LDLIBS) -o $@

$(BUILD)/fw.bin: $(BUILD)/fw.elf
	$(OBJCOPY) -O binary $< $@

size: $(BUILD)/fw.elf
	$(SIZE) $<

clean:
	rm -rf $(BUILD)

# make print-RAM_BYTES etc.: a setting as this Makefile sees it (measure.sh uses it).
print-%:
	@echo '$($*)'
