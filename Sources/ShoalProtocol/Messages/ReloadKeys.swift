import ZeroMQ

/// RELOAD-KEYS, client → coordinator: read the keys directory's allow-lists again (`shoal keys reload`, the same
/// as SIGHUP). Answered with STATUS-REPORT (whose security summary says what changed) or ERROR: `not-found` when
/// the coordinator runs without CURVE, `invalid-job` when a key file is damaged (the lists in force stay).
public struct ReloadKeys: WireMessage {
    public static let type = MessageType.reloadKeys
    public var requestID: UInt64

    public init(requestID: UInt64) {
        self.requestID = requestID
    }

    public func encodeBody(into w: inout WireWriter) {
        w.u64(requestID)
    }

    public init(body r: inout WireReader, payloads: ArraySlice<Frame>) throws(ProtocolError) {
        requestID = try r.u64("request_id")
        _ = try Self.requirePayloads(payloads, count: 0, limits: r.limits)
    }
}
