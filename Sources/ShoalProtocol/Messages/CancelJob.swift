import ZeroMQ

/// CANCEL-JOB, client → coordinator: cancel a job; answered with the job's STATUS-REPORT.
public struct CancelJob: WireMessage {
    public static let type = MessageType.cancelJob
    public var requestID: UInt64
    public var jobID: UInt64
    public var reason: String

    public init(requestID: UInt64, jobID: UInt64, reason: String) {
        self.requestID = requestID
        self.jobID = jobID
        self.reason = reason
    }

    public func encodeBody(into w: inout WireWriter) {
        w.u64(requestID)
        w.u64(jobID)
        w.string(reason)
    }

    public init(body r: inout WireReader, payloads: ArraySlice<Frame>) throws(ProtocolError) {
        requestID = try r.u64("request_id")
        jobID = try r.u64("job_id")
        reason = try r.string("reason")
        _ = try Self.requirePayloads(payloads, count: 0, limits: r.limits)
    }
}
