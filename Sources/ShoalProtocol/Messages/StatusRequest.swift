import ZeroMQ

/// STATUS, client → coordinator: asks for a job's state, or the whole cluster's when `jobID` is 0; with a
/// `taskID`, that task's attempts in detail (errors, log tails).
public struct StatusRequest: WireMessage {
    public static let type = MessageType.status
    public var requestID: UInt64
    public var jobID: UInt64
    /// 0: no task detail.
    public var taskID: UInt64

    public init(requestID: UInt64, jobID: UInt64 = 0, taskID: UInt64 = 0) {
        self.requestID = requestID
        self.jobID = jobID
        self.taskID = taskID
    }

    public func encodeBody(into w: inout WireWriter) {
        w.u64(requestID)
        w.u64(jobID)
        w.u64(taskID)
    }

    public init(body r: inout WireReader, payloads: ArraySlice<Frame>) throws(ProtocolError) {
        requestID = try r.u64("request_id")
        jobID = try r.u64("job_id")
        taskID = try r.u64("task_id")
        _ = try Self.requirePayloads(payloads, count: 0, limits: r.limits)
    }
}
