import CZeroMQ

/// A ZeroMQ socket. Not `Sendable`: libzmq sockets are not thread-safe, so a socket lives on the thread
/// that created it for its whole life (zmq(7)). Use `SocketLoop` to reach sockets from Swift concurrency.
///
/// The socket keeps its `Context` alive and closes itself in `deinit`.
public final class Socket {
    /// The context this socket belongs to; held so the context is terminated after the socket is closed.
    public let context: Context
    /// The pattern this socket was created with.
    public let type: SocketType
    // Read on every send and receive. A socket is confined to one thread and no method holds an access to
    // `handle` across a call that could reach another, so the runtime exclusivity check can never fire; it is
    // turned off because it costs a thread-local lookup per read (swift_beginAccess), which showed in the profile
    // of bench/foundation.sh's small-message ROUTER.
    @exclusivity(unchecked) private var handle: UnsafeMutableRawPointer?

    /// Creates a socket of `type` in `context`.
    /// - Throws: `ZMQError` (e.g. EMFILE when the context's socket limit is reached, ETERM after shutdown).
    public init(_ context: Context, type: SocketType) throws(ZMQError) {
        guard let handle = zmq_socket(context.handle, type.rawValue) else {
            throw ZMQError.last("zmq_socket(\(type))")
        }
        self.context = context
        self.type = type
        self.handle = handle
    }

    deinit { close() }

    /// Closes the socket now. Unsent messages are kept for the linger period. Closing twice is harmless.
    public func close() {
        if let handle {
            zmq_close(handle)
            self.handle = nil
        }
    }

    private var live: UnsafeMutableRawPointer {
        get throws(ZMQError) {
            guard let handle else { throw ZMQError(operation: "socket", code: ENOTSOCK_VALUE) }
            return handle
        }
    }

    /// The raw handle, for `Poller` and `SocketMonitor` in this module.
    var rawHandle: UnsafeMutableRawPointer? { handle }

    // MARK: Endpoints

    /// Binds to `endpoint` (`tcp://127.0.0.1:0` or `tcp://*:*` picks a free port; read `lastEndpoint`).
    /// - Throws: `ZMQError` naming the endpoint (EADDRINUSE, EADDRNOTAVAIL for a foreign interface, …).
    public func bind(_ endpoint: String) throws(ZMQError) {
        let handle = try live
        _ = try retryingEINTR("zmq_bind", endpoint: endpoint) { zmq_bind(handle, endpoint) }
    }

    /// Connects to `endpoint`. The connection is made in the background and re-made when lost.
    public func connect(_ endpoint: String) throws(ZMQError) {
        let handle = try live
        _ = try retryingEINTR("zmq_connect", endpoint: endpoint) { zmq_connect(handle, endpoint) }
    }

    /// Stops listening on `endpoint` (as reported by `lastEndpoint` for wildcard binds).
    public func unbind(_ endpoint: String) throws(ZMQError) {
        let handle = try live
        _ = try retryingEINTR("zmq_unbind", endpoint: endpoint) { zmq_unbind(handle, endpoint) }
    }

    /// Drops the connection to `endpoint`.
    public func disconnect(_ endpoint: String) throws(ZMQError) {
        let handle = try live
        _ = try retryingEINTR("zmq_disconnect", endpoint: endpoint) { zmq_disconnect(handle, endpoint) }
    }

    /// The endpoint of the last bind or connect, with a wildcard port resolved to the real one.
    public var lastEndpoint: String {
        get throws(ZMQError) {
            var buffer = [CChar](repeating: 0, count: 1024)
            try getOption(ZMQ_LAST_ENDPOINT, name: "ZMQ_LAST_ENDPOINT", into: &buffer)
            return String(nulTerminated: buffer)
        }
    }

    // MARK: Options

    /// Sets an option. libzmq's refusal is thrown, never ignored.
    public func set(_ option: SocketOption) throws(ZMQError) {
        let handle = try live
        let (number, value) = option.encoded
        _ = try retryingEINTR("zmq_setsockopt(\(option.name))") {
            value.withUnsafeBytes { zmq_setsockopt(handle, number, $0.baseAddress, $0.count) }
        }
    }

    /// Sets several options in order.
    public func set(_ options: [SocketOption]) throws(ZMQError) {
        for option in options { try set(option) }
    }

    /// An integer option's current value (ZMQ_LINGER, ZMQ_SNDHWM, ZMQ_RCVHWM, timeouts, heartbeats…).
    public func intOption(_ option: Int32, name: String) throws(ZMQError) -> Int32 {
        var value: Int32 = 0
        try getOption(option, name: name, into: &value)
        return value
    }

    /// ZMQ_LINGER as set.
    public var linger: Int32 { get throws(ZMQError) { try intOption(ZMQ_LINGER, name: "ZMQ_LINGER") } }
    /// ZMQ_SNDHWM as set.
    public var sendHighWaterMark: Int32 { get throws(ZMQError) { try intOption(ZMQ_SNDHWM, name: "ZMQ_SNDHWM") } }
    /// ZMQ_RCVHWM as set.
    public var receiveHighWaterMark: Int32 {
        get throws(ZMQError) { try intOption(ZMQ_RCVHWM, name: "ZMQ_RCVHWM") }
    }
    /// ZMQ_MAXMSGSIZE as set.
    public var maxMessageSize: Int64 {
        get throws(ZMQError) {
            var value: Int64 = 0
            try getOption(ZMQ_MAXMSGSIZE, name: "ZMQ_MAXMSGSIZE", into: &value)
            return value
        }
    }
    /// ZMQ_ROUTING_ID as set (empty when libzmq picks one).
    public var routingID: [UInt8] {
        get throws(ZMQError) {
            var buffer = [UInt8](repeating: 0, count: 256)
            let size = try getOption(ZMQ_ROUTING_ID, name: "ZMQ_ROUTING_ID", into: &buffer)
            return Array(buffer.prefix(size))
        }
    }

    /// The ZMQ_EVENTS bits now: whether a receive or a send would succeed without blocking.
    public var events: PollEvents {
        get throws(ZMQError) { PollEvents(rawValue: Int16(try intOption(ZMQ_EVENTS, name: "ZMQ_EVENTS"))) }
    }

    @discardableResult
    private func getOption<Value>(_ option: Int32, name: String, into value: inout Value) throws(ZMQError) -> Int {
        let handle = try live
        var size = MemoryLayout<Value>.size
        _ = try retryingEINTR("zmq_getsockopt(\(name))") {
            withUnsafeMutableBytes(of: &value) { zmq_getsockopt(handle, option, $0.baseAddress, &size) }
        }
        return size
    }

    @discardableResult
    private func getOption<Element>(_ option: Int32, name: String, into buffer: inout [Element]) throws(ZMQError) -> Int {
        let handle = try live
        var size = buffer.count * MemoryLayout<Element>.stride
        _ = try retryingEINTR("zmq_getsockopt(\(name))") {
            buffer.withUnsafeMutableBytes { zmq_getsockopt(handle, option, $0.baseAddress, &size) }
        }
        return size
    }
}

// ENOTSOCK as libzmq numbers it, for use after `close()`.
let ENOTSOCK_VALUE: Int32 = 156_384_712 + 9
