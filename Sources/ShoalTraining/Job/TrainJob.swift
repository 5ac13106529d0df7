import ShoalETL

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
    /// Spare copies of each step's slowest tasks started on idle workers (Chen et al. 2016): the step goes on
    /// once every micro-batch is covered; the copy that commits second is dropped.
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

/// Some micro-batches of a step, all in one training shard.
public struct StepPart: Codable, Sendable, Equatable {
    public var shard: InputShard
    public var microBatches: [MicroBatchPlan.MicroBatch]
    public init(shard: InputShard, microBatches: [MicroBatchPlan.MicroBatch]) {
        self.shard = shard
        self.microBatches = microBatches
    }
}

/// A training task's spec: a JSON header (the job, the task, the feature encoding) and the parameters as raw
/// little-endian `Float`s — tensors travel as bytes, not JSON.
///
/// Layout: `"SHTR"`, u32 header length, the header, then `4 × parameterCount` bytes.
public struct TrainTaskSpec: Sendable, Equatable {
    public struct Header: Codable, Sendable, Equatable {
        public var job: TrainJob
        public var task: TrainTask
        /// After the statistics pass: how rows become inputs.
        public var encoding: FeatureEncoding?
    }

    public var header: Header
    public var parameters: [Float]

    public init(job: TrainJob, task: TrainTask, encoding: FeatureEncoding?, parameters: [Float] = []) {
        header = Header(job: job, task: task, encoding: encoding)
        self.parameters = parameters
    }

    static let magic: [UInt8] = Array("SHTR".utf8)

    public func encoded() throws -> [UInt8] {
        let json = try JSONEncoder.sorted.encode(header)
        var bytes = Self.magic
        bytes.reserveCapacity(8 + json.count + parameters.count * 4)
        ByteIO.append(UInt32(json.count), to: &bytes)
        bytes += json
        parameters.withUnsafeBytes { bytes += $0 }
        return bytes
    }

    public static func decode(_ bytes: [UInt8]) throws -> TrainTaskSpec {
        guard bytes.count >= 8, Array(bytes[0..<4]) == magic else {
            throw TrainingDataError("not a training task spec (no SHTR header)")
        }
        let length = Int(ByteIO.u32(bytes, at: 4))
        guard 8 + length <= bytes.count, (bytes.count - 8 - length) % 4 == 0 else {
            throw TrainingDataError("a training task spec of \(bytes.count) bytes with a \(length)-byte header")
        }
        let header = try JSONDecoder().decode(Header.self, from: Data(bytes[8..<(8 + length)]))
        let parameters = ByteIO.floats(bytes[(8 + length)...])
        var spec = TrainTaskSpec(job: header.job, task: header.task, encoding: header.encoding)
        spec.parameters = parameters
        return spec
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

    static func u64(_ bytes: ArraySlice<UInt8>, at offset: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[bytes.startIndex + offset + i]) << (8 * i) }
        return v
    }

    static func floats(_ bytes: ArraySlice<UInt8>) -> [Float] {
        let count = bytes.count / 4
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            bytes.withUnsafeBytes { raw in
                for i in 0..<count {
                    buffer[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                }
            }
            initialized = count
        }
    }
}
