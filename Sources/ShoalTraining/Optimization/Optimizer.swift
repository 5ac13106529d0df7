/// An optimizer's state and its update, applied by the coordinator once per step to the mean gradient.
///
/// State is `Float` like the parameters; the bias-correction powers β^t are kept as running products in
/// `Double` (not `pow`), so a resumed job continues with exactly the bits it would have had.
public struct Optimizer: Sendable, Equatable, Codable {
    public let spec: OptimizerSpec
    /// Momentum (sgd) or first moment (adam, adamw); empty until needed.
    public private(set) var first: [Float]
    /// Second moment (adam, adamw).
    public private(set) var second: [Float]
    /// β1^t and β2^t after `updates` updates.
    public private(set) var beta1Power: Double
    public private(set) var beta2Power: Double
    public private(set) var updates: Int

    public init(spec: OptimizerSpec, parameterCount: Int) {
        self.spec = spec
        let usesFirst = spec.kind != .sgd || spec.momentum != 0
        first = usesFirst ? [Float](repeating: 0, count: parameterCount) : []
        second = spec.kind == .sgd ? [] : [Float](repeating: 0, count: parameterCount)
        beta1Power = 1
        beta2Power = 1
        updates = 0
    }

    /// An optimizer as a checkpoint kept it.
    public init(
        spec: OptimizerSpec, first: [Float], second: [Float], beta1Power: Double, beta2Power: Double, updates: Int
    ) {
        self.spec = spec
        self.first = first
        self.second = second
        self.beta1Power = beta1Power
        self.beta2Power = beta2Power
        self.updates = updates
    }

    /// Moves `parameters` against `gradient` with learning rate `rate` (the schedule's value for this step).
    ///
    /// The loops run on raw pointers with the branches taken outside them, so that they vectorize: the
    /// coordinator applies this to every parameter once per step (millions of them), and indexing the arrays
    /// element by element cost more than moving the step's gradients.
    public mutating func update(_ parameters: inout [Float], gradient: [Float], rate: Double) {
        precondition(parameters.count == gradient.count, "a gradient for other parameters")
        updates += 1
        let lr = Float(rate)
        let decay = Float(spec.weightDecay)
        let n = parameters.count
        switch spec.kind {
        case .sgd:
            let mu = Float(spec.momentum)
            let firstUpdate = updates == 1, nesterov = spec.nesterov
            parameters.withUnsafeMutableBufferPointer { p in
                gradient.withUnsafeBufferPointer { gradient in
                    guard let p = p.baseAddress, let gradient = gradient.baseAddress else { return }
                    if first.isEmpty {
                        if decay == 0 {
                            for i in 0..<n { p[i] -= lr * gradient[i] }
                        } else {
                            for i in 0..<n { p[i] -= lr * (gradient[i] + decay * p[i]) }
                        }
                        return
                    }
                    first.withUnsafeMutableBufferPointer { v in
                        let v = v.baseAddress!
                        for i in 0..<n {
                            let g = decay == 0 ? gradient[i] : gradient[i] + decay * p[i]
                            // PyTorch starts the buffer at the first gradient: v₁ = g₁.
                            v[i] = firstUpdate ? g : mu * v[i] + g
                            p[i] -= lr * (nesterov ? g + mu * v[i] : v[i])
                        }
                    }
                }
            }
        case .adam, .adamw:
            beta1Power *= spec.beta1
            beta2Power *= spec.beta2
            let b1 = Float(spec.beta1), b2 = Float(spec.beta2)
            let correction1 = Float(1 - beta1Power), correction2 = Float(1 - beta2Power)
            let epsilon = Float(spec.epsilon)
            let decoupled = spec.kind == .adamw
            parameters.withUnsafeMutableBufferPointer { p in
                gradient.withUnsafeBufferPointer { gradient in
                    first.withUnsafeMutableBufferPointer { m in
                        second.withUnsafeMutableBufferPointer { v in
                            guard let p = p.baseAddress, let gradient = gradient.baseAddress,
                                  let m = m.baseAddress, let v = v.baseAddress
                            else { return }
                            for i in 0..<n {
                                var g = gradient[i]
                                if decoupled {
                                    p[i] -= lr * decay * p[i]
                                } else if decay != 0 {
                                    g += decay * p[i]
                                }
                                m[i] = b1 * m[i] + (1 - b1) * g
                                v[i] = b2 * v[i] + (1 - b2) * g * g
                                let mHat = m[i] / correction1
                                let vHat = v[i] / correction2
                                p[i] -= lr * mHat / (vHat.squareRoot() + epsilon)
                            }
                        }
                    }
                }
            }
        }
    }
}
