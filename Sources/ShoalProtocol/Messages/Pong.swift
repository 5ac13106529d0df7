import ZeroMQ

/// PONG, reply to PING: the responder's role, software and chosen protocol version.
public struct Pong: WireMessage {
    public static let type = MessageType.pong
    public var nonce: UInt64
    /// The version the responder chose: the highest both sides speak.
    public var version: UInt8
    public var minVersion: UInt8
    public var maxVersion: UInt8
    /// "coordinator", "worker", "ping-server", …
    public var role: String
    /// The responder's software version, e.g. "shoal 0.1.0 (libzmq 4.3.4)".
    public var software: String

    public init(nonce: UInt64, version: UInt8, minVersion: UInt8 = ProtocolVersion.minimum,
                maxVersion: UInt8 = ProtocolVersion.current, role: String, software: String) {
        self.nonce = nonce
        self.version = version
        self.minVersion = minVersion
        self.maxVersion = maxVersion
        self.role = role
        self.software = software
    }

    public func encodeBody(into w: inout WireWriter) {
        w.u64(nonce)
        w.u8(version)
        w.u8(minVersion)
        w.u8(maxVersion)
        w.string(role)
        w.string(software)
    }

    public init(body r: inout WireReader, payloads: ArraySlice<Frame>) throws(ProtocolError) {
        nonce = try r.u64("nonce")
        version = try r.u8("version")
        minVersion = try r.u8("min_version")
        maxVersion = try r.u8("max_version")
        role = try r.string("role")
        software = try r.string("software")
        _ = try Self.requirePayloads(payloads, count: 0, limits: r.limits)
    }
}
