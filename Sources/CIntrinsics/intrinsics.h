// Compiler intrinsics Swift has no API for. Header-only: Swift inlines these through the Clang
// importer, so each is one instruction at the call site.
#ifndef RECBENCH_INTRINSICS_H
#define RECBENCH_INTRINSICS_H
#include <stdint.h>

// Cache prefetch hints (keep in all cache levels), for latency-bound loops: BPR's sampler, the
// ALS conjugate gradient.
static inline void recbench_prefetch_read(const void *address) { __builtin_prefetch(address, 0, 3); }
static inline void recbench_prefetch_write(const void *address) { __builtin_prefetch(address, 1, 3); }

// Relaxed atomic 64-bit load and store: values one thread publishes and others may read at any
// time (a stale value must be harmless to the reader). Plain moves on x86-64 and arm64.
static inline uint64_t recbench_load_relaxed(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
static inline void recbench_store_relaxed(uint64_t *p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }

#endif
