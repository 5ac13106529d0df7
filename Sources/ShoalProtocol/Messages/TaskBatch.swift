import ZeroMQ

/// TASK, coordinator → worker: one or more attempts to run. Several small tasks share one message.
/// Each assignment's spec travels as its own payload frame, followed by its attachments (bulk bytes such as a
/// training step's parameters), in assignment order.
public struct TaskBatch: WireMessage {
    public static let type = MessageType.task
    public var assignments: [TaskAssignment]

    public init(_ assignments: [TaskAssignment]) { self.assignments = assignments }

    public var payloads: [Frame] { assignments.flatMap { [$0.spec] + $0.attachments } }

    public func encodeBody(into w: inout WireWriter) {
        w.list(assignments) { w, a in
            a.task.encode(into: &w)
            w.u64(a.jobID)
            w.string(a.kind)
            w.u32(a.timeoutMs)
            w.u32(UInt32(a.attachments.count))
        }
    }

    public init(body r: inout WireReader, payloads: ArraySlice<Frame>) throws(ProtocolError) {
        let heads = try r.list("assignments", minimumElementBytes: TaskRef.encodedSize + 8 + 4 + 4 + 4) {
            (r: inout WireReader) throws(ProtocolError) in
            (try TaskRef(from: &r), try r.u64("job_id"), try r.string("kind"), try r.u32("timeout_ms"),
             Int(try r.u32("attachments")))
        }
        guard !heads.isEmpty else { throw .invalidValue(field: "assignments", reason: "a TASK carries at least one") }
        // Checked before summing: the frame limit caps the total anyway, and a forged count must not overflow.
        guard heads.allSatisfy({ $0.4 <= payloads.count }) else {
            throw .frameCount(type: Self.type.description, expected: heads.count + 2, got: payloads.count + 2)
        }
        let frames = try Self.requirePayloads(payloads, count: heads.reduce(0) { $0 + 1 + $1.4 }, limits: r.limits)
        var next = 0
        assignments = heads.map { head in
            let spec = frames[next]
            let attachments = Array(frames[(next + 1)..<(next + 1 + head.4)])
            next += 1 + head.4
            return TaskAssignment(
                task: head.0, jobID: head.1, kind: head.2, timeoutMs: head.3, spec: spec, attachments: attachments)
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
    /// Bulk bytes that go with the spec, each its own frame (a training step's parameters): sent without a copy,
    /// and one frame can serve every task of a stage.
    public var attachments: [Frame]

    public init(
        task: TaskRef, jobID: UInt64, kind: String, timeoutMs: UInt32 = 0, spec: Frame, attachments: [Frame] = []
    ) {
        self.task = task
        self.jobID = jobID
        self.kind = kind
        self.timeoutMs = timeoutMs
        self.spec = spec
        self.attachments = attachments
    }
}
