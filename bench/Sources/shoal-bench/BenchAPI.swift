import ArgumentParser

/// Which part of the ZeroMQ module a probe drives its sockets through.
enum BenchAPI: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// `Socket.send(_: [Frame])` / `receive() -> [Frame]` on the probe's thread: whole messages as `Sendable` frames,
    /// the API the protocol layer and `SocketLoop` use.
    case frames
    /// `Socket.receive(into: Message)` / `send(_: Message)` on the probe's thread: a reused `zmq_msg_t`, as the
    /// C probes use one.
    case message
    /// `SocketLoop`: a loop thread owns the socket; frames cross an `AsyncStream` one way and a locked queue with
    /// an inproc wake-up the other.
    case loop
}

/// How the `frames` throughput sender turns its buffer into messages.
enum SendMode: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// A fresh `Frame(copying:)` of the buffer per message: the one memcpy per message `zmq_send` also makes.
    case copy
    /// One `Frame` filled once and sent every time: libzmq is handed the Swift buffer, nothing is copied.
    case zeroCopy = "zero-copy"
}
