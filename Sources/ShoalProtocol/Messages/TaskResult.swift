import ZeroMQ

/// RESULT, worker → coordinator: how an attempt ended, with its named binary outputs as payload frames.
public struct TaskResult: WireMessage {
    public static let type = MessageType.result

    /// How an attempt ended.
    public enum Outcome: UInt8, Sendable {
        case succeeded = 0
        case failed = 1
        case cancelled = 2
    }

    public var task: TaskRef
    public var outcome: Outcome
    /// The process exit status of a command task; -1 when not applicable or killed by a signal.
    public var exitStatus: Int32
    /// The signal that ended a command task; 0 for none.
    public var signal: Int32
    /// What went wrong, for a person; empty on success.
    public var error: String
    /// The last lines of the attempt's output, for the job's failure report.
    public var logTail: String
    public var counters: [Counter]
    /// Kind-specific outputs (partial aggregates, gradients, …), each named, each one payload frame.
    public var outputs: [NamedFrame]

    public init(
        task: TaskRef, outcome: Outcome, exitStatus: Int32 = -1, signal: Int32 = 0, error: String = "",
        logTail: String = "", counters: [Counter] = [], outputs: [NamedFrame] = []
    ) {
        self.task = task
        self.outcome = outcome
        self.exitStatus = exitStatus
        self.signal = signal
        self.error = error
        self.logTail = logTail
        self.counters = counters
        self.outputs = outputs
    }

    public var payloads: [Frame] { outputs.map(\.frame) }

    public func encodeBody(into w: inout WireWriter) {
        task.encode(into: &w)
        w.u8(outcome.rawValue)
        w.i32(exitStatus)
        w.i32(signal)
        w.string(error)
        w.string(logTail)
        w.list(counters) { $1.encode(into: &$0) }
        w.list(outputs) { $0.string($1.name) }
    }

    public init(body r: inout WireReader, payloads: ArraySlice<Frame>) throws(ProtocolError) {
        task = try TaskRef(from: &r)
        let code = try r.u8("outcome")
        guard let outcome = Outcome(rawValue: code) else {
            throw .invalidValue(field: "outcome", reason: "unknown outcome \(code)")
        }
        self.outcome = outcome
        exitStatus = try r.i32("exit_status")
        signal = try r.i32("signal")
        error = try r.string("error")
        logTail = try r.string("log_tail")
        counters = try r.list("counters", minimumElementBytes: Counter.minimumEncodedSize) {
            (r: inout WireReader) throws(ProtocolError) in try Counter(from: &r)
        }
        let names = try r.list("outputs", minimumElementBytes: 4) { (r: inout WireReader) throws(ProtocolError) in
            try r.string("outputs[]")
        }
        let frames = try Self.requirePayloads(payloads, count: names.count, limits: r.limits)
        outputs = zip(names, frames).map { NamedFrame(name: $0, frame: $1) }
    }
}

/// A payload frame with the name that says what it holds.
public struct NamedFrame: Sendable, Equatable {
    public var name: String
    public var frame: Frame

    public init(name: String, frame: Frame) {
        self.name = name
        self.frame = frame
    }
}
