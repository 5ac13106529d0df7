#ifndef SHOAL_KERNELS_H
#define SHOAL_KERNELS_H

#include <stddef.h>

/// Copies `count` floats from `src` to `dst` with non-temporal stores where the CPU has them (SSE on x86-64):
/// the destination's cache lines are written without being read first. For a destination that is not read again
/// soon (a step's parameters published to the workers, tens of MiB), that is a third less memory traffic than a
/// plain copy. Elsewhere, `memcpy`.
void shoal_stream_copy_floats(float *dst, const float *src, size_t count);

#endif
