import ZeroMQ

/// HEARTBEAT, both directions: liveness, the worker's free slots, and per-task progress.
public struct Heartbeat: WireMessage {
    public static let type = MessageType.heartbeat
    /// Slots the worker has free now (the coordinator sends 0).
    public var freeSlots: UInt16
    /// Progress of each running attempt (the coordinator sends none).
    public var progress: [TaskProgress]

    public init(freeSlots: UInt16 = 0, progress: [TaskProgress] = []) {
        self.freeSlots = freeSlots
        self.progress = progress
    }

    public func encodeBody(into w: inout WireWriter) {
        w.u16(freeSlots)
        w.list(progress) { $1.encode(into: &$0) }
    }

    public init(body r: inout WireReader, payloads: ArraySlice<Frame>) throws(ProtocolError) {
        freeSlots = try r.u16("free_slots")
        progress = try r.list("progress", minimumElementBytes: TaskProgress.minimumEncodedSize) {
            (r: inout WireReader) throws(ProtocolError) in try TaskProgress(from: &r)
        }
        _ = try Self.requirePayloads(payloads, count: 0, limits: r.limits)
    }
}

/// How far one attempt has come.
public struct TaskProgress: Sendable, Hashable {
    public var task: TaskRef
    public var records: UInt64
    public var bytes: UInt64
    /// Free text, e.g. the last `reporter:status:` line of a command task.
    public var status: String
    public var counters: [Counter]

    public init(task: TaskRef, records: UInt64, bytes: UInt64, status: String = "", counters: [Counter] = []) {
        self.task = task
        self.records = records
        self.bytes = bytes
        self.status = status
        self.counters = counters
    }

    static let minimumEncodedSize = TaskRef.encodedSize + 8 + 8 + 4 + 4

    func encode(into w: inout WireWriter) {
        task.encode(into: &w)
        w.u64(records)
        w.u64(bytes)
        w.string(status)
        w.list(counters) { $1.encode(into: &$0) }
    }

    init(from r: inout WireReader) throws(ProtocolError) {
        task = try TaskRef(from: &r)
        records = try r.u64("records")
        bytes = try r.u64("bytes")
        status = try r.string("status")
        counters = try r.list("counters", minimumElementBytes: Counter.minimumEncodedSize) {
            (r: inout WireReader) throws(ProtocolError) in try Counter(from: &r)
        }
    }
}
