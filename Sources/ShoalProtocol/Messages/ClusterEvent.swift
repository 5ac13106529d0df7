import ZeroMQ

/// EVENT, coordinator → watchers over PUB/SUB: something happened (a job changed state, progress, a worker
/// joined). On the wire a topic frame precedes the header so SUB sockets can filter; see `ShoalCodec.encodeEvent`.
public struct ClusterEvent: WireMessage {
    public static let type = MessageType.event
    /// Increases by one per event of a coordinator epoch; a gap tells a watcher it missed events.
    public var sequence: UInt64
    /// Milliseconds since the Unix epoch at the coordinator.
    public var timeMs: UInt64
    /// "job", "task", "worker", "progress", … (docs/protocol.md lists them and their documents).
    public var kind: String
    /// The event's JSON document.
    public var document: Frame

    public init(sequence: UInt64, timeMs: UInt64, kind: String, document: Frame) {
        self.sequence = sequence
        self.timeMs = timeMs
        self.kind = kind
        self.document = document
    }

    public var payloads: [Frame] { [document] }

    public func encodeBody(into w: inout WireWriter) {
        w.u64(sequence)
        w.u64(timeMs)
        w.string(kind)
    }

    public init(body r: inout WireReader, payloads: ArraySlice<Frame>) throws(ProtocolError) {
        sequence = try r.u64("sequence")
        timeMs = try r.u64("time_ms")
        kind = try r.string("kind")
        document = try Self.requirePayloads(payloads, count: 1, limits: r.limits)[0]
    }
}
