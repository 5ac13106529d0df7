import CZeroMQ

/// A socket monitor event (zmq_socket_monitor(3)), with the endpoint it concerns.
public enum SocketEvent: Sendable, Equatable, CustomStringConvertible {
    /// An outgoing connection was made (TCP up; the ZMTP handshake follows).
    case connected(endpoint: String)
    /// A connect is pending (e.g. the TCP SYN is out).
    case connectDelayed(endpoint: String)
    /// A connect failed and will be retried after `milliseconds` (e.g. connection refused).
    case connectRetried(endpoint: String, milliseconds: Int)
    /// A bind is listening.
    case listening(endpoint: String)
    /// A bind failed with `errno`.
    case bindFailed(endpoint: String, errno: Int32)
    /// An incoming connection was accepted.
    case accepted(endpoint: String)
    /// Accepting an incoming connection failed with `errno`.
    case acceptFailed(endpoint: String, errno: Int32)
    /// A connection's socket was closed.
    case closed(endpoint: String)
    /// A connection was lost.
    case disconnected(endpoint: String)
    /// The ZMTP (and, with CURVE, authentication) handshake completed.
    case handshakeSucceeded(endpoint: String)
    /// The handshake failed with a system error `errno`.
    case handshakeFailedNoDetail(endpoint: String, errno: Int32)
    /// The handshake failed with a ZMTP protocol error (`ZMQ_PROTOCOL_ERROR_*`), e.g. a wrong CURVE key.
    case handshakeFailedProtocol(endpoint: String, code: Int32)
    /// The ZAP handler refused the peer with this status code (300, 400 or 500).
    case handshakeFailedAuth(endpoint: String, status: Int32)
    /// The monitor stopped; no further events follow.
    case monitorStopped
    /// An event this wrapper does not name.
    case other(event: UInt16, value: Int32, endpoint: String)

    /// The libzmq bit mask that selects every event above.
    public static let all = ZMQ_EVENT_ALL
    /// The mask of the three handshake failures.
    public static let handshakeFailures =
        ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH

    init(event: UInt16, value: Int32, endpoint: String) {
        switch Int32(event) {
        case ZMQ_EVENT_CONNECTED: self = .connected(endpoint: endpoint)
        case ZMQ_EVENT_CONNECT_DELAYED: self = .connectDelayed(endpoint: endpoint)
        case ZMQ_EVENT_CONNECT_RETRIED: self = .connectRetried(endpoint: endpoint, milliseconds: Int(value))
        case ZMQ_EVENT_LISTENING: self = .listening(endpoint: endpoint)
        case ZMQ_EVENT_BIND_FAILED: self = .bindFailed(endpoint: endpoint, errno: value)
        case ZMQ_EVENT_ACCEPTED: self = .accepted(endpoint: endpoint)
        case ZMQ_EVENT_ACCEPT_FAILED: self = .acceptFailed(endpoint: endpoint, errno: value)
        case ZMQ_EVENT_CLOSED: self = .closed(endpoint: endpoint)
        case ZMQ_EVENT_DISCONNECTED: self = .disconnected(endpoint: endpoint)
        case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: self = .handshakeSucceeded(endpoint: endpoint)
        case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL: self = .handshakeFailedNoDetail(endpoint: endpoint, errno: value)
        case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL: self = .handshakeFailedProtocol(endpoint: endpoint, code: value)
        case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: self = .handshakeFailedAuth(endpoint: endpoint, status: value)
        case ZMQ_EVENT_MONITOR_STOPPED: self = .monitorStopped
        default: self = .other(event: event, value: value, endpoint: endpoint)
        }
    }

    /// Whether the event reports a failed handshake of any kind.
    public var isHandshakeFailure: Bool {
        switch self {
        case .handshakeFailedNoDetail, .handshakeFailedProtocol, .handshakeFailedAuth: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .connected(let e): "connected \(e)"
        case .connectDelayed(let e): "connect delayed \(e)"
        case .connectRetried(let e, let ms): "connect to \(e) failed; retrying in \(ms) ms"
        case .listening(let e): "listening \(e)"
        case .bindFailed(let e, let errno): "bind \(e) failed: \(String(cString: zmq_strerror(errno)))"
        case .accepted(let e): "accepted \(e)"
        case .acceptFailed(let e, let errno): "accept on \(e) failed: \(String(cString: zmq_strerror(errno)))"
        case .closed(let e): "closed \(e)"
        case .disconnected(let e): "disconnected \(e)"
        case .handshakeSucceeded(let e): "handshake succeeded \(e)"
        case .handshakeFailedNoDetail(let e, let errno):
            "handshake with \(e) failed: \(String(cString: zmq_strerror(errno)))"
        case .handshakeFailedProtocol(let e, let code):
            "handshake with \(e) failed: protocol error 0x\(String(UInt32(bitPattern: code), radix: 16))"
        case .handshakeFailedAuth(let e, let status): "handshake with \(e) refused by authentication (ZAP \(status))"
        case .monitorStopped: "monitor stopped"
        case .other(let event, let value, let e): "event 0x\(String(event, radix: 16)) value \(value) \(e)"
        }
    }
}
