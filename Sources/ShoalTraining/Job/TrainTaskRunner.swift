import Foundation
import ShoalETL

/// A file a training task returns: its name, its size, and how to write it — so that the executor writes a step's
/// gradient (tens of MiB) straight into the frame it sends, instead of into an array that is then copied again.
public struct TaskOutputFile: Sendable {
    public let name: String
    public let count: Int
    private let writer: @Sendable (UnsafeMutableRawBufferPointer) throws -> Void

    /// - Parameter writer: fills exactly `count` bytes; may do the work that makes them (a step's gradient,
    ///   computed where it is to be sent), and throw.
    public init(name: String, count: Int, writer: @escaping @Sendable (UnsafeMutableRawBufferPointer) throws -> Void) {
        self.name = name
        self.count = count
        self.writer = writer
    }

    public init(name: String, bytes: [UInt8]) {
        self.init(name: name, count: bytes.count) { buffer in bytes.withUnsafeBytes { buffer.copyMemory(from: $0) } }
    }

    /// Writes the file into `buffer`, which holds exactly `count` bytes.
    public func write(into buffer: UnsafeMutableRawBufferPointer) throws {
        precondition(buffer.count == count, "a \(count)-byte file written into \(buffer.count) bytes")
        try writer(buffer)
    }

    /// The file's bytes in an array of their own.
    public var bytes: [UInt8] {
        get throws {
            try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                try write(into: UnsafeMutableRawBufferPointer(buffer))
                initialized = count
            }
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
    /// - Returns: the files, each in an array of its own.
    public func run(_ spec: TrainTaskSpec, job: UInt64, parameters attached: UnsafeBufferPointer<Float>? = nil) throws
        -> [TaskOutputFile]
    {
        try run(spec, job: job, parameters: attached) { TaskOutputFile(name: $0.name, bytes: try $0.bytes) }
    }

    /// `run`, each file handed to `emit` while the parameters are still valid: a step's float gradient is computed
    /// only as `emit` writes the file (`TaskOutputFile.write(into:)`), straight into the buffer it chose (the
    /// frame that will carry it).
    public func run<Output>(
        _ spec: TrainTaskSpec, job: UInt64, parameters attached: UnsafeBufferPointer<Float>? = nil,
        emit: (TaskOutputFile) throws -> Output
    ) throws -> [Output] {
        if let attached { return try files(spec, job: job, parameters: attached).map(emit) }
        return try spec.parameters.withUnsafeBufferPointer { try files(spec, job: job, parameters: $0).map(emit) }
    }

    /// The task's files; a float step's gradient is written lazily and reads `parameters` then, so these must be
    /// written while `parameters` is valid (`run(_:job:parameters:emit:)`).
    private func files(_ spec: TrainTaskSpec, job: UInt64, parameters: UnsafeBufferPointer<Float>) throws -> [TaskOutputFile] {
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
            // The header's fields known now; the metrics and compute time are filled in once computed.
            let draft = GradientFile.Header(
                step: step, shards: parts.map(\.shard.index), microBatches: batches.map(\.id), examples: 0, lossSum: "0",
                correct: 0, computeNanos: 0, loadNanos: loadNanos, worker: workerName)
            let header = { (metrics: StepMetrics, start: ContinuousClock.Instant) -> GradientFile.Header in
                var header = draft
                header.examples = metrics.examples
                header.lossSum = String(metrics.lossSum)
                header.correct = metrics.correct
                header.computeNanos = Self.nanoseconds(start.duration(to: .now))
                return header
            }
            guard train.config.deterministic else {
                // Computed where the file is written (the frame it leaves in, an output room in shared memory when
                // the coordinator lent one): tens of MiB never copied from a sum into the frame.
                return [try GradientFile.floatOutput(named: "gradient.bin", parameters: network.parameterCount, header: draft) { sum in
                    let start = ContinuousClock.now
                    return header(try computer.floatPartial(parameters: parameters, microBatches: batches, into: sum), start)
                }]
            }
            let start = ContinuousClock.now
            let partial = try computer.partial(parameters: parameters, microBatches: batches)
            let file = GradientFile(header: header(partial.metrics, start), values: .fixedPoint(partial.gradient))
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

    static func nanoseconds(_ duration: Duration) -> UInt64 {
        UInt64(duration.components.seconds) * 1_000_000_000 + UInt64(duration.components.attoseconds / 1_000_000_000)
    }

    static func encoding(_ spec: TrainTaskSpec) throws -> FeatureEncoding {
        guard let encoding = spec.header.encoding else {
            throw TrainingDataError("a training task after the statistics pass carries no feature encoding")
        }
        return encoding
    }
}
