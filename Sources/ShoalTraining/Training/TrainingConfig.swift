/// The numeric side of a training job: what is fitted, how, and in what units of work.
public struct TrainingConfig: Codable, Sendable, Equatable {
    public var model: ModelSpec
    public var optimizer: OptimizerSpec
    /// Examples per step (the global batch), rounded up to whole micro-batches.
    public var batchSize: Int
    /// Rows per micro-batch: the unit of work that does not depend on the world size.
    public var microBatchSize: Int
    public var epochs: Int
    public var seed: UInt64
    /// Gradients travel and add as fixed-point integers, making the weights independent of the number of
    /// workers and of crashes. (Off: `Float` partial sums — a quarter of the bytes; they are added in
    /// task order, but nothing guarantees their bits when the unit of work changes.)
    public var deterministic: Bool

    public init(
        model: ModelSpec, optimizer: OptimizerSpec, batchSize: Int, microBatchSize: Int = 256, epochs: Int,
        seed: UInt64, deterministic: Bool = true
    ) {
        self.model = model
        self.optimizer = optimizer
        self.batchSize = batchSize
        self.microBatchSize = microBatchSize
        self.epochs = epochs
        self.seed = seed
        self.deterministic = deterministic
    }
}

/// Where a job stands: the parameters and optimizer after `step` steps. What a checkpoint holds, with the
/// plan that fixes the data order; together they reproduce the rest of the job exactly.
public struct TrainingState: Sendable, Equatable {
    /// Steps done (the next step's index).
    public var step: Int
    public var parameters: [Float]
    public var optimizer: Optimizer

    public init(network: Network, config: TrainingConfig) {
        step = 0
        parameters = network.initialParameters(seed: config.seed)
        optimizer = Optimizer(spec: config.optimizer, parameterCount: network.parameterCount)
    }

    public init(step: Int, parameters: [Float], optimizer: Optimizer) {
        self.step = step
        self.parameters = parameters
        self.optimizer = optimizer
    }

    /// Applies step `step`'s summed partial: the mean gradient through the optimizer at the schedule's rate.
    /// - Returns: the step's record.
    public mutating func apply(_ partial: GradientPartial, plan: MicroBatchPlan, config: TrainingConfig) -> StepRecord {
        apply(
            meanGradient: partial.gradient.quotients(dividedBy: max(partial.metrics.examples, 1)),
            metrics: partial.metrics, plan: plan, config: config)
    }

    /// Applies step `step`'s mean gradient.
    public mutating func apply(meanGradient: [Float], metrics: StepMetrics, plan: MicroBatchPlan, config: TrainingConfig)
        -> StepRecord
    {
        let examples = metrics.examples
        let rate = config.optimizer.schedule.rate(base: config.optimizer.learningRate, step: step, totalSteps: plan.totalSteps)
        optimizer.update(&parameters, gradient: meanGradient, rate: rate)
        let record = StepRecord(
            step: step, epoch: step / plan.stepsPerEpoch, examples: examples, loss: metrics.loss,
            accuracy: metrics.accuracy, learningRate: rate, communication: nil)
        step += 1
        return record
    }

    /// Applies step `step`'s mean gradient given chunk by chunk (`Optimizer.update(_:rate:chunk:gradient:)`).
    /// - Returns: the step's record, and the first parameter that is no longer finite, if any.
    /// - Parameter publish: where to copy the new parameters too (`Optimizer.update`), or nil.
    public mutating func apply(
        metrics: StepMetrics, plan: MicroBatchPlan, config: TrainingConfig, publish: UnsafeMutablePointer<Float>? = nil,
        meanGradient: (Range<Int>, UnsafeMutablePointer<Float>) -> Void
    ) -> (record: StepRecord, nonFinite: Int?) {
        let rate = config.optimizer.schedule.rate(base: config.optimizer.learningRate, step: step, totalSteps: plan.totalSteps)
        let nonFinite = optimizer.update(&parameters, rate: rate, publish: publish, gradient: meanGradient)
        let record = StepRecord(
            step: step, epoch: step / plan.stepsPerEpoch, examples: metrics.examples, loss: metrics.loss,
            accuracy: metrics.accuracy, learningRate: rate, communication: nil)
        step += 1
        return (record, nonFinite)
    }
}

/// One step's numbers, as the metrics history keeps them.
public struct StepRecord: Codable, Sendable, Equatable {
    public var step: Int
    public var epoch: Int
    public var examples: Int
    public var loss: Double
    public var accuracy: Double
    public var learningRate: Double
    /// How the step went on the cluster (none for the in-process trainer).
    public var communication: StepCommunication?
}

/// A distributed step's costs. `busbw` follows nccl-tests for an allreduce of the gradient: algorithm
/// bandwidth `S / t` with `S` the gradient's size as `Float`s and `t` the step's time outside computation
/// (wall − slowest task's compute), times `2(n − 1)/n` for `n` workers.
public struct StepCommunication: Codable, Sendable, Equatable {
    public var tasks: Int
    public var workers: Int
    /// Bytes moved: parameters out to every task, gradients back.
    public var bytes: Int
    /// From planning the step to having its gradient applied, milliseconds (0 when replayed after a restart).
    public var wallMs: Double
    /// The slowest task's computation, milliseconds.
    public var computeMs: Double
    /// The slowest task's shard loading (first steps, and after a shard moved), milliseconds.
    public var loadMs: Double
    /// Summing the partials and the optimizer update on the coordinator, milliseconds.
    public var aggregateMs: Double
    /// Bus bandwidth, GB/s (0 when the wall time is unknown).
    public var busbwGBps: Double
}
