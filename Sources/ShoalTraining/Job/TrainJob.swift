import ShoalETL
import Synchronization

/// A `train` job as planned at submit time: paths resolved, the schema read, every setting checked. Travels
/// in every task's spec and in the job's finish instructions.
public struct TrainJob: Codable, Sendable, Equatable {
    public var name: String
    public var data: DataSpec
    public var config: TrainingConfig
    /// A checkpoint every this many steps (and at the end).
    public var checkpointEvery: Int
    /// The output directory (absolute): model, metrics history, checkpoints.
    public var output: String
    /// Spare copies of a step's running tasks, started on other workers with a free slot once nothing is queued
    /// (after Chen et al. 2016): the step goes on once every micro-batch is covered; the copy that commits second
    /// is dropped.
    public var backupWorkers: Int

    public init(
        name: String, data: DataSpec, config: TrainingConfig, checkpointEvery: Int, output: String, backupWorkers: Int = 0
    ) {
        self.name = name
        self.data = data
        self.config = config
        self.checkpointEvery = checkpointEvery
        self.output = output
        self.backupWorkers = backupWorkers
    }
}

/// What one task of a training job does.
public enum TrainTask: Codable, Sendable, Equatable {
    /// Pass one over a training shard: `statistics.json`.
    case statistics(shard: InputShard)
    /// The gradient of the parts' micro-batches at the parameters of step `step`: `gradient.bin`.
    case step(step: Int, parts: [StepPart])
    /// Validation metrics of a validation shard after epoch `epoch`: `evaluation.json`.
    case evaluate(epoch: Int, shard: InputShard)
}

extension TrainTask {
    /// A step's JSON, written by hand: `JSONEncoder` took ~75 µs per task, on the coordinator's path between
    /// two steps (a small model's step is ~1.5 ms of it). The same JSON as `Codable` reads back (keys in another
    /// order than `JSONEncoder.sorted`'s, which only the task's readers see); nil for the other kinds of task.
    func stepJSON() -> [UInt8]? {
        guard case .step(let step, let parts) = self else { return nil }
        var json = "{\"step\":{\"step\":\(step),\"parts\":["
        for (number, part) in parts.enumerated() {
            if number > 0 { json += "," }
            let shard = part.shard
            json += "{\"shard\":{\"index\":\(shard.index),\"path\":"
            Self.appendJSONString(shard.path, to: &json)
            json += ",\"start\":\(shard.start),\"end\":\(shard.end),\"firstLine\":\(shard.firstLine),"
            json += "\"aligned\":\(shard.aligned)},\"microBatches\":["
            for (index, batch) in part.microBatches.enumerated() {
                if index > 0 { json += "," }
                json += "{\"id\":\(batch.id),\"shard\":\(batch.shard),\"start\":\(batch.start),\"end\":\(batch.end)}"
            }
            json += "]}"
        }
        json += "]}}"
        return Array(json.utf8)
    }

    /// `text` as a JSON string literal (RFC 8259: quote, backslash and control characters escaped).
    static func appendJSONString(_ text: String, to json: inout String) {
        json += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": json += "\\\""
            case "\\": json += "\\\\"
            case "\n": json += "\\n"
            case "\r": json += "\\r"
            case "\t": json += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                json += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: json.unicodeScalars.append(scalar)
            }
        }
        json += "\""
    }
}

/// Some micro-batches of a step, all in one training shard.
public struct StepPart: Codable, Sendable, Equatable {
    public var shard: InputShard
    public var microBatches: [MicroBatchPlan.MicroBatch]
    public init(shard: InputShard, microBatches: [MicroBatchPlan.MicroBatch]) {
        self.shard = shard
        self.microBatches = microBatches
    }
}

/// A training task's spec: the job's context (the whole `TrainJob` and the feature encoding: the same bytes for
/// every task of the job), the task, and the parameters as raw little-endian `Float`s — tensors travel as bytes,
/// not JSON.
///
/// Layout: `"SHTR"`, u32 context length, the context (JSON), u32 task length, the task (JSON), then
/// `4 × parameterCount` bytes. The context is encoded once per job on the coordinator and decoded once per job
/// on a worker (`ContextCache`): a step's task costs the parsing of its own few hundred bytes only.
public struct TrainTaskSpec: Sendable, Equatable {
    public struct Header: Codable, Sendable, Equatable {
        public var job: TrainJob
        public var task: TrainTask
        /// After the statistics pass: how rows become inputs.
        public var encoding: FeatureEncoding?
    }

    /// What every task of a job shares.
    public struct Context: Codable, Sendable, Equatable {
        public var job: TrainJob
        public var encoding: FeatureEncoding?

        public init(job: TrainJob, encoding: FeatureEncoding?) {
            self.job = job
            self.encoding = encoding
        }

        public func encoded() throws -> [UInt8] { Array(try JSONEncoder.sorted.encode(self)) }
    }

    public var header: Header
    public var parameters: [Float]
    /// A digest of the context's bytes (this process only): with the job id it keys the worker's dataset cache,
    /// so that a job that happens to reuse an id (a coordinator with a new state directory) never gets another
    /// job's shards. 0 for a spec made in memory.
    public var contextKey = 0

    public init(job: TrainJob, task: TrainTask, encoding: FeatureEncoding?, parameters: [Float] = []) {
        header = Header(job: job, task: task, encoding: encoding)
        self.parameters = parameters
    }

    static let magic: [UInt8] = Array("SHTR".utf8)

    public func encoded() throws -> [UInt8] {
        try Self.encode(
            context: Context(job: header.job, encoding: header.encoding).encoded(), task: header.task, parameters: parameters)
    }

    /// A spec from an already encoded context.
    public static func encode(context: [UInt8], task: TrainTask, parameters: [Float]) throws -> [UInt8] {
        let json = try task.stepJSON() ?? Array(JSONEncoder.sorted.encode(task))
        var bytes = magic
        bytes.reserveCapacity(12 + context.count + json.count + parameters.count * 4)
        ByteIO.append(UInt32(context.count), to: &bytes)
        bytes += context
        ByteIO.append(UInt32(json.count), to: &bytes)
        bytes += json
        ByteIO.append(floats: parameters, to: &bytes)
        return bytes
    }

    /// - Parameter cache: decoded contexts by their bytes; `nil` decodes every time.
    public static func decode(_ bytes: [UInt8], cache: ContextCache? = nil) throws -> TrainTaskSpec {
        guard bytes.count >= 12, Array(bytes[0..<4]) == magic else {
            throw TrainingDataError("not a training task spec (no SHTR header)")
        }
        let contextLength = Int(ByteIO.u32(bytes, at: 4))
        guard 8 + contextLength + 4 <= bytes.count else { throw TrainingDataError("a truncated training task spec") }
        let contextBytes = bytes[8..<(8 + contextLength)]
        let taskStart = 8 + contextLength + 4
        let taskLength = Int(ByteIO.u32(bytes, at: 8 + contextLength))
        guard taskStart + taskLength <= bytes.count, (bytes.count - taskStart - taskLength) % 4 == 0 else {
            throw TrainingDataError("a training task spec of \(bytes.count) bytes with a \(taskLength)-byte task")
        }
        let context = try cache?.context(contextBytes) ?? JSONDecoder().decode(Context.self, from: Data(contextBytes))
        let task = try JSONDecoder().decode(TrainTask.self, from: Data(bytes[taskStart..<(taskStart + taskLength)]))
        var spec = TrainTaskSpec(
            job: context.job, task: task, encoding: context.encoding,
            parameters: ByteIO.floats(bytes[(taskStart + taskLength)...]))
        var hasher = Hasher()
        contextBytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        spec.contextKey = hasher.finalize()
        return spec
    }
}

/// Decoded task contexts of a worker process, by their bytes: a job's context is parsed once, not once per step.
public final class ContextCache: Sendable {
    private let entries = Mutex<[[UInt8]: TrainTaskSpec.Context]>([:])

    public static let shared = ContextCache()

    public init() {}

    func context(_ bytes: ArraySlice<UInt8>) throws -> TrainTaskSpec.Context {
        let key = Array(bytes)
        if let held = entries.withLock({ $0[key] }) { return held }
        let context = try JSONDecoder().decode(TrainTaskSpec.Context.self, from: Data(key))
        entries.withLock { entries in
            // A worker runs few jobs at a time; a bounded table is enough.
            if entries.count >= 16 { entries.removeAll() }
            entries[key] = context
        }
        return context
    }
}

import Foundation

extension JSONEncoder {
    /// Sorted keys: the same value gives the same bytes (task specs that dedupe, files that compare).
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}

/// Little-endian integers and floats in byte arrays, for the binary files and frames of training.
enum ByteIO {
    static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    static func u32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(bytes[offset + i]) << (8 * i) }
        return v
    }

    /// Appends `values` little-endian: one copy of the whole array on a little-endian machine (tens of MiB of
    /// parameters and gradients per step must not go four bytes at a time).
    static func append<T: FixedWidthInteger>(contentsOf values: [T], to bytes: inout [UInt8]) {
        #if _endian(little)
        values.withUnsafeBytes { bytes.append(contentsOf: $0) }
        #else
        for value in values { append(value, to: &bytes) }
        #endif
    }

    /// Appends `values` as little-endian IEEE-754 binary32.
    static func append(floats values: [Float], to bytes: inout [UInt8]) {
        #if _endian(little)
        values.withUnsafeBytes { bytes.append(contentsOf: $0) }
        #else
        for value in values { append(value.bitPattern, to: &bytes) }
        #endif
    }

    static func floats(_ bytes: ArraySlice<UInt8>) -> [Float] {
        let count = bytes.count / 4
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            bytes.withUnsafeBytes { raw in
                #if _endian(little)
                if count > 0 { UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(from: raw.baseAddress!, byteCount: 4 * count) }
                #else
                for i in 0..<count {
                    buffer[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                }
                #endif
            }
            initialized = count
        }
    }
}
