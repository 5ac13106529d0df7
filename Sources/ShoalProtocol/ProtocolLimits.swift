/// Size limits every Shoal peer enforces (docs/protocol.md, "Limits").
public struct ProtocolLimits: Sendable, Equatable {
    /// The largest body (control) frame: control data is small; bulk goes in payload frames.
    public var maxBodyBytes: Int
    /// The largest payload frame. Receivers also set ZMQ_MAXMSGSIZE to this, so libzmq drops a connection
    /// that announces a larger frame before buffering it.
    public var maxPayloadFrameBytes: Int
    /// The most payload frames one message may carry.
    public var maxPayloadFrames: Int
    /// The longest string field, in UTF-8 bytes.
    public var maxStringBytes: Int
    /// The most elements of one list field.
    public var maxListCount: Int

    public init(
        maxBodyBytes: Int = 1 << 20,
        maxPayloadFrameBytes: Int = 1 << 30,
        maxPayloadFrames: Int = 4096,
        maxStringBytes: Int = 256 << 10,
        maxListCount: Int = 65_536
    ) {
        self.maxBodyBytes = maxBodyBytes
        self.maxPayloadFrameBytes = maxPayloadFrameBytes
        self.maxPayloadFrames = maxPayloadFrames
        self.maxStringBytes = maxStringBytes
        self.maxListCount = maxListCount
    }

    /// The limits of protocol version 1.
    public static let standard = ProtocolLimits()
}
