import Foundation
import ShoalETL

/// A training job's state after some steps, as written to `_training/checkpoint-<step>.bin`: everything that,
/// with the job's plan, reproduces the rest of the job bit for bit — parameters, optimizer state, the step (which
/// fixes the data order and the learning rate), and the metrics history so far.
///
/// Layout: `"SHCK"`, u32 header length, JSON header, then the parameters, the optimizer's first and second
/// moments as little-endian `Float`s (counts in the header). Written to a temporary name, synced and renamed.
public struct Checkpoint: Sendable, Equatable {
    public struct Header: Codable, Sendable, Equatable {
        public var owner: String
        public var step: Int
        public var optimizer: OptimizerSpec
        public var beta1Power: Double
        public var beta2Power: Double
        public var updates: Int
        public var parameterCount: Int
        public var firstCount: Int
        public var secondCount: Int
        public var history: [StepRecord]
        public var evaluations: [EpochRecord]
    }

    /// `TrainingSession.Setup.owner`.
    public var owner: String
    public var state: TrainingState
    public var history: [StepRecord]
    public var evaluations: [EpochRecord]

    public init(owner: String, state: TrainingState, history: [StepRecord], evaluations: [EpochRecord]) {
        self.owner = owner
        self.state = state
        self.history = history
        self.evaluations = evaluations
    }

    static let magic: [UInt8] = Array("SHCK".utf8)

    public func encoded() throws -> [UInt8] {
        let o = state.optimizer
        let header = Header(
            owner: owner, step: state.step, optimizer: o.spec, beta1Power: o.beta1Power, beta2Power: o.beta2Power,
            updates: o.updates, parameterCount: state.parameters.count, firstCount: o.first.count,
            secondCount: o.second.count, history: history, evaluations: evaluations)
        let json = try JSONEncoder.sorted.encode(header)
        var bytes = Self.magic
        ByteIO.append(UInt32(json.count), to: &bytes)
        bytes += json
        for array in [state.parameters, o.first, o.second] {
            ByteIO.append(floats: array, to: &bytes)
        }
        return bytes
    }

    public static func decode(_ bytes: [UInt8]) throws -> Checkpoint {
        guard bytes.count >= 8, Array(bytes[0..<4]) == magic else { throw TrainingDataError("not a checkpoint (no SHCK header)") }
        let length = Int(ByteIO.u32(bytes, at: 4))
        guard 8 + length <= bytes.count else { throw TrainingDataError("a truncated checkpoint") }
        let h = try JSONDecoder().decode(Header.self, from: Data(bytes[8..<(8 + length)]))
        var offset = 8 + length
        guard bytes.count == offset + 4 * (h.parameterCount + h.firstCount + h.secondCount) else {
            throw TrainingDataError("a truncated checkpoint")
        }
        func take(_ n: Int) -> [Float] {
            defer { offset += 4 * n }
            return ByteIO.floats(bytes[offset..<(offset + 4 * n)])
        }
        let parameters = take(h.parameterCount), first = take(h.firstCount), second = take(h.secondCount)
        let optimizer = Optimizer(
            spec: h.optimizer, first: first, second: second, beta1Power: h.beta1Power, beta2Power: h.beta2Power,
            updates: h.updates)
        return Checkpoint(
            owner: h.owner, state: TrainingState(step: h.step, parameters: parameters, optimizer: optimizer),
            history: h.history, evaluations: h.evaluations)
    }
}

/// Validation metrics after an epoch.
public struct EpochRecord: Codable, Sendable, Equatable {
    public var epoch: Int
    /// Steps done when measured.
    public var step: Int
    public var examples: Int
    public var loss: Double
    public var accuracy: Double
    public var auc: Double?
    public var aucErrorBound: Double?
}

/// Writing files so that a reader sees the old version or the new one, never a part.
public enum AtomicFile {
    public static func write(_ bytes: [UInt8], to path: String) throws {
        do { try SyncedFile.writeAtomically(bytes, to: path) } catch {
            throw TrainingDataError("cannot write \(path): \(error)")
        }
    }
}
