import ZeroMQ

/// STATUS-REPORT, coordinator → client: the answer to STATUS or CANCEL-JOB, a JSON document as one payload
/// frame (its schema is in docs/protocol.md; it is for people and tools, not a hot path).
public struct StatusReport: WireMessage {
    public static let type = MessageType.statusReport
    public var requestID: UInt64
    public var document: Frame

    public init(requestID: UInt64, document: Frame) {
        self.requestID = requestID
        self.document = document
    }

    public var payloads: [Frame] { [document] }

    public func encodeBody(into w: inout WireWriter) {
        w.u64(requestID)
    }

    public init(body r: inout WireReader, payloads: ArraySlice<Frame>) throws(ProtocolError) {
        requestID = try r.u64("request_id")
        document = try Self.requirePayloads(payloads, count: 1, limits: r.limits)[0]
    }
}
