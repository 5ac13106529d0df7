import Testing
@testable import ShoalTraining

/// Every model's gradient against central differences of an independent `Double` reference.
@Suite struct GradientCheckTests {
    static let models: [ModelSpec] = [
        ModelSpec(head: .linear),
        ModelSpec(head: .logistic),
        ModelSpec(head: .softmax, classes: 4),
        ModelSpec(head: .logistic, hidden: [6], activation: .tanh),
        ModelSpec(head: .softmax, hidden: [9, 5], activation: .tanh, classes: 3),
        ModelSpec(head: .linear, hidden: [12], activation: .relu),
        ModelSpec(head: .logistic, hidden: [10, 4], activation: .relu),
    ]

    @Test(arguments: models)
    func gradientMatchesFiniteDifferencesOfTheReference(_ spec: ModelSpec) {
        // 11 inputs: a SIMD block of 8 plus a tail; 13 rows: not a multiple of anything.
        let network = Network(spec: spec, inputs: 11)
        let problem = RandomProblem(network: network, rows: 13, seed: 42)
        let workspace = NetworkWorkspace(network: network, capacity: 16)
        var gradient = [Float](repeating: 0, count: network.parameterCount)
        let loss = problem.parameters.withUnsafeBufferPointer { p in
            problem.features.withUnsafeBufferPointer { x in
                problem.labels.withUnsafeBufferPointer { y in
                    gradient.withUnsafeMutableBufferPointer { g in
                        network.lossAndGradient(
                            parameters: p.baseAddress!, features: x.baseAddress!, labels: y.baseAddress!, rows: 13,
                            gradient: g.baseAddress!, workspace: workspace)
                    }
                }
            }
        }
        let reference = ReferenceNetwork(network: network)
        let p = problem.parameters.map(Double.init)
        let x = problem.features.map(Double.init)
        let y = problem.labels.map(Double.init)
        let expectedLoss = reference.loss(p, features: x, labels: y, rows: 13)
        #expect(abs(loss.lossSum - expectedLoss) <= 1e-4 * max(1, abs(expectedLoss)), "loss \(loss.lossSum) vs \(expectedLoss)")
        let numeric = reference.numericGradient(p, features: x, labels: y, rows: 13)
        let scale = max(1, numeric.map(abs).max()!)
        var worst = 0.0
        for k in numeric.indices { worst = max(worst, abs(Double(gradient[k]) - numeric[k]) / scale) }
        #expect(worst < 1e-4, "\(spec.name): largest gradient error \(worst) (relative to \(scale))")
    }

    @Test func theGradientIsAddedToWhatIsThere() {
        let network = Network(spec: ModelSpec(head: .logistic, hidden: [5]), inputs: 3)
        let problem = RandomProblem(network: network, rows: 4, seed: 7)
        let workspace = NetworkWorkspace(network: network, capacity: 4)
        func gradient(startingFrom start: Float) -> [Float] {
            var g = [Float](repeating: start, count: network.parameterCount)
            _ = network.lossAndGradient(
                parameters: problem.parameters, features: problem.features, labels: problem.labels, rows: 4,
                gradient: &g, workspace: workspace)
            return g
        }
        let fromZero = gradient(startingFrom: 0)
        let fromOne = gradient(startingFrom: 1)
        #expect(fromZero.contains { $0 != 0 })
        #expect(zip(fromZero, fromOne).allSatisfy { abs($0 + 1 - $1) < 1e-5 })
    }

    @Test func correctCountsFollowTheHead() {
        // Logistic: the sign of the logit against the label; softmax: the arg max.
        let logistic = Network(spec: ModelSpec(head: .logistic), inputs: 1)
        let workspace = NetworkWorkspace(network: logistic, capacity: 4)
        var g = [Float](repeating: 0, count: 2)
        // w = 1, b = 0: logits equal the features.
        let loss = logistic.lossAndGradient(
            parameters: [1, 0], features: [2, -1, 3, -4], labels: [1, 1, 0, 0], rows: 4, gradient: &g,
            workspace: workspace)
        #expect(loss.correct == 2)
        let softmax = Network(spec: ModelSpec(head: .softmax, classes: 3), inputs: 3)
        let identity: [Float] = [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]
        var g3 = [Float](repeating: 0, count: 12)
        let s = softmax.lossAndGradient(
            parameters: identity, features: [5, 1, 0, 0, 2, 9, 1, 1, 3], labels: [0, 1, 2], rows: 3, gradient: &g3,
            workspace: NetworkWorkspace(network: softmax, capacity: 3))
        #expect(s.correct == 2)
    }

    @Test func extremeLogitsGiveFiniteLossesAndGradients() {
        let network = Network(spec: ModelSpec(head: .logistic), inputs: 1)
        var g = [Float](repeating: 0, count: 2)
        let loss = network.lossAndGradient(
            parameters: [1, 0], features: [1000, -1000], labels: [0, 1], rows: 2, gradient: &g,
            workspace: NetworkWorkspace(network: network, capacity: 2))
        // Each example is 1000 nats wrong: softplus(1000) − 0 and softplus(−1000) + 1000.
        #expect(abs(loss.lossSum - 2000) < 1e-9)
        #expect(g.allSatisfy { $0.isFinite })
        #expect(g == [2000, 0])
    }
}
