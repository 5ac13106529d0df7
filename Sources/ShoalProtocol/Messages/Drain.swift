import ZeroMQ

/// DRAIN, either direction on the worker endpoint. Worker → coordinator: "send me no more TASK; I finish what I
/// hold and then leave with BYE". Coordinator → worker: "please do that" (`shoal drain`).
public struct Drain: WireMessage {
    public static let type = MessageType.drain
    public var reason: String

    public init(reason: String) { self.reason = reason }

    public func encodeBody(into w: inout WireWriter) {
        w.string(reason)
    }

    public init(body r: inout WireReader, payloads: ArraySlice<Frame>) throws(ProtocolError) {
        reason = try r.string("reason")
        _ = try Self.requirePayloads(payloads, count: 0, limits: r.limits)
    }
}
