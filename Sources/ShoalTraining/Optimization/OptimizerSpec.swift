/// How parameters move against the mean gradient of a step: the `optimizer` section of a job file.
///
/// Semantics follow PyTorch's `torch.optim` so that hyper-parameters carry over:
/// - `sgd`: `v ← μ·v + g`; the step is `v`, or `g + μ·v` with Nesterov; `p ← p − lr·step`.
/// - `adam`: `m ← β1·m + (1−β1)·g`, `v ← β2·v + (1−β2)·g²`, `p ← p − lr·m̂ / (√v̂ + ε)` with bias-corrected
///   `m̂ = m / (1−β1^t)`, `v̂ = v / (1−β2^t)`.
/// - `adamw`: Adam with decoupled weight decay: `p ← p − lr·λ·p` before the Adam step.
/// - `weight_decay` λ for `sgd` and `adam` is L2: `g ← g + λ·p` before the update.
public struct OptimizerSpec: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case sgd, adam, adamw
    }

    public var kind: Kind
    public var learningRate: Double
    public var momentum: Double
    public var nesterov: Bool
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    public var weightDecay: Double
    public var schedule: LearningRateSchedule

    public init(
        kind: Kind, learningRate: Double, momentum: Double = 0, nesterov: Bool = false, beta1: Double = 0.9,
        beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double? = nil,
        schedule: LearningRateSchedule = LearningRateSchedule()
    ) {
        self.kind = kind
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        // AdamW's usual default is 0.01 (PyTorch's); the others default to none.
        self.weightDecay = weightDecay ?? (kind == .adamw ? 0.01 : 0)
        self.schedule = schedule
    }
}

/// The learning rate over the steps: an optional linear warm-up, then constant, step decay or cosine.
///
/// - `constant`: `lr`.
/// - `step`: `lr · gamma^⌊t / every_steps⌋`.
/// - `cosine`: from `lr` down to `min_lr` over the job's steps, `min_lr + (lr − min_lr)(1 + cos(π t / T))/2`.
/// - warm-up: for `t < warmup_steps` the rate is multiplied by `(t + 1) / warmup_steps`.
/// `t` counts steps from 0 across epochs; during warm-up the decay's clock runs already.
public struct LearningRateSchedule: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case constant, step, cosine
    }

    public var kind: Kind
    public var everySteps: Int
    public var gamma: Double
    public var minimumRate: Double
    public var warmupSteps: Int

    public init(kind: Kind = .constant, everySteps: Int = 1000, gamma: Double = 0.1, minimumRate: Double = 0, warmupSteps: Int = 0) {
        self.kind = kind
        self.everySteps = everySteps
        self.gamma = gamma
        self.minimumRate = minimumRate
        self.warmupSteps = warmupSteps
    }

    /// The rate of step `step` of `totalSteps`, from the base rate `base`.
    public func rate(base: Double, step: Int, totalSteps: Int) -> Double {
        var rate: Double
        switch kind {
        case .constant:
            rate = base
        case .step:
            rate = base
            // Repeated multiplication, not pow(): the same bits on every libm.
            for _ in 0..<(step / max(everySteps, 1)) { rate *= gamma }
        case .cosine:
            let progress = Double(min(step, totalSteps)) / Double(max(totalSteps, 1))
            rate = minimumRate + (base - minimumRate) * (1 + cos(Double.pi * progress)) / 2
        }
        if step < warmupSteps { rate *= Double(step + 1) / Double(warmupSteps) }
        return rate
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
