#ifndef C_RISKKERNEL_HEAP_H
#define C_RISKKERNEL_HEAP_H

/// Sets glibc's `M_MMAP_THRESHOLD` (blocks of at least this many bytes are mapped on their own) and
/// `M_TRIM_THRESHOLD` (free memory above this many bytes at a heap's top is given back) with
/// `mallopt`; a limit of 0 is left as it is. Returns 0 when a `mallopt` failed or the C library is
/// not glibc, 1 otherwise.
int rk_heap_set_thresholds(int mmap_threshold, int trim_threshold);

#endif
