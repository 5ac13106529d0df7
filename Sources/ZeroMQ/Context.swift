import CZeroMQ

/// A libzmq context: the container of a process's sockets and I/O threads.
///
/// zmq(7): "A ØMQ context is thread safe and may be shared among as many application threads as necessary,
/// without any additional locking required on the part of the caller." The wrapper holds only the immutable
/// context handle, so `@unchecked Sendable` restates that rule; `Socket` is deliberately not `Sendable`.
///
/// Every `Socket` keeps its context alive, so the context is terminated last: `deinit` runs `zmq_ctx_term`
/// only once the final socket has been closed, and never blocks on sockets it still has.
public final class Context: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    /// Creates a context.
    /// - Parameter ioThreads: libzmq I/O threads; one moves about a gigabyte per second.
    /// - Throws: `ZMQError` when libzmq cannot create the context or rejects the option.
    public init(ioThreads: Int32 = 1) throws(ZMQError) {
        guard let handle = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        self.handle = handle
        if ioThreads != 1 {
            guard zmq_ctx_set(handle, ZMQ_IO_THREADS, ioThreads) == 0 else {
                let error = ZMQError.last("zmq_ctx_set(ZMQ_IO_THREADS)")
                zmq_ctx_term(handle)
                throw error
            }
        }
    }

    /// Makes every blocking call on this context's sockets return ETERM, from any thread.
    ///
    /// Use it to stop loops that block in libzmq; the sockets must still be closed by their threads.
    public func shutdown() {
        _ = zmq_ctx_shutdown(handle)
    }

    deinit {
        // zmq_ctx_term returns EINTR when a signal arrives while it waits; it must be called again.
        while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}
    }
}
