import ShoalETL

/// A feed-forward network over a flat parameter vector: dense layers with an activation between them, then the
/// head's loss. The linear models are networks without hidden layers.
///
/// Parameters, layer after layer: the weights (`outputs × inputs`, row-major), then the biases. A network is a
/// description; the parameters live outside it (in the coordinator's training state, in a task's message), so
/// one network serves any number of parameter versions.
public struct Network: Sendable, Equatable {
    public let spec: ModelSpec
    /// Width of an input row (the encoded features).
    public let inputs: Int
    /// `inputs`, then each hidden width, then the outputs.
    public let widths: [Int]
    /// Where each layer's weights start in the parameter vector; its biases follow them.
    public let offsets: [Int]
    public let parameterCount: Int

    public init(spec: ModelSpec, inputs: Int) {
        precondition(inputs > 0, "a model needs at least one input")
        self.spec = spec
        self.inputs = inputs
        widths = [inputs] + spec.hidden + [spec.outputs]
        var offsets: [Int] = []
        var count = 0
        for l in 1..<widths.count {
            offsets.append(count)
            count += widths[l] * widths[l - 1] + widths[l]
        }
        self.offsets = offsets
        parameterCount = count
    }

    public var layerCount: Int { widths.count - 1 }
    public var outputs: Int { widths[widths.count - 1] }

    /// Starting parameters: zeros for the linear models (their losses are convex); for a network with hidden
    /// layers, weights uniform in ±√(6 / fan-in) (He for relu) or ±√(6 / (fan-in + fan-out)) (Glorot for tanh)
    /// from a seeded generator, biases zero. The same seed gives the same bits everywhere.
    public func initialParameters(seed: UInt64) -> [Float] {
        var parameters = [Float](repeating: 0, count: parameterCount)
        guard !spec.hidden.isEmpty else { return parameters }
        var random = DeterministicRandom(seed: seed ^ 0x5EED_1A7E_0F_A11)
        for l in 0..<layerCount {
            let fanIn = widths[l], fanOut = widths[l + 1]
            let bound =
                spec.activation == .relu ? (6.0 / Double(fanIn)).squareRoot() : (6.0 / Double(fanIn + fanOut)).squareRoot()
            for p in offsets[l]..<(offsets[l] + fanIn * fanOut) {
                parameters[p] = Float((2 * random.uniform() - 1) * bound)
            }
        }
        return parameters
    }
}

/// The loss of a batch of examples and how many were predicted right; sums, so micro-batches add up.
public struct BatchLoss: Sendable, Equatable {
    public var lossSum: Double
    /// Examples whose predicted class is the label (always 0 for a linear head).
    public var correct: Int
    public init(lossSum: Double = 0, correct: Int = 0) {
        self.lossSum = lossSum
        self.correct = correct
    }
}
