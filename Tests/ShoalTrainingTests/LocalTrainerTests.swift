import Testing
@testable import ShoalTraining

/// The reference trainer: bit-identical parameters whatever the grouping of micro-batches, and across a stop
/// and resume.
@Suite struct LocalTrainerTests {
    /// Three shards of a separable-ish problem with 6 inputs.
    static func shards(_ head: ModelSpec.Head) -> [DatasetShard] {
        var random = SplitMix64(seed: 11)
        return [700, 333, 512].map { rows in
            var features: [Float] = []
            var labels: [Float] = []
            for _ in 0..<rows {
                let x = (0..<6).map { _ in Float(random.unit() * 2 - 1) }
                features += x
                let score = x[0] - 2 * x[1] + 0.5 * x[2] * x[3]
                switch head {
                case .linear: labels.append(score)
                case .logistic: labels.append(score > 0 ? 1 : 0)
                case .softmax: labels.append(score > 0.5 ? 2 : (score > -0.5 ? 1 : 0))
                }
            }
            return DatasetShard(features: Matrix(rows: rows, columns: 6, values: features), labels: labels, badRows: 0)
        }
    }

    static let configs: [TrainingConfig] = [
        TrainingConfig(
            model: ModelSpec(head: .logistic), optimizer: OptimizerSpec(kind: .adam, learningRate: 0.05),
            batchSize: 200, microBatchSize: 64, epochs: 3, seed: 1),
        TrainingConfig(
            model: ModelSpec(head: .softmax, hidden: [16, 8], activation: .relu, classes: 3),
            optimizer: OptimizerSpec(kind: .sgd, learningRate: 0.1, momentum: 0.9, nesterov: true),
            batchSize: 256, microBatchSize: 32, epochs: 2, seed: 2),
        TrainingConfig(
            model: ModelSpec(head: .linear, hidden: [8], activation: .tanh),
            optimizer: OptimizerSpec(
                kind: .adamw, learningRate: 0.01, schedule: LearningRateSchedule(kind: .cosine, warmupSteps: 5)),
            batchSize: 100, microBatchSize: 50, epochs: 2, seed: 3),
    ]

    func trainer(_ config: TrainingConfig) -> (LocalTrainer, [DatasetShard]) {
        let shards = Self.shards(config.model.head)
        let plan = MicroBatchPlan(
            shardRows: shards.map(\.rows), microBatchSize: config.microBatchSize, batchSize: config.batchSize,
            epochs: config.epochs, seed: config.seed)
        return (LocalTrainer(network: Network(spec: config.model, inputs: 6), config: config, plan: plan), shards)
    }

    @Test(arguments: 0..<configs.count)
    func oneTwoAndFourGroupsGiveBitIdenticalParameters(_ index: Int) throws {
        let config = Self.configs[index]
        let (trainer, shards) = trainer(config)
        var results: [[Float]] = []
        var losses: [[Double]] = []
        for groups in [1, 2, 4] {
            var state = TrainingState(network: trainer.network, config: config)
            let records = try trainer.run(&state, shards: shards, groups: groups)
            #expect(state.step == trainer.plan.totalSteps)
            results.append(state.parameters)
            losses.append(records.map(\.loss))
        }
        #expect(results[0].map(\.bitPattern) == results[1].map(\.bitPattern))
        #expect(results[0].map(\.bitPattern) == results[2].map(\.bitPattern))
        #expect(losses[0] == losses[2])
        // And it learnt something: the last steps' loss is well below the first's.
        let last: Double = losses[0].suffix(3).reduce(0, +)
        let first: Double = losses[0].prefix(3).reduce(0, +)
        #expect(last < 0.8 * first)
    }

    @Test func stoppingAndResumingChangesNothing() throws {
        let config = Self.configs[1]
        let (trainer, shards) = trainer(config)
        var straight = TrainingState(network: trainer.network, config: config)
        _ = try trainer.run(&straight, shards: shards)
        var resumed = TrainingState(network: trainer.network, config: config)
        _ = try trainer.run(&resumed, shards: shards, groups: 2, until: 5)
        #expect(resumed.step == 5)
        // What a checkpoint keeps, copied into a fresh state.
        var restored = TrainingState(step: resumed.step, parameters: resumed.parameters, optimizer: resumed.optimizer)
        _ = try trainer.run(&restored, shards: shards, groups: 3)
        #expect(restored.parameters.map(\.bitPattern) == straight.parameters.map(\.bitPattern))
    }

    @Test func aDivergingJobStopsWithTheMicroBatch() {
        var config = Self.configs[2]
        config.model = ModelSpec(head: .linear)
        config.optimizer = OptimizerSpec(kind: .sgd, learningRate: 1e6)
        let (trainer, shards) = trainer(config)
        var state = TrainingState(network: trainer.network, config: config)
        #expect {
            _ = try trainer.run(&state, shards: shards)
        } throws: { error in
            "\(error)".contains("training diverged: in micro-batch") && "\(error)".contains("learning rate")
        }
        #expect(state.step < trainer.plan.totalSteps)
    }
}

/// Multi-class models learn, judged on held-out rows: softmax on classes with linear boundaries, an mlp on
/// rings that no linear model can draw.
@Suite struct MultiClassTests {
    /// Four inputs in [-1, 1]; the label is the largest of three linear scores (softmax's own model).
    static func linearClasses(rows: Int, seed: UInt64) -> DatasetShard {
        var random = SplitMix64(seed: seed)
        let weights: [[Double]] = [[2, -1, 0.5, 0], [-1, 2, 0, 0.5], [-1, -1, -0.5, -0.5]]
        var features: [Float] = []
        var labels: [Float] = []
        for _ in 0..<rows {
            let x = (0..<4).map { _ in random.unit() * 2 - 1 }
            let scores = weights.map { w in zip(w, x).reduce(0) { $0 + $1.0 * $1.1 } }
            features += x.map(Float.init)
            labels.append(Float(scores.indices.max { scores[$0] < scores[$1] }!))
        }
        return DatasetShard(features: Matrix(rows: rows, columns: 4, values: features), labels: labels, badRows: 0)
    }

    /// Points in the plane (plus two noise inputs) labelled by ring: radius < 0.6 → 0, < 1.0 → 1, else 2 (the
    /// outer class is about 60% of the rows).
    static func rings(rows: Int, seed: UInt64) -> DatasetShard {
        var random = SplitMix64(seed: seed)
        var features: [Float] = []
        var labels: [Float] = []
        for _ in 0..<rows {
            let x = random.unit() * 2.8 - 1.4, y = random.unit() * 2.8 - 1.4
            let r = (x * x + y * y).squareRoot()
            features += [Float(x), Float(y), Float(random.unit() - 0.5), Float(random.unit() - 0.5)]
            labels.append(r < 0.6 ? 0 : (r < 1.0 ? 1 : 2))
        }
        return DatasetShard(features: Matrix(rows: rows, columns: 4, values: features), labels: labels, badRows: 0)
    }

    /// Trains on two shards of `make`'s rows and returns the held-out accuracy and the largest class's share.
    func heldOut(_ model: ModelSpec, epochs: Int, _ make: (Int, UInt64) -> DatasetShard) throws -> (accuracy: Double, majority: Double) {
        let train = [make(4_000, 1), make(4_000, 2)]
        let test = make(4_000, 3)
        let config = TrainingConfig(
            model: model, optimizer: OptimizerSpec(kind: .adam, learningRate: 0.01), batchSize: 256,
            microBatchSize: 64, epochs: epochs, seed: 5)
        let network = Network(spec: model, inputs: 4)
        let plan = MicroBatchPlan(
            shardRows: train.map(\.rows), microBatchSize: 64, batchSize: 256, epochs: epochs, seed: 5)
        var state = TrainingState(network: network, config: config)
        _ = try LocalTrainer(network: network, config: config, plan: plan).run(&state, shards: train)
        let metrics = try network.evaluate(
            parameters: state.parameters, shard: test, workspace: NetworkWorkspace(network: network, capacity: 512))
        let majority = (0..<3).map { k in Double(test.labels.filter { $0 == Float(k) }.count) }.max()! / Double(test.rows)
        return (metrics.metrics.accuracy, majority)
    }

    @Test func softmaxLearnsLinearClasses() throws {
        let (accuracy, majority) = try heldOut(ModelSpec(head: .softmax, classes: 3), epochs: 10, Self.linearClasses)
        #expect(majority < 0.5 && accuracy > 0.9, "softmax held-out accuracy \(accuracy); largest class \(majority)")
    }

    @Test func anMLPLearnsRingsALinearModelCannot() throws {
        let mlp = try heldOut(ModelSpec(head: .softmax, hidden: [24, 12], activation: .relu, classes: 3), epochs: 8, Self.rings)
        let linear = try heldOut(ModelSpec(head: .softmax, classes: 3), epochs: 4, Self.rings)
        #expect(mlp.accuracy > 0.9 && mlp.majority > 0.55, "mlp held-out accuracy \(mlp.accuracy); largest class \(mlp.majority)")
        #expect(linear.accuracy < mlp.accuracy - 0.2, "softmax \(linear.accuracy) vs mlp \(mlp.accuracy)")
    }
}
