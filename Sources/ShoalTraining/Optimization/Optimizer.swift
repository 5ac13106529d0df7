import CShoalKernels
import Dispatch

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
    public mutating func update(_ parameters: inout [Float], gradient: [Float], rate: Double) {
        precondition(parameters.count == gradient.count, "a gradient for other parameters")
        let step = begin(rate: rate)
        let n = parameters.count
        withState(&parameters) { p, m, v in
            gradient.withUnsafeBufferPointer { g in
                guard let g = g.baseAddress else { return }
                step.apply(parameters: p, gradient: g, first: m, second: v, range: 0..<n)
            }
        }
    }

    /// One step's update, chunk by chunk, the chunks in parallel: `gradient(range, into)` writes the mean
    /// gradient of the parameters in `range` into `into` (room for `range.count`), and the chunk is updated while
    /// it is still in cache. The update is element-wise, so the bits do not depend on the chunking or the threads.
    /// This is the coordinator's whole step on millions of parameters: summing the workers' gradients where they
    /// arrived, the optimizer and the finite check, in one pass over memory instead of four, on every core.
    /// - Parameter publish: where to copy the updated parameters too, each chunk while it is in cache (the frame
    ///   that carries them to the workers), or nil.
    /// - Returns: the first parameter that is not finite after the update, if any.
    public mutating func update(
        _ parameters: inout [Float], rate: Double, chunk: Int = 1 << 16, publish: UnsafeMutablePointer<Float>? = nil,
        gradient: (Range<Int>, UnsafeMutablePointer<Float>) -> Void
    ) -> Int? {
        let step = begin(rate: rate)
        let n = parameters.count
        let chunks = (n + chunk - 1) / chunk
        var bad = [Int?](repeating: nil, count: chunks)
        withState(&parameters) { p, m, v in
            bad.withUnsafeMutableBufferPointer { bad in
                let room = min(chunk, max(n, 1))
                // `concurrentPerform` runs the chunks on the cores there are. Each chunk writes only its own
                // slice of `scratch` and of `bad` and its own range of the state, which is what makes sharing these
                // pointers (and `gradient`, which writes only the slice it is given) across its threads safe.
                nonisolated(unsafe) let scratch = UnsafeMutablePointer<Float>.allocate(capacity: chunks * room)
                defer { scratch.deallocate() }
                nonisolated(unsafe) let (p, m, v, bad, gradient, publish) = (p, m, v, bad, gradient, publish)
                DispatchQueue.concurrentPerform(iterations: chunks) { index in
                    let range = (index * chunk)..<min(n, (index + 1) * chunk)
                    let g = scratch + index * room
                    gradient(range, g)
                    step.apply(parameters: p, gradient: g - range.lowerBound, first: m, second: v, range: range)
                    // Streamed: the frame is for the workers, not read here again (docs/benchmarks.md, aggregation).
                    if let publish { shoal_stream_copy_floats(publish + range.lowerBound, p + range.lowerBound, range.count) }
                    bad[index] = DenseKernels.firstNonFinite(UnsafeBufferPointer(start: p + range.lowerBound, count: range.count))
                        .map { range.lowerBound + $0 }
                }
            }
        }
        return bad.lazy.compactMap { $0 }.first
    }

    /// Calls `body` with the parameters and the moments it uses (nil when the optimizer has none).
    private mutating func withState(
        _ parameters: inout [Float],
        _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>?, UnsafeMutablePointer<Float>?) -> Void
    ) {
        precondition(first.isEmpty || first.count == parameters.count, "moments for other parameters")
        parameters.withUnsafeMutableBufferPointer { p in
            first.withUnsafeMutableBufferPointer { m in
                second.withUnsafeMutableBufferPointer { v in
                    guard let p = p.baseAddress else { return }
                    // An empty array's buffer may still have an address: a moment not used is nil, not that.
                    body(p, m.isEmpty ? nil : m.baseAddress, v.isEmpty ? nil : v.baseAddress)
                }
            }
        }
    }

    /// Counts the update and returns its coefficients.
    private mutating func begin(rate: Double) -> Step {
        updates += 1
        if spec.kind != .sgd {
            beta1Power *= spec.beta1
            beta2Power *= spec.beta2
        }
        return Step(
            kind: spec.kind, lr: Float(rate), decay: Float(spec.weightDecay), mu: Float(spec.momentum),
            firstUpdate: updates == 1, nesterov: spec.nesterov, b1: Float(spec.beta1), b2: Float(spec.beta2),
            correction1: Float(1 - beta1Power), correction2: Float(1 - beta2Power), epsilon: Float(spec.epsilon))
    }

    /// One step's coefficients, applied to ranges of the parameters.
    ///
    /// The loops run on raw pointers with the branches taken outside them, so that they vectorize: indexing the
    /// arrays element by element cost more than moving the step's gradients.
    struct Step: Sendable {
        let kind: OptimizerSpec.Kind
        let lr, decay, mu: Float
        let firstUpdate, nesterov: Bool
        let b1, b2, correction1, correction2, epsilon: Float

        /// Updates `parameters[range]` (and the moments there) from `gradient[range]`.
        func apply(
            parameters p: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>, first m: UnsafeMutablePointer<Float>?,
            second v: UnsafeMutablePointer<Float>?, range: Range<Int>
        ) {
            let (lr, decay, mu) = (lr, decay, mu)
            switch kind {
            case .sgd:
                guard let m else {
                    if decay == 0 {
                        for i in range { p[i] -= lr * gradient[i] }
                    } else {
                        for i in range { p[i] -= lr * (gradient[i] + decay * p[i]) }
                    }
                    return
                }
                let (firstUpdate, nesterov) = (firstUpdate, nesterov)
                for i in range {
                    let g = decay == 0 ? gradient[i] : gradient[i] + decay * p[i]
                    // PyTorch starts the buffer at the first gradient: v₁ = g₁.
                    m[i] = firstUpdate ? g : mu * m[i] + g
                    p[i] -= lr * (nesterov ? g + mu * m[i] : m[i])
                }
            case .adam, .adamw:
                guard let m, let v else { preconditionFailure("adam without its moments") }
                let (b1, b2, correction1, correction2, epsilon) = (b1, b2, correction1, correction2, epsilon)
                let decoupled = kind == .adamw
                for i in range {
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
