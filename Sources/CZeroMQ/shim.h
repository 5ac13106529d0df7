#ifndef SHOAL_CZEROMQ_SHIM_H
#define SHOAL_CZEROMQ_SHIM_H
// The one C entry point into libzmq. Only the Swift module `ZeroMQ` imports this.
#include <zmq.h>

#if defined(__linux__)
#include <sys/prctl.h>
#endif

// Names the calling OS thread (debuggers, `top -H`, /proc). Foundation's `Thread.name` setter does not always
// reach the kernel on Linux, and a new thread otherwise keeps its creator's name. Linux keeps 15 bytes.
static inline void shoal_set_current_thread_name(const char *name) {
#if defined(__linux__)
    prctl(PR_SET_NAME, name, 0, 0, 0);
#else
    (void)name;
#endif
}
#endif
