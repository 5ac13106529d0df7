import CZeroMQ

/// Reads a socket's monitor events (zmq_socket_monitor(3)) from an inproc PAIR socket.
///
/// Like any socket it lives on one thread; `SocketLoop` polls it next to the socket it watches.
public final class SocketMonitor {
    /// The PAIR socket the events arrive on; poll it for `.readable`.
    public let socket: Socket
    private let endpoint: String

    /// Starts monitoring `watched` for `events` (a `ZMQ_EVENT_*` mask; default all).
    /// - Throws: `ZMQError` when libzmq cannot start the monitor or connect to it.
    public init(watching watched: Socket, events: Int32 = SocketEvent.all) throws(ZMQError) {
        guard let handle = watched.rawHandle else { throw ZMQError(operation: "zmq_socket_monitor", code: ENOTSOCK_VALUE) }
        let endpoint = InprocName.unique("shoal-monitor")
        _ = try retryingEINTR("zmq_socket_monitor", endpoint: endpoint) { zmq_socket_monitor(handle, endpoint, events) }
        let socket = try Socket(watched.context, type: .pair)
        try socket.set(.linger(milliseconds: 0))
        try socket.connect(endpoint)
        self.socket = socket
        self.endpoint = endpoint
    }

    /// The next event, or `nil` when none is waiting (`dontWait`) or the receive timed out.
    public func receive(dontWait: Bool = false) throws(ZMQError) -> SocketEvent? {
        guard let frames = try socket.receive(dontWait: dontWait) else { return nil }
        return SocketMonitor.decode(frames)
    }

    /// Waits up to `milliseconds` for the next event.
    public func receive(timeout milliseconds: Int) throws(ZMQError) -> SocketEvent? {
        let poller = Poller()
        poller.register(socket)
        guard try poller.poll(timeout: milliseconds) > 0 else { return nil }
        return try receive(dontWait: true)
    }

    /// Frame 1: event number (u16) and value (u32), native byte order; frame 2: the endpoint (zmq_socket_monitor(3)).
    static func decode(_ frames: [Frame]) -> SocketEvent? {
        guard frames.count == 2, frames[0].count == 6 else { return nil }
        let (event, value) = frames[0].withUnsafeBytes {
            ($0.loadUnaligned(as: UInt16.self), $0.loadUnaligned(fromByteOffset: 2, as: Int32.self))
        }
        let endpoint = frames[1].utf8String ?? ""
        return SocketEvent(event: event, value: value, endpoint: endpoint)
    }
}
