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
    /// workers and of crashes. (Off: `Float` partial sums added in arrival order — half the bytes, no such
    /// guarantee.)
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
        let examples = partial.metrics.examples
        let rate = config.optimizer.schedule.rate(base: config.optimizer.learningRate, step: step, totalSteps: plan.totalSteps)
        optimizer.update(&parameters, gradient: partial.gradient.quotients(dividedBy: max(examples, 1)), rate: rate)
        let record = StepRecord(
            step: step, epoch: step / plan.stepsPerEpoch, examples: examples, loss: partial.metrics.loss,
            accuracy: partial.metrics.accuracy, learningRate: rate)
        step += 1
        return record
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
}
