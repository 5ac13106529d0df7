import ShoalETL

extension Network {
    /// Loss and gradient of `rows` examples: adds `Σ ∂loss/∂parameters` over the rows to `gradient` and returns
    /// the summed loss. Sums, not means: micro-batches then add up to their step's batch, whatever their sizes.
    /// - Parameters:
    ///   - features: `rows × inputs`, row-major.
    ///   - labels: one per row: the target (linear), 0 or 1 (logistic), the class index (softmax).
    public func lossAndGradient(
        parameters: UnsafePointer<Float>, features: UnsafePointer<Float>, labels: UnsafePointer<Float>, rows: Int,
        gradient: UnsafeMutablePointer<Float>, workspace: NetworkWorkspace
    ) -> BatchLoss {
        precondition(rows <= workspace.capacity, "more rows than the workspace holds")
        forward(parameters: parameters, features: features, rows: rows, workspace: workspace)
        let last = layerCount - 1
        let loss = Self.headLoss(
            spec.head, logits: workspace.outputs[last], labels: labels, rows: rows, outputs: outputs,
            delta: workspace.delta)
        for l in stride(from: last, through: 0, by: -1) {
            let inWidth = widths[l], outWidth = widths[l + 1]
            let input = l == 0 ? features : UnsafePointer(workspace.outputs[l - 1])
            let weights = parameters + offsets[l]
            DenseKernels.accumulateGradients(
                outputGradient: workspace.delta, input: input, rows: rows, inputWidth: inWidth, outputWidth: outWidth,
                weightGradient: gradient + offsets[l], biasGradient: gradient + offsets[l] + inWidth * outWidth,
                scratch: workspace.scratch)
            guard l > 0 else { break }
            DenseKernels.backpropagate(
                outputGradient: workspace.delta, weights: weights, rows: rows, inputWidth: inWidth,
                outputWidth: outWidth, inputGradient: workspace.spareDelta)
            Self.multiplyByActivationDerivative(
                spec.activation, outputs: workspace.outputs[l - 1], count: rows * inWidth, delta: workspace.spareDelta)
            swap(&workspace.delta, &workspace.spareDelta)
        }
        return loss
    }

    /// The loss of `rows` examples without a gradient (validation).
    public func loss(
        parameters: UnsafePointer<Float>, features: UnsafePointer<Float>, labels: UnsafePointer<Float>, rows: Int,
        workspace: NetworkWorkspace
    ) -> BatchLoss {
        forward(parameters: parameters, features: features, rows: rows, workspace: workspace)
        return Self.headLoss(
            spec.head, logits: workspace.outputs[layerCount - 1], labels: labels, rows: rows, outputs: outputs,
            delta: nil)
    }

    /// The model's answer for `rows` examples, `rows × outputs` into `predictions`: the value (linear), the
    /// probability of class 1 (logistic), each class's probability (softmax).
    public func predict(
        parameters: UnsafePointer<Float>, features: UnsafePointer<Float>, rows: Int, workspace: NetworkWorkspace,
        into predictions: UnsafeMutablePointer<Float>
    ) {
        forward(parameters: parameters, features: features, rows: rows, workspace: workspace)
        let logits = workspace.outputs[layerCount - 1]
        let k = outputs
        switch spec.head {
        case .linear:
            predictions.update(from: logits, count: rows)
        case .logistic:
            for i in 0..<rows { predictions[i] = Float(Self.sigmoid(Double(logits[i]))) }
        case .softmax:
            for i in 0..<rows {
                let z = logits + i * k
                var m = z[0]
                for j in 1..<k { m = max(m, z[j]) }
                var sum = 0.0
                for j in 0..<k { sum += DeterministicMath.exp(Double(z[j] - m)) }
                for j in 0..<k { predictions[i * k + j] = Float(DeterministicMath.exp(Double(z[j] - m)) / sum) }
            }
        }
    }

    /// Runs the layers; the last layer's outputs (the logits) end in `workspace.outputs[layerCount - 1]`.
    func forward(parameters: UnsafePointer<Float>, features: UnsafePointer<Float>, rows: Int, workspace: NetworkWorkspace) {
        precondition(rows <= workspace.capacity, "more rows than the workspace holds")
        var input = features
        for l in 0..<layerCount {
            let inWidth = widths[l], outWidth = widths[l + 1]
            let weights = parameters + offsets[l]
            let output = workspace.outputs[l]
            DenseKernels.forward(
                input: input, rows: rows, inputWidth: inWidth, weights: weights, bias: weights + inWidth * outWidth,
                outputWidth: outWidth, output: output)
            if l < layerCount - 1 { Self.activate(spec.activation, output, count: rows * outWidth) }
            input = UnsafePointer(output)
        }
    }

    static func activate(_ activation: ModelSpec.Activation, _ values: UnsafeMutablePointer<Float>, count: Int) {
        switch activation {
        case .relu:
            for i in 0..<count where !(values[i] > 0) { values[i] = 0 }
        case .tanh:
            for i in 0..<count { values[i] = Float(tanh(Double(values[i]))) }
        }
    }

    /// `delta ⊙ f′`, with `f′` from the layer's outputs: 1 where relu passed its input, `1 − a²` for tanh.
    static func multiplyByActivationDerivative(
        _ activation: ModelSpec.Activation, outputs: UnsafePointer<Float>, count: Int, delta: UnsafeMutablePointer<Float>
    ) {
        switch activation {
        case .relu:
            for i in 0..<count where !(outputs[i] > 0) { delta[i] = 0 }
        case .tanh:
            for i in 0..<count { delta[i] *= 1 - outputs[i] * outputs[i] }
        }
    }

    /// The head's loss summed over the rows; with `delta`, also `∂loss/∂logits` per row.
    ///
    /// Stable forms: log-loss as `softplus(z) − y·z` with `softplus(z) = max(z, 0) + log(1 + e^−|z|)`, which
    /// never overflows; softmax cross-entropy through log-sum-exp after subtracting the row's largest logit.
    /// Transcendentals come from `DeterministicMath`, which gives the same bits on every machine.
    static func headLoss(
        _ head: ModelSpec.Head, logits: UnsafePointer<Float>, labels: UnsafePointer<Float>, rows: Int, outputs k: Int,
        delta: UnsafeMutablePointer<Float>?
    ) -> BatchLoss {
        var total = 0.0
        var correct = 0
        switch head {
        case .linear:
            for i in 0..<rows {
                let error = Double(logits[i]) - Double(labels[i])
                total += error * error
                delta?[i] = Float(2 * error)
            }
        case .logistic:
            for i in 0..<rows {
                let z = Double(logits[i]), y = Double(labels[i])
                let e = DeterministicMath.exp(-abs(z))
                total += max(z, 0) + DeterministicMath.log(1 + e) - y * z
                if (z > 0) == (y > 0.5) { correct += 1 }
                // σ(z) from the same e^−|z|: 1/(1+e) for z ≥ 0, e/(1+e) below.
                let p = z >= 0 ? 1 / (1 + e) : e / (1 + e)
                delta?[i] = Float(p - y)
            }
        case .softmax:
            for i in 0..<rows {
                let z = logits + i * k
                let y = Int(labels[i])
                var best = 0
                for j in 1..<k where z[j] > z[best] { best = j }
                let m = Double(z[best])
                var sum = 0.0
                for j in 0..<k { sum += DeterministicMath.exp(Double(z[j]) - m) }
                total += DeterministicMath.log(sum) + m - Double(z[y])
                if best == y { correct += 1 }
                if let delta {
                    for j in 0..<k {
                        let p = DeterministicMath.exp(Double(z[j]) - m) / sum
                        delta[i * k + j] = Float(p - (j == y ? 1 : 0))
                    }
                }
            }
        }
        return BatchLoss(lossSum: total, correct: correct)
    }

    static func sigmoid(_ z: Double) -> Double {
        let e = DeterministicMath.exp(-abs(z))
        return z >= 0 ? 1 / (1 + e) : e / (1 + e)
    }

    /// tanh from `DeterministicMath.exp`, odd by construction.
    static func tanh(_ x: Double) -> Double {
        let e = DeterministicMath.exp(-2 * abs(x))
        let t = (1 - e) / (1 + e)
        return x < 0 ? -t : t
    }
}
