import ZeroMQ

/// CANCEL, coordinator → worker: stop these attempts; the worker answers each with a RESULT (cancelled).
public struct CancelTasks: WireMessage {
    public static let type = MessageType.cancel
    public var tasks: [TaskRef]
    public var reason: String

    public init(tasks: [TaskRef], reason: String) {
        self.tasks = tasks
        self.reason = reason
    }

    public func encodeBody(into w: inout WireWriter) {
        w.list(tasks) { $1.encode(into: &$0) }
        w.string(reason)
    }

    public init(body r: inout WireReader, payloads: ArraySlice<Frame>) throws(ProtocolError) {
        tasks = try r.list("tasks", minimumElementBytes: TaskRef.encodedSize) {
            (r: inout WireReader) throws(ProtocolError) in try TaskRef(from: &r)
        }
        reason = try r.string("reason")
        _ = try Self.requirePayloads(payloads, count: 0, limits: r.limits)
    }
}
