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
