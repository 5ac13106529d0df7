import Glibc
import ZeroMQ

/// RESULT, worker → coordinator: how one or more attempts ended, with their named binary outputs as payload
/// frames — result 0's outputs first, then result 1's, and so on. A worker sends the results that are ready
/// together, so a stream of tiny tasks costs one message per burst, not one per task.
///
/// An output whose bytes are in a shared-memory segment goes by reference when the coordinator maps this host's
/// shared memory (`FramePlacement`), and the file is the coordinator's from then on: it removes it on receipt.
public struct ResultBatch: WireMessage {
    public static let type = MessageType.result
    public var results: [TaskResult]
    /// The coordinator maps the worker's shared memory (WELCOME said so). Not itself on the wire.
    public var peerSharesMemory: Bool

    public init(_ results: [TaskResult], peerSharesMemory: Bool = false) {
        self.results = results
        self.peerSharesMemory = peerSharesMemory
    }

    public var payloads: [Frame] {
        results.flatMap { result in
            result.outputs.map { $0.placement(peerSharesMemory: peerSharesMemory).wireFrame(for: $0.frame) }
        }
    }

    public func encodeBody(into w: inout WireWriter) {
        w.list(results) { $1.encode(into: &$0, peerSharesMemory: peerSharesMemory) }
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
        peerSharesMemory = false
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

    func encode(into w: inout WireWriter, peerSharesMemory: Bool) {
        task.encode(into: &w)
        w.u8(outcome.rawValue)
        w.i32(exitStatus)
        w.i32(signal)
        w.string(error)
        w.string(logTail)
        w.list(counters) { $1.encode(into: &$0) }
        w.list(outputs) { w, output in
            w.string(output.name)
            w.u8(output.placement(peerSharesMemory: peerSharesMemory).rawValue)
        }
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
        outputs = try r.list("outputs", minimumElementBytes: 5) { (r: inout WireReader) throws(ProtocolError) in
            let name = try r.string("outputs[]")
            let placement = try FramePlacement(wire: try r.u8("outputs[].placement"), field: "outputs[].placement")
            guard placement != .outputRoom else {
                throw .invalidValue(field: "outputs[].placement", reason: "an output room is lent by TASK, not returned")
            }
            return NamedFrame(name: name, frame: Frame([]), placement: placement)
        }
    }
}

/// A payload frame with the name that says what it holds.
public struct NamedFrame: Sendable, Equatable {
    public var name: String
    public var frame: Frame
    /// Where a received frame's bytes are: a `.sharedMemory` one holds a `SharedMemoryReference` until the
    /// coordinator resolves it. `.inline` on the sending side (the batch places frames as it encodes them).
    public var placement: FramePlacement

    public init(name: String, frame: Frame, placement: FramePlacement = .inline) {
        self.name = name
        self.frame = frame
        self.placement = placement
    }

    /// How it travels: as it came (a reference passed on stays one), else by `FramePlacement.of`.
    func placement(peerSharesMemory: Bool) -> FramePlacement {
        placement == .sharedMemory ? .sharedMemory : FramePlacement.of(frame, peerSharesMemory: peerSharesMemory)
    }
}

extension TaskResult {
    /// The bytes this result takes in a RESULT body.
    public var encodedSize: Int {
        Self.minimumEncodedSize + error.utf8.count + logTail.utf8.count
            + counters.reduce(0) { $0 + Counter.minimumEncodedSize + $1.name.utf8.count }
            + outputs.reduce(0) { $0 + 5 + $1.name.utf8.count }
    }
}

extension ResultBatch {
    /// Packs `results`, in order, into as few RESULT messages as `limits` allow: each body at most
    /// `bodyBudget` bytes (a single larger result travels alone) and each message within the payload-frame limit.
    public static func packing(
        _ results: [TaskResult], limits: ProtocolLimits = .standard, bodyBudget: Int? = nil, peerSharesMemory: Bool = false
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
                batches.append(ResultBatch(current, peerSharesMemory: peerSharesMemory))
                current = []
                bytes = 4
                frames = 0
            }
            current.append(result)
            bytes += size
            frames += result.outputs.count
        }
        if !current.isEmpty { batches.append(ResultBatch(current, peerSharesMemory: peerSharesMemory)) }
        return batches
    }
}

extension TaskResult {
    /// Whether an output came as a shared-memory reference.
    public var hasSharedMemoryOutputs: Bool { outputs.contains { $0.placement == .sharedMemory } }

    /// The result with its shared-memory outputs mapped (read-only, in place): an output written into the room
    /// `lent` finds for its reference (the coordinator's own segment, lent to this very attempt), or a segment
    /// the worker made, whose name must carry `prefix` (the sending worker's process) and whose file is removed:
    /// a RESULT hands it over. Without a prefix (a worker that never proved it shares memory) no worker segment
    /// is followed.
    /// - Throws: the first output that could not be mapped; the files of the others are removed all the same.
    public func resolvingSharedMemory(
        prefix: String?, lent: (SharedMemoryReference) -> Frame? = { _ in nil }
    ) throws -> TaskResult {
        var resolved = self
        var failure: (any Error)?
        for index in outputs.indices where outputs[index].placement == .sharedMemory {
            do {
                let reference = try SharedMemoryReference(decoding: outputs[index].frame)
                if let frame = lent(reference) {
                    resolved.outputs[index].frame = frame
                } else {
                    guard let prefix else {
                        throw SharedMemoryError(
                            path: reference.name, operation: "follow", code: EPERM,
                            detail: "not a room lent to this attempt, and the worker never showed that it shares this host's memory")
                    }
                    resolved.outputs[index].frame = try SharedMemorySegment.open(reference, prefix: prefix, takeFile: true).frame
                }
                resolved.outputs[index].placement = .inline
            } catch {
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
        return resolved
    }
}
