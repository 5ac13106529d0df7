import ZeroMQ

/// TASK, coordinator → worker: one or more attempts to run. Several small tasks share one message.
/// Each assignment's spec travels as its own payload frame, in assignment order.
public struct TaskBatch: WireMessage {
    public static let type = MessageType.task
    public var assignments: [TaskAssignment]

    public init(_ assignments: [TaskAssignment]) { self.assignments = assignments }

    public var payloads: [Frame] { assignments.map(\.spec) }

    public func encodeBody(into w: inout WireWriter) {
        w.list(assignments) { w, a in
            a.task.encode(into: &w)
            w.u64(a.jobID)
            w.string(a.kind)
            w.u32(a.timeoutMs)
        }
    }

    public init(body r: inout WireReader, payloads: ArraySlice<Frame>) throws(ProtocolError) {
        let heads = try r.list("assignments", minimumElementBytes: TaskRef.encodedSize + 8 + 4 + 4) {
            (r: inout WireReader) throws(ProtocolError) in
            (try TaskRef(from: &r), try r.u64("job_id"), try r.string("kind"), try r.u32("timeout_ms"))
        }
        guard !heads.isEmpty else { throw .invalidValue(field: "assignments", reason: "a TASK carries at least one") }
        let specs = try Self.requirePayloads(payloads, count: heads.count, limits: r.limits)
        assignments = zip(heads, specs).map { head, spec in
            TaskAssignment(task: head.0, jobID: head.1, kind: head.2, timeoutMs: head.3, spec: spec)
        }
    }
}

/// One attempt handed to a worker.
public struct TaskAssignment: Sendable, Equatable {
    public var task: TaskRef
    public var jobID: UInt64
    /// Selects the executor on the worker ("command", "etl", "train", …).
    public var kind: String
    /// Kill the attempt after this long; 0: no limit.
    public var timeoutMs: UInt32
    /// The kind-specific description of the work (its format belongs to the kind).
    public var spec: Frame

    public init(task: TaskRef, jobID: UInt64, kind: String, timeoutMs: UInt32 = 0, spec: Frame) {
        self.task = task
        self.jobID = jobID
        self.kind = kind
        self.timeoutMs = timeoutMs
        self.spec = spec
    }
}
