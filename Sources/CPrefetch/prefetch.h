// Cache prefetch hints for Recbench's latency-bound loops (BPR's sampler, the ALS conjugate
// gradient). Header-only: Swift inlines these through the Clang importer, so each is one
// prefetch instruction at the call site.
#ifndef RECBENCH_PREFETCH_H
#define RECBENCH_PREFETCH_H

static inline void recbench_prefetch_read(const void *address) { __builtin_prefetch(address, 0, 3); }
static inline void recbench_prefetch_write(const void *address) { __builtin_prefetch(address, 1, 3); }

#endif
