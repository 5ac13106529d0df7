import Foundation
import ShoalETL

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
    public func run(_ spec: TrainTaskSpec, job: UInt64) throws -> [(name: String, bytes: [UInt8])] {
        let train = spec.header.job
        let reader = DatasetReader(data: train.data, model: train.config.model)
        switch spec.header.task {
        case .statistics(let shard):
            let statistics = try reader.statistics(of: shard)
            return [("statistics.json", Array(try JSONEncoder.sorted.encode(statistics)))]

        case .step(let step, let parts):
            let encoding = try Self.encoding(spec)
            let network = Network(spec: train.config.model, inputs: encoding.width)
            guard spec.parameters.count == network.parameterCount else {
                throw TrainingDataError(
                    "step \(step) carries \(spec.parameters.count) parameters; the model has \(network.parameterCount)")
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
                let partial = try computer.partial(parameters: spec.parameters, microBatches: batches)
                values = .fixedPoint(partial.gradient)
                metrics = partial.metrics
            } else {
                let partial = try computer.floatPartial(parameters: spec.parameters, microBatches: batches)
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
            return [("gradient.bin", try file.encoded())]

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
                parameters: spec.parameters, shard: data,
                workspace: NetworkWorkspace(network: network, capacity: train.config.microBatchSize))
            metrics.epoch = epoch
            metrics.shard = shard.index
            return [("evaluation.json", Array(try JSONEncoder.sorted.encode(metrics)))]
        }
    }

    static func encoding(_ spec: TrainTaskSpec) throws -> FeatureEncoding {
        guard let encoding = spec.header.encoding else {
            throw TrainingDataError("a training task after the statistics pass carries no feature encoding")
        }
        return encoding
    }
}
