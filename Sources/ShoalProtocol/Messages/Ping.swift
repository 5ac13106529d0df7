import ZeroMQ

/// PING, any peer → any Shoal endpoint: "are you there, and which protocol do you speak?"
/// Answered with PONG, or ERROR (unsupported-version) when the version ranges do not meet.
public struct Ping: WireMessage {
    public static let type = MessageType.ping
    /// Echoed in the PONG, to match replies and measure round trips.
    public var nonce: UInt64
    public var minVersion: UInt8
    public var maxVersion: UInt8
    /// Who asks, for the responder's log, e.g. "shoal doctor 0.1.0".
    public var sender: String

    public init(
        nonce: UInt64, minVersion: UInt8 = ProtocolVersion.minimum, maxVersion: UInt8 = ProtocolVersion.current,
        sender: String
    ) {
        self.nonce = nonce
        self.minVersion = minVersion
        self.maxVersion = maxVersion
        self.sender = sender
    }

    public func encodeBody(into w: inout WireWriter) {
        w.u64(nonce)
        w.u8(minVersion)
        w.u8(maxVersion)
        w.string(sender)
    }

    public init(body r: inout WireReader, payloads: ArraySlice<Frame>) throws(ProtocolError) {
        nonce = try r.u64("nonce")
        minVersion = try r.u8("min_version")
        maxVersion = try r.u8("max_version")
        guard minVersion <= maxVersion else {
            throw .invalidValue(field: "min_version", reason: "min_version \(minVersion) > max_version \(maxVersion)")
        }
        sender = try r.string("sender")
        _ = try Self.requirePayloads(payloads, count: 0, limits: r.limits)
    }
}
