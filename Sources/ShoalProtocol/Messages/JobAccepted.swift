import ZeroMQ

/// ACCEPTED, coordinator → client: the job is durably recorded under `jobID`.
public struct JobAccepted: WireMessage {
    public static let type = MessageType.accepted
    public var requestID: UInt64
    public var jobID: UInt64
    /// True when an earlier run of the same job is resumed rather than started anew.
    public var resumed: Bool

    public init(requestID: UInt64, jobID: UInt64, resumed: Bool = false) {
        self.requestID = requestID
        self.jobID = jobID
        self.resumed = resumed
    }

    public func encodeBody(into w: inout WireWriter) {
        w.u64(requestID)
        w.u64(jobID)
        w.bool(resumed)
    }

    public init(body r: inout WireReader, payloads: ArraySlice<Frame>) throws(ProtocolError) {
        requestID = try r.u64("request_id")
        jobID = try r.u64("job_id")
        resumed = try r.bool("resumed")
        _ = try Self.requirePayloads(payloads, count: 0, limits: r.limits)
    }
}
