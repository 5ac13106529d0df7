import Foundation
import ShoalETL

/// A file a training task returns: its name, its size, and how to write it — so that the executor writes a step's
/// gradient (tens of MiB) straight into the frame it sends, instead of into an array that is then copied again.
public struct TaskOutputFile: Sendable {
    public let name: String
    public let count: Int
    private let writer: @Sendable (UnsafeMutableRawBufferPointer) -> Void

    /// - Parameter writer: fills exactly `count` bytes.
    public init(name: String, count: Int, writer: @escaping @Sendable (UnsafeMutableRawBufferPointer) -> Void) {
        self.name = name
        self.count = count
        self.writer = writer
    }

    public init(name: String, bytes: [UInt8]) {
        self.init(name: name, count: bytes.count) { $0.copyMemory(from: UnsafeRawBufferPointer(start: bytes, count: bytes.count)) }
    }

    /// Writes the file into `buffer`, which holds exactly `count` bytes.
    public func write(into buffer: UnsafeMutableRawBufferPointer) {
        precondition(buffer.count == count, "a \(count)-byte file written into \(buffer.count) bytes")
        writer(buffer)
    }

    /// The file's bytes in an array of their own.
    public var bytes: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            write(into: UnsafeMutableRawBufferPointer(buffer))
            initialized = count
        }
    }
}

/// Runs one training task on a worker: the statistics pass over a shard, a step's gradient over the
/// micro-batches of one shard, or validation metrics of a validation shard. Returns the files that the
/// coordinator commits (`statistics.json`, `gradient.bin`, `evaluation.json`).
public struct TrainTaskRunner: Sendable {
    public let cache: DatasetCache
    /// Named in gradient files: `host:pid`.
    public let workerName: String

    public init(cache: DatasetCache = .shared, workerName: String = "\(ProcessInfo.processInfo.hostName):\(getpid())") {
        self.cache = cache
        self.workerName = workerName
    }

    /// - Parameter job: the id of the job (keys the dataset cache).
    /// - Parameter attached: the parameters, when they came apart from the spec (a step's attachment frame, read
    ///   in place); otherwise the spec's own.
    public func run(_ spec: TrainTaskSpec, job: UInt64, parameters attached: UnsafeBufferPointer<Float>? = nil) throws
        -> [TaskOutputFile]
    {
        if let attached { return try run(spec, job: job, parameters: attached) }
        return try spec.parameters.withUnsafeBufferPointer { try run(spec, job: job, parameters: $0) }
    }

    private func run(_ spec: TrainTaskSpec, job: UInt64, parameters: UnsafeBufferPointer<Float>) throws -> [TaskOutputFile] {
        let train = spec.header.job
        let reader = DatasetReader(data: train.data, model: train.config.model)
        switch spec.header.task {
        case .statistics(let shard):
            let statistics = try reader.statistics(of: shard)
            return [TaskOutputFile(name: "statistics.json", bytes: Array(try JSONEncoder.sorted.encode(statistics)))]

        case .step(let step, let parts):
            let encoding = try Self.encoding(spec)
            let network = Network(spec: train.config.model, inputs: encoding.width)
            guard parameters.count == network.parameterCount else {
                throw TrainingDataError(
                    "step \(step) carries \(parameters.count) parameters; the model has \(network.parameterCount)")
            }
            var loadNanos: UInt64 = 0
            var batches: [(shard: DatasetShard, rows: Range<Int>, id: Int)] = []
            for part in parts {
                let shard = part.shard
                let (data, nanos) = try cache.shard(.init(job: job, context: spec.contextKey, validation: false, shard: shard.index)) {
                    try reader.load(shard, input: train.data.train, encoding: encoding)
                }
                loadNanos += nanos
                for m in part.microBatches {
                    guard m.end <= data.rows else {
                        throw TrainingDataError(
                            "\(shard.path): shard \(shard.index) holds \(data.rows) rows, not the \(m.end) the plan expects"
                                + " (did the file change since the job started?)")
                    }
                    batches.append((data, m.start..<m.end, m.id))
                }
            }
            let computer = GradientComputer(network: network, microBatchSize: train.config.microBatchSize)
            let start = ContinuousClock.now
            let values: GradientFile.Values
            let metrics: StepMetrics
            if train.config.deterministic {
                let partial = try computer.partial(parameters: parameters, microBatches: batches)
                values = .fixedPoint(partial.gradient)
                metrics = partial.metrics
            } else {
                let partial = try computer.floatPartial(parameters: parameters, microBatches: batches)
                values = .float(partial.gradient)
                metrics = partial.metrics
            }
            let elapsed = start.duration(to: .now)
            let file = GradientFile(
                header: .init(
                    step: step, shards: parts.map(\.shard.index), microBatches: batches.map(\.id),
                    examples: metrics.examples,
                    lossSum: String(metrics.lossSum), correct: metrics.correct,
                    computeNanos: UInt64(elapsed.components.seconds) * 1_000_000_000
                        + UInt64(elapsed.components.attoseconds / 1_000_000_000),
                    loadNanos: loadNanos, worker: workerName),
                values: values)
            return [try file.output(named: "gradient.bin")]

        case .evaluate(let epoch, let shard):
            let encoding = try Self.encoding(spec)
            guard let validation = train.data.validation else {
                throw TrainingDataError("an evaluation task of a job without validation data")
            }
            let (data, _) = try cache.shard(.init(job: job, context: spec.contextKey, validation: true, shard: shard.index)) {
                try reader.load(shard, input: validation, encoding: encoding)
            }
            let network = Network(spec: train.config.model, inputs: encoding.width)
            var metrics = try network.evaluate(
                parameters: parameters, shard: data,
                workspace: NetworkWorkspace(network: network, capacity: train.config.microBatchSize))
            metrics.epoch = epoch
            metrics.shard = shard.index
            return [TaskOutputFile(name: "evaluation.json", bytes: Array(try JSONEncoder.sorted.encode(metrics)))]
        }
    }

    static func encoding(_ spec: TrainTaskSpec) throws -> FeatureEncoding {
        guard let encoding = spec.header.encoding else {
            throw TrainingDataError("a training task after the statistics pass carries no feature encoding")
        }
        return encoding
    }
}
