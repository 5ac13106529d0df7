import ZeroMQ

/// RESULT, worker → coordinator: how one or more attempts ended, with their named binary outputs as payload
/// frames — result 0's outputs first, then result 1's, and so on. A worker sends the results that are ready
/// together, so a stream of tiny tasks costs one message per burst, not one per task.
public struct ResultBatch: WireMessage {
    public static let type = MessageType.result
    public var results: [TaskResult]

    public init(_ results: [TaskResult]) { self.results = results }

    public var payloads: [Frame] { results.flatMap(\.payloads) }

    public func encodeBody(into w: inout WireWriter) {
        w.list(results) { $1.encode(into: &$0) }
    }

    public init(body r: inout WireReader, payloads: ArraySlice<Frame>) throws(ProtocolError) {
        var heads = try r.list("results", minimumElementBytes: TaskResult.minimumEncodedSize) {
            (r: inout WireReader) throws(ProtocolError) in try TaskResult(headFrom: &r)
        }
        guard !heads.isEmpty else { throw .invalidValue(field: "results", reason: "a RESULT carries at least one") }
        let names = heads.reduce(0) { $0 + $1.outputs.count }
        let frames = try Self.requirePayloads(payloads, count: names, limits: r.limits)
        var next = 0
        for index in heads.indices {
            for output in heads[index].outputs.indices {
                heads[index].outputs[output].frame = frames[next]
                next += 1
            }
        }
        results = heads
    }
}

/// How one attempt ended: an element of RESULT.
public struct TaskResult: Sendable, Equatable {
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

    /// The smallest encoding: a `TaskRef`, the outcome, two `i32`s and four empty strings or lists.
    static let minimumEncodedSize = TaskRef.encodedSize + 1 + 4 + 4 + 4 * 4

    public var payloads: [Frame] { outputs.map(\.frame) }

    func encode(into w: inout WireWriter) {
        task.encode(into: &w)
        w.u8(outcome.rawValue)
        w.i32(exitStatus)
        w.i32(signal)
        w.string(error)
        w.string(logTail)
        w.list(counters) { $1.encode(into: &$0) }
        w.list(outputs) { $0.string($1.name) }
    }

    /// Reads the fields; the outputs get their names and empty frames, which the batch fills in.
    init(headFrom r: inout WireReader) throws(ProtocolError) {
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
        outputs = try r.list("outputs", minimumElementBytes: 4) { (r: inout WireReader) throws(ProtocolError) in
            NamedFrame(name: try r.string("outputs[]"), frame: Frame([]))
        }
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

extension TaskResult {
    /// The bytes this result takes in a RESULT body.
    public var encodedSize: Int {
        Self.minimumEncodedSize + error.utf8.count + logTail.utf8.count
            + counters.reduce(0) { $0 + Counter.minimumEncodedSize + $1.name.utf8.count }
            + outputs.reduce(0) { $0 + 4 + $1.name.utf8.count }
    }
}

extension ResultBatch {
    /// Packs `results`, in order, into as few RESULT messages as `limits` allow: each body at most
    /// `bodyBudget` bytes (a single larger result travels alone) and each message within the payload-frame limit.
    public static func packing(
        _ results: [TaskResult], limits: ProtocolLimits = .standard, bodyBudget: Int? = nil
    ) -> [ResultBatch] {
        let budget = min(bodyBudget ?? limits.maxBodyBytes / 2, limits.maxBodyBytes - 4)
        var batches: [ResultBatch] = []
        var current: [TaskResult] = []
        var bytes = 4
        var frames = 0
        for result in results {
            let size = result.encodedSize
            if !current.isEmpty
                && (bytes + size > budget || frames + result.outputs.count > limits.maxPayloadFrames
                    || current.count == limits.maxListCount)
            {
                batches.append(ResultBatch(current))
                current = []
                bytes = 4
                frames = 0
            }
            current.append(result)
            bytes += size
            frames += result.outputs.count
        }
        if !current.isEmpty { batches.append(ResultBatch(current)) }
        return batches
    }
}
