/// A worker's answer for a group of micro-batches of one step: the gradient summed over their examples and
/// the step's metrics, all as exact integers, so partials from any number of workers add up to the same bits.
public struct GradientPartial: Sendable, Equatable {
    public var gradient: FixedPointVector
    public var metrics: StepMetrics

    public init(parameterCount: Int) {
        gradient = FixedPointVector(count: parameterCount)
        metrics = StepMetrics()
    }

    public init(gradient: FixedPointVector, metrics: StepMetrics) {
        self.gradient = gradient
        self.metrics = metrics
    }

    public mutating func add(_ other: GradientPartial) throws(FixedPointError) {
        try gradient.add(other.gradient)
        metrics.add(other.metrics)
    }
}

/// Examples, summed loss (fixed point, 2^−64) and correct predictions of some micro-batches.
public struct StepMetrics: Codable, Sendable, Equatable {
    public var examples: Int
    public var lossSum: Int128
    public var correct: Int

    public init(examples: Int = 0, lossSum: Int128 = 0, correct: Int = 0) {
        self.examples = examples
        self.lossSum = lossSum
        self.correct = correct
    }

    public mutating func add(_ other: StepMetrics) {
        examples += other.examples
        lossSum &+= other.lossSum
        correct += other.correct
    }

    /// Mean loss per example.
    public var loss: Double { examples > 0 ? FixedPointVector.double(lossSum) / Double(examples) : 0 }
    /// Share of examples predicted right.
    public var accuracy: Double { examples > 0 ? Double(correct) / Double(examples) : 0 }
}
