/*
 * wasm-rt-pool.c: the wasm_rt_* functions that wasm2c 1.0.32 output calls,
 * over a caller-owned memory pool and static tables. See wasm-rt-pool.h.
 * Written for ff-edge; follows the contract documented in wabt's wasm-rt.h.
 */
#include "wasm-rt-pool.h"
#ifdef FFEDGE_RT_STATIC_MEMORY
#include "static-memory.h"
#endif

#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#ifdef FFEDGE_RT_HOSTED
#include <stdlib.h>
#endif

/* ---- traps ------------------------------------------------------------ */

jmp_buf* ffedge_rt_trap_target;

#if WASM_RT_USE_STACK_DEPTH_COUNT
uint32_t wasm_rt_call_stack_depth;
static uint32_t saved_call_stack_depth;
void ffedge_rt_save_depth(void) { saved_call_stack_depth = wasm_rt_call_stack_depth; }
#else
void ffedge_rt_save_depth(void) {}
#endif

void wasm_rt_trap(wasm_rt_trap_t code) {
#if WASM_RT_USE_STACK_DEPTH_COUNT
  wasm_rt_call_stack_depth = saved_call_stack_depth;
#endif
  if (code == WASM_RT_TRAP_NONE) code = WASM_RT_TRAP_UNREACHABLE; /* 0 would read as "no trap" */
  if (ffedge_rt_trap_target == NULL) {
    for (;;) {} /* a trap with no jmp_buf set is an embedder bug: stop here */
  }
  longjmp(*ffedge_rt_trap_target, (int)code);
}

const char* ffedge_rt_trap_name(wasm_rt_trap_t trap) {
  switch (trap) {
    case WASM_RT_TRAP_NONE: return "none";
    case WASM_RT_TRAP_OOB: return "oob";
    case WASM_RT_TRAP_INT_OVERFLOW: return "int-overflow";
    case WASM_RT_TRAP_DIV_BY_ZERO: return "div-by-zero";
    case WASM_RT_TRAP_INVALID_CONVERSION: return "invalid-conversion";
    case WASM_RT_TRAP_UNREACHABLE: return "unreachable";
    case WASM_RT_TRAP_CALL_INDIRECT: return "call-indirect";
    case WASM_RT_TRAP_UNCAUGHT_EXCEPTION: return "uncaught-exception";
#if !WASM_RT_MERGED_OOB_AND_EXHAUSTION_TRAPS
    case WASM_RT_TRAP_EXHAUSTION: return "exhaustion";
#endif
    default: return "unknown";
  }
}

const char* wasm_rt_strerror(wasm_rt_trap_t trap) { return ffedge_rt_trap_name(trap); }

void wasm_rt_init(void) {}
bool wasm_rt_is_initialized(void) { return true; }
void wasm_rt_free(void) {}

/* ---- function types: interned in a static array ---------------------- */

/* A signature packed into 64 bits: param count (5 bits), result count (5 bits),
 * then 3 bits per value type (wasm_rt_type_t is 0..5). Equal keys are equal
 * signatures; 8 bytes a type instead of 2 + FFEDGE_RT_MAX_TYPE_ARITY. */
#define TYPE_BITS 3u
#define COUNT_BITS 5u
_Static_assert(FFEDGE_RT_MAX_TYPE_ARITY < (1u << COUNT_BITS) &&
                   2 * COUNT_BITS + TYPE_BITS * FFEDGE_RT_MAX_TYPE_ARITY <= 64,
               "a signature must pack into 64 bits");

static uint64_t func_types[FFEDGE_RT_MAX_FUNC_TYPES];
static uint32_t func_type_count;

uint32_t wasm_rt_register_func_type(uint32_t param_count, uint32_t result_count, ...) {
  if (param_count + result_count > FFEDGE_RT_MAX_TYPE_ARITY) wasm_rt_trap(WASM_RT_TRAP_EXHAUSTION);
  uint64_t key = (uint64_t)param_count | (uint64_t)result_count << COUNT_BITS;
  va_list args;
  va_start(args, result_count);
  for (uint32_t i = 0; i < param_count + result_count; i++) {
    uint32_t type = (uint32_t)va_arg(args, int); /* enums promote to int */
    if (type >= (1u << TYPE_BITS)) {
      va_end(args);
      wasm_rt_trap(WASM_RT_TRAP_EXHAUSTION); /* a value type this runtime does not know */
    }
    key |= (uint64_t)type << (2 * COUNT_BITS + TYPE_BITS * i);
  }
  va_end(args);
  for (uint32_t i = 0; i < func_type_count; i++) {
    if (func_types[i] == key) return i + 1;
  }
  if (func_type_count == FFEDGE_RT_MAX_FUNC_TYPES) wasm_rt_trap(WASM_RT_TRAP_EXHAUSTION);
  func_types[func_type_count] = key;
  return ++func_type_count; /* indices start at 1, as in the stock runtime */
}

/* ---- linear memory: one pool ------------------------------------------ */

static uint8_t* pool_base;
static uint32_t pool_bytes;
static bool pool_taken;

uint32_t ffedge_rt_access_end[9];

/* The pool's memory now has `size` addressable bytes: record, per access width,
 * the first address at which such an access no longer fits (static-memory.h);
 * in MPU mode, move the MPU's window to [0, size) (../cortex-m-common/mpu-sandbox.c). */
static void set_access_ends(uint32_t size) {
  for (uint32_t width = 1; width <= 8; width++) ffedge_rt_access_end[width] = size >= width ? size - width + 1 : 0;
#ifdef FFEDGE_MPU_SANDBOX
  ffedge_mpu_grant(size);
#endif
}

void ffedge_rt_use_pool(uint8_t* base, uint32_t bytes) {
  pool_base = base;
  pool_bytes = bytes;
  pool_taken = false;
}

/* Pages that are at least partly backed by the pool. */
static uint32_t pool_pages(void) {
  return (uint32_t)(((uint64_t)pool_bytes + FFEDGE_WASM_PAGE_BYTES - 1) / FFEDGE_WASM_PAGE_BYTES);
}

static uint32_t addressable_bytes(uint32_t pages) {
  uint64_t bytes = (uint64_t)pages * FFEDGE_WASM_PAGE_BYTES;
  return bytes < pool_bytes ? (uint32_t)bytes : pool_bytes;
}

void wasm_rt_allocate_memory(wasm_rt_memory_t* memory, uint32_t initial_pages, uint32_t max_pages) {
  memory->pages = initial_pages;
  memory->max_pages = max_pages;
#ifdef FFEDGE_RT_HOSTED
  if (pool_base == NULL && pool_bytes == 0) {
    uint64_t bytes = (uint64_t)initial_pages * FFEDGE_WASM_PAGE_BYTES;
    memory->data = bytes > UINT32_MAX ? NULL : calloc((size_t)bytes ? (size_t)bytes : 1, 1);
    if (memory->data == NULL) wasm_rt_trap(WASM_RT_TRAP_EXHAUSTION);
    memory->size = (uint32_t)bytes;
    return;
  }
#endif
  /* Only one memory can own the pool; no pool at all means no memory. (In MPU
   * mode the pool sits at address 0: a NULL base is a pool there.) */
  if (pool_bytes == 0 || pool_taken) wasm_rt_trap(WASM_RT_TRAP_EXHAUSTION);
  pool_taken = true;
  memset(pool_base, 0, pool_bytes); /* wasm memory starts zeroed, also on re-instantiation */
#ifdef FFEDGE_RT_STATIC_MEMORY
  /* The rewritten generated C addresses ffedge_linear_memory directly. */
  if (pool_base != ffedge_linear_memory) wasm_rt_trap(WASM_RT_TRAP_EXHAUSTION);
#endif
  memory->data = pool_base;
  memory->size = addressable_bytes(initial_pages);
  set_access_ends(memory->size);
}

uint32_t wasm_rt_grow_memory(wasm_rt_memory_t* memory, uint32_t delta) {
  uint32_t old_pages = memory->pages;
  uint64_t new_pages = (uint64_t)old_pages + delta;
  if (new_pages > memory->max_pages) return UINT32_MAX;
#ifdef FFEDGE_RT_HOSTED
  if (pool_base == NULL && pool_bytes == 0) {
    uint64_t new_bytes = new_pages * FFEDGE_WASM_PAGE_BYTES;
    if (new_bytes > UINT32_MAX) return UINT32_MAX; /* the size field is 32-bit */
    if (delta == 0) return old_pages;
    uint8_t* data = realloc(memory->data, (size_t)new_bytes);
    if (data == NULL) return UINT32_MAX;
    memset(data + memory->size, 0, (size_t)(new_bytes - memory->size));
    memory->data = data;
    memory->size = (uint32_t)new_bytes;
    memory->pages = (uint32_t)new_pages;
    return old_pages;
  }
#endif
  /* Grow only into pages the pool backs (the last one possibly in part). */
  if (new_pages > pool_pages() && delta != 0) return UINT32_MAX;
  memory->pages = (uint32_t)new_pages;
  memory->size = addressable_bytes(memory->pages);
  if (memory->data == pool_base) set_access_ends(memory->size);
  return old_pages;
}

void wasm_rt_free_memory(wasm_rt_memory_t* memory) {
#ifdef FFEDGE_RT_HOSTED
  if (memory->data != pool_base) free(memory->data);
#endif
  if (memory->data == pool_base) {
    pool_taken = false;
    set_access_ends(0);
  }
  memory->data = NULL;
  memory->size = 0;
}

/* ---- tables: one static array per element type ----------------------- */

static wasm_rt_funcref_t funcref_elems[FFEDGE_RT_MAX_TABLE_ELEMS];
static bool funcref_taken;
static wasm_rt_externref_t externref_elems[FFEDGE_RT_MAX_TABLE_ELEMS];
static bool externref_taken;

#define DEFINE_TABLE_OPS(type)                                                           \
  void wasm_rt_allocate_##type##_table(wasm_rt_##type##_table_t* table, uint32_t elements, \
                                       uint32_t max_elements) {                         \
    if (type##_taken || elements > FFEDGE_RT_MAX_TABLE_ELEMS)                            \
      wasm_rt_trap(WASM_RT_TRAP_EXHAUSTION);                                             \
    type##_taken = true;                                                                 \
    for (uint32_t i = 0; i < FFEDGE_RT_MAX_TABLE_ELEMS; i++)                             \
      type##_elems[i] = wasm_rt_##type##_null_value;                                     \
    table->data = type##_elems;                                                          \
    table->size = elements;                                                              \
    table->max_size = max_elements;                                                      \
  }                                                                                      \
  void wasm_rt_free_##type##_table(wasm_rt_##type##_table_t* table) {                    \
    if (table->data == type##_elems) type##_taken = false;                               \
    table->data = NULL;                                                                  \
    table->size = 0;                                                                     \
  }                                                                                      \
  uint32_t wasm_rt_grow_##type##_table(wasm_rt_##type##_table_t* table, uint32_t delta,  \
                                       wasm_rt_##type##_t init) {                        \
    uint32_t old_elems = table->size;                                                    \
    uint64_t new_elems = (uint64_t)old_elems + delta;                                    \
    if (new_elems > table->max_size || new_elems > FFEDGE_RT_MAX_TABLE_ELEMS)            \
      return UINT32_MAX;                                                                 \
    for (uint32_t i = old_elems; i < new_elems; i++) table->data[i] = init;              \
    table->size = (uint32_t)new_elems;                                                   \
    return old_elems;                                                                    \
  }

DEFINE_TABLE_OPS(funcref)
DEFINE_TABLE_OPS(externref)

/* ---- exceptions (only what the API needs; AssemblyScript emits none) -- */

static WASM_RT_UNWIND_TARGET* unwind_target;
static uint32_t exception_tag, exception_size, tag_count;
static uint8_t exception_payload[FFEDGE_RT_MAX_EXCEPTION_BYTES];

uint32_t wasm_rt_register_tag(uint32_t size) {
  if (size > FFEDGE_RT_MAX_EXCEPTION_BYTES) wasm_rt_trap(WASM_RT_TRAP_EXHAUSTION);
  return tag_count++;
}

void wasm_rt_load_exception(uint32_t tag, uint32_t size, const void* values) {
  if (size > FFEDGE_RT_MAX_EXCEPTION_BYTES) wasm_rt_trap(WASM_RT_TRAP_EXHAUSTION);
  exception_tag = tag;
  exception_size = size;
  if (size) memcpy(exception_payload, values, size);
}

WASM_RT_NO_RETURN void wasm_rt_throw(void) {
  if (unwind_target == NULL) wasm_rt_trap(WASM_RT_TRAP_UNCAUGHT_EXCEPTION);
  longjmp(*unwind_target, WASM_RT_TRAP_UNCAUGHT_EXCEPTION);
}

WASM_RT_UNWIND_TARGET* wasm_rt_get_unwind_target(void) { return unwind_target; }
void wasm_rt_set_unwind_target(WASM_RT_UNWIND_TARGET* target) { unwind_target = target; }
uint32_t wasm_rt_exception_tag(void) { return exception_tag; }
uint32_t wasm_rt_exception_size(void) { return exception_size; }
void* wasm_rt_exception(void) { return exception_payload; }
