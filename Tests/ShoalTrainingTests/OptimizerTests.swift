import Testing
@testable import ShoalTraining

/// Optimizer steps against values worked out by hand (PyTorch's update rules).
@Suite struct OptimizerTests {
    func steps(_ spec: OptimizerSpec, from p: Float, gradients: [Float], rate: Double) -> [Float] {
        var optimizer = Optimizer(spec: spec, parameterCount: 1)
        var parameters = [p]
        return gradients.map { g in
            optimizer.update(&parameters, gradient: [g], rate: rate)
            return parameters[0]
        }
    }

    /// 37 random parameters in [−1, 1) and three gradients for them, from `seed`.
    func randomRun(seed: UInt64) -> (start: [Float], gradients: [[Float]]) {
        var random = SplitMix64(seed: seed)
        func values() -> [Float] { (0..<37).map { _ in Float(random.unit() * 2 - 1) } }
        let start = values()
        return (start, (0..<3).map { _ in values() })
    }

    /// The update runs vectorized over many parameters: each must move exactly as it would alone.
    @Test(arguments: [
        OptimizerSpec(kind: .sgd, learningRate: 0.1),
        OptimizerSpec(kind: .sgd, learningRate: 0.1, weightDecay: 0.01),
        OptimizerSpec(kind: .sgd, learningRate: 0.1, momentum: 0.9, weightDecay: 0.01),
        OptimizerSpec(kind: .sgd, learningRate: 0.1, momentum: 0.9, nesterov: true),
        OptimizerSpec(kind: .adam, learningRate: 0.01, weightDecay: 0.01),
        OptimizerSpec(kind: .adamw, learningRate: 0.01, weightDecay: 0.1),
    ])
    func manyParametersMoveAsEachWouldAlone(_ spec: OptimizerSpec) {
        let (start, gradients) = randomRun(seed: 3)
        let count = start.count
        var optimizer = Optimizer(spec: spec, parameterCount: count)
        var together = start
        for g in gradients { optimizer.update(&together, gradient: g, rate: spec.learningRate) }
        for i in 0..<count {
            let alone = steps(spec, from: start[i], gradients: gradients.map { $0[i] }, rate: spec.learningRate).last!
            #expect(together[i].bitPattern == alone.bitPattern, "parameter \(i)")
        }
    }

    /// The chunked update (the coordinator's: gradient made per chunk, chunks in parallel) gives the bits of the
    /// whole-array one, and names the first parameter that stops being finite.
    @Test(arguments: [
        OptimizerSpec(kind: .sgd, learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01),
        OptimizerSpec(kind: .adam, learningRate: 0.01),
        OptimizerSpec(kind: .adamw, learningRate: 0.01, weightDecay: 0.1),
    ])
    func chunkedUpdatesMatchTheWholeArrayUpdate(_ spec: OptimizerSpec) {
        let (start, gradients) = randomRun(seed: 5)
        let count = start.count
        var whole = Optimizer(spec: spec, parameterCount: count), chunked = whole
        var a = start, b = start
        for g in gradients {
            whole.update(&a, gradient: g, rate: spec.learningRate)
            let bad = chunked.update(&b, rate: spec.learningRate, chunk: 5) { range, out in
                for i in range { out[i - range.lowerBound] = g[i] }
            }
            #expect(bad == nil)
        }
        #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
        #expect(whole == chunked)
        var gradient = gradients[0]
        gradient[23] = .infinity
        gradient[31] = .nan
        let bad = chunked.update(&b, rate: spec.learningRate, chunk: 5) { range, out in
            for i in range { out[i - range.lowerBound] = gradient[i] }
        }
        #expect(bad == 23)
    }

    @Test func plainSGD() {
        // p ← p − lr·g: 1 − 0.1·0.5 = 0.95, then 0.95 − 0.1·(−1) = 1.05.
        let p = steps(OptimizerSpec(kind: .sgd, learningRate: 0.1), from: 1, gradients: [0.5, -1], rate: 0.1)
        #expect(p == [0.95, 1.05])
    }

    @Test func sgdWithMomentumAndNesterov() {
        // μ = 0.9. v1 = g1 = 1 → p = 1 − 0.1 = 0.9; v2 = 0.9·1 + 1 = 1.9 → p = 0.9 − 0.19 = 0.71.
        let heavy = steps(OptimizerSpec(kind: .sgd, learningRate: 0.1, momentum: 0.9), from: 1, gradients: [1, 1], rate: 0.1)
        #expect(abs(heavy[0] - 0.9) < 1e-6 && abs(heavy[1] - 0.71) < 1e-6)
        // Nesterov steps by g + μ·v: 1 + 0.9 = 1.9 → 0.81; then 1 + 0.9·1.9 = 2.71 → 0.81 − 0.271 = 0.539.
        let nesterov = steps(
            OptimizerSpec(kind: .sgd, learningRate: 0.1, momentum: 0.9, nesterov: true), from: 1, gradients: [1, 1], rate: 0.1)
        #expect(abs(nesterov[0] - 0.81) < 1e-6 && abs(nesterov[1] - 0.539) < 1e-6)
    }

    @Test func sgdWeightDecayIsL2() {
        // g + λp = 0 + 0.5·2 = 1 → 2 − 0.1 = 1.9.
        let p = steps(OptimizerSpec(kind: .sgd, learningRate: 0.1, weightDecay: 0.5), from: 2, gradients: [0], rate: 0.1)
        #expect(abs(p[0] - 1.9) < 1e-6)
    }

    @Test func adamFirstStepsMoveByTheLearningRate() {
        // Step 1: m = 0.1g, v = 0.001g², m̂ = g, v̂ = g² → p − lr·g/(|g| + ε) ≈ p − lr·sign(g).
        // Step 2 with g2 = −g1: m = 0.9·0.1g − 0.1g = −0.01g, m̂ = −0.01g/0.19; v = 0.999·0.001g² + 0.001g²,
        // v̂ = 0.001999g²/0.001999 = g²  → p + lr·(0.01/0.19).
        let g: Float = 3
        let p = steps(OptimizerSpec(kind: .adam, learningRate: 0.01), from: 0, gradients: [g, -g], rate: 0.01)
        #expect(abs(p[0] - -0.01) < 1e-7)
        #expect(abs(p[1] - (-0.01 + 0.01 * 0.01 / 0.19)) < 1e-7)
    }

    @Test func adamWDecaysTheWeightsApartFromTheGradient() {
        // With g = 0 Adam's part is 0/(0 + ε) = 0: only p ← p − lr·λ·p moves: 1 − 0.1·0.5 = 0.95.
        let w = steps(OptimizerSpec(kind: .adamw, learningRate: 0.1, weightDecay: 0.5), from: 1, gradients: [0], rate: 0.1)
        #expect(abs(w[0] - 0.95) < 1e-7)
        // Adam's L2 puts λp into the gradient instead: a normalized step of lr.
        let a = steps(OptimizerSpec(kind: .adam, learningRate: 0.1, weightDecay: 0.5), from: 1, gradients: [0], rate: 0.1)
        #expect(abs(a[0] - 0.9) < 1e-6)
        #expect(OptimizerSpec(kind: .adamw, learningRate: 0.1).weightDecay == 0.01)
    }

    @Test func schedules() {
        let step = LearningRateSchedule(kind: .step, everySteps: 10, gamma: 0.5)
        #expect(step.rate(base: 1, step: 9, totalSteps: 100) == 1)
        #expect(step.rate(base: 1, step: 10, totalSteps: 100) == 0.5)
        #expect(step.rate(base: 1, step: 35, totalSteps: 100) == 0.125)
        let cosine = LearningRateSchedule(kind: .cosine, minimumRate: 0.1)
        #expect(cosine.rate(base: 1, step: 0, totalSteps: 100) == 1)
        #expect(abs(cosine.rate(base: 1, step: 50, totalSteps: 100) - 0.55) < 1e-12)
        #expect(abs(cosine.rate(base: 1, step: 100, totalSteps: 100) - 0.1) < 1e-12)
        let warm = LearningRateSchedule(kind: .constant, warmupSteps: 4)
        #expect((0..<6).map { warm.rate(base: 2, step: $0, totalSteps: 10) } == [0.5, 1, 1.5, 2, 2, 2])
    }
}
