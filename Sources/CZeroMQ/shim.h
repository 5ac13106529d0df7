#ifndef SHOAL_CZEROMQ_SHIM_H
#define SHOAL_CZEROMQ_SHIM_H
// The one C entry point into libzmq. Only the Swift module `ZeroMQ` imports this.
#include <zmq.h>
#endif
