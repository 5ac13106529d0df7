import CZeroMQ

/// A socket option Shoal sets, typed. `Socket.set(_:)` throws when libzmq rejects it; nothing is swallowed.
///
/// Times are milliseconds, as libzmq takes them; `-1` means "forever" where libzmq allows it.
public enum SocketOption: Sendable, Equatable {
    /// ZMQ_LINGER: how long `close` keeps unsent messages. 0 drops them; -1 waits forever.
    case linger(milliseconds: Int32)
    /// ZMQ_SNDHWM: queued outbound messages per peer before send blocks or returns EAGAIN. 0 is unlimited.
    case sendHighWaterMark(Int32)
    /// ZMQ_RCVHWM: queued inbound messages per peer before libzmq stops reading. 0 is unlimited.
    case receiveHighWaterMark(Int32)
    /// ZMQ_SNDTIMEO: how long a blocking send waits before EAGAIN.
    case sendTimeout(milliseconds: Int32)
    /// ZMQ_RCVTIMEO: how long a blocking receive waits before EAGAIN.
    case receiveTimeout(milliseconds: Int32)
    /// ZMQ_ROUTING_ID: this socket's identity as a ROUTER peer sees it (1–255 bytes, not starting with 0).
    case routingID([UInt8])
    /// ZMQ_ROUTER_MANDATORY: a ROUTER send to an unknown peer fails with EHOSTUNREACH instead of vanishing.
    case routerMandatory(Bool)
    /// ZMQ_ROUTER_HANDOVER: a peer reconnecting with a routing id in use takes it over.
    case routerHandover(Bool)
    /// ZMQ_IMMEDIATE: queue messages only to completed connections.
    case immediate(Bool)
    /// ZMQ_MAXMSGSIZE: inbound frames larger than this drop the connection before they are buffered. -1: none.
    case maxMessageSize(Int64)
    /// ZMQ_HEARTBEAT_IVL: send a ZMTP PING this often on idle connections.
    case heartbeatInterval(milliseconds: Int32)
    /// ZMQ_HEARTBEAT_TTL: tell the peer to drop us after this long without traffic (rounded to 100 ms).
    case heartbeatTTL(milliseconds: Int32)
    /// ZMQ_HEARTBEAT_TIMEOUT: drop a connection whose PING went unanswered this long.
    case heartbeatTimeout(milliseconds: Int32)
    /// ZMQ_RECONNECT_IVL: first delay before reconnecting.
    case reconnectInterval(milliseconds: Int32)
    /// ZMQ_RECONNECT_IVL_MAX: the cap of the exponential reconnect back-off. 0: no back-off.
    case reconnectIntervalMax(milliseconds: Int32)
    /// ZMQ_SUBSCRIBE: a SUB socket's topic prefix; empty subscribes to everything.
    case subscribe([UInt8])
    /// ZMQ_UNSUBSCRIBE.
    case unsubscribe([UInt8])
    /// ZMQ_CURVE_SERVER: act as the CURVE server (holds a secret key, authenticates clients through ZAP).
    case curveServer(Bool)
    /// ZMQ_CURVE_PUBLICKEY: this socket's long-term public key.
    case curvePublicKey(CurveKey)
    /// ZMQ_CURVE_SECRETKEY: this socket's long-term secret key.
    case curveSecretKey(CurveKey)
    /// ZMQ_CURVE_SERVERKEY: the public key of the server a CURVE client connects to.
    case curveServerKey(CurveKey)
    /// ZMQ_ZAP_DOMAIN: the authentication domain passed to the ZAP handler.
    case zapDomain(String)
    /// ZMQ_IPV6: allow IPv6 on tcp endpoints.
    case ipv6(Bool)

    /// The libzmq option name, for error messages.
    public var name: String {
        switch self {
        case .linger: "ZMQ_LINGER"
        case .sendHighWaterMark: "ZMQ_SNDHWM"
        case .receiveHighWaterMark: "ZMQ_RCVHWM"
        case .sendTimeout: "ZMQ_SNDTIMEO"
        case .receiveTimeout: "ZMQ_RCVTIMEO"
        case .routingID: "ZMQ_ROUTING_ID"
        case .routerMandatory: "ZMQ_ROUTER_MANDATORY"
        case .routerHandover: "ZMQ_ROUTER_HANDOVER"
        case .immediate: "ZMQ_IMMEDIATE"
        case .maxMessageSize: "ZMQ_MAXMSGSIZE"
        case .heartbeatInterval: "ZMQ_HEARTBEAT_IVL"
        case .heartbeatTTL: "ZMQ_HEARTBEAT_TTL"
        case .heartbeatTimeout: "ZMQ_HEARTBEAT_TIMEOUT"
        case .reconnectInterval: "ZMQ_RECONNECT_IVL"
        case .reconnectIntervalMax: "ZMQ_RECONNECT_IVL_MAX"
        case .subscribe: "ZMQ_SUBSCRIBE"
        case .unsubscribe: "ZMQ_UNSUBSCRIBE"
        case .curveServer: "ZMQ_CURVE_SERVER"
        case .curvePublicKey: "ZMQ_CURVE_PUBLICKEY"
        case .curveSecretKey: "ZMQ_CURVE_SECRETKEY"
        case .curveServerKey: "ZMQ_CURVE_SERVERKEY"
        case .zapDomain: "ZMQ_ZAP_DOMAIN"
        case .ipv6: "ZMQ_IPV6"
        }
    }

    /// The option number and its value as the bytes `zmq_setsockopt` takes.
    var encoded: (option: Int32, value: [UInt8]) {
        func int32(_ value: Int32) -> [UInt8] { withUnsafeBytes(of: value) { Array($0) } }
        func bool(_ value: Bool) -> [UInt8] { int32(value ? 1 : 0) }
        switch self {
        case .linger(let ms): return (ZMQ_LINGER, int32(ms))
        case .sendHighWaterMark(let n): return (ZMQ_SNDHWM, int32(n))
        case .receiveHighWaterMark(let n): return (ZMQ_RCVHWM, int32(n))
        case .sendTimeout(let ms): return (ZMQ_SNDTIMEO, int32(ms))
        case .receiveTimeout(let ms): return (ZMQ_RCVTIMEO, int32(ms))
        case .routingID(let id): return (ZMQ_ROUTING_ID, id)
        case .routerMandatory(let on): return (ZMQ_ROUTER_MANDATORY, bool(on))
        case .routerHandover(let on): return (ZMQ_ROUTER_HANDOVER, bool(on))
        case .immediate(let on): return (ZMQ_IMMEDIATE, bool(on))
        case .maxMessageSize(let n): return (ZMQ_MAXMSGSIZE, withUnsafeBytes(of: n) { Array($0) })
        case .heartbeatInterval(let ms): return (ZMQ_HEARTBEAT_IVL, int32(ms))
        case .heartbeatTTL(let ms): return (ZMQ_HEARTBEAT_TTL, int32(ms))
        case .heartbeatTimeout(let ms): return (ZMQ_HEARTBEAT_TIMEOUT, int32(ms))
        case .reconnectInterval(let ms): return (ZMQ_RECONNECT_IVL, int32(ms))
        case .reconnectIntervalMax(let ms): return (ZMQ_RECONNECT_IVL_MAX, int32(ms))
        case .subscribe(let prefix): return (ZMQ_SUBSCRIBE, prefix)
        case .unsubscribe(let prefix): return (ZMQ_UNSUBSCRIBE, prefix)
        case .curveServer(let on): return (ZMQ_CURVE_SERVER, bool(on))
        case .curvePublicKey(let key): return (ZMQ_CURVE_PUBLICKEY, key.bytes)
        case .curveSecretKey(let key): return (ZMQ_CURVE_SECRETKEY, key.bytes)
        case .curveServerKey(let key): return (ZMQ_CURVE_SERVERKEY, key.bytes)
        case .zapDomain(let domain): return (ZMQ_ZAP_DOMAIN, Array(domain.utf8))
        case .ipv6(let on): return (ZMQ_IPV6, bool(on))
        }
    }
}
