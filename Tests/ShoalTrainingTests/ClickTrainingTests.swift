import Foundation
import ShoalETL
import ShoalTestSupport
import Testing
@testable import ShoalTraining

/// Logistic regression on `shoal datagen clicks` data, read, encoded and trained by the real pieces, against
/// the Bayes-optimal accuracy of the generator's own weights — computed here from the test file's text.
@Suite struct ClickTrainingTests {
    static let features: [FeatureSpec] = (0..<16).map { .numeric("f\($0)") } + [.oneHot("device")]

    @Test func logisticRegressionReachesTheBayesRate() throws {
        let directory = try TemporaryDirectory()
        let trainPath = directory.path("clicks-train.csv"), testPath = directory.path("clicks-test.csv")
        _ = try ClickGenerator(seed: 11).write(rows: 200_000, toFile: trainPath)
        _ = try ClickGenerator(seed: 12).write(rows: 50_000, toFile: testPath)
        let data = DataSpec(
            train: InputSpec(format: .csv, paths: [trainPath], shardBytes: 8 << 20),
            validation: InputSpec(format: .csv, paths: [testPath]), features: Self.features, label: "clicked",
            schema: ClickGenerator.schema.fields)
        let config = TrainingConfig(
            model: ModelSpec(head: .logistic), optimizer: OptimizerSpec(kind: .adam, learningRate: 0.01),
            batchSize: 4096, epochs: 5, seed: 42)
        let reader = DatasetReader(data: data, model: config.model)

        let trainShards = try ETLInputPlanning.shards(of: data.train)
        #expect(trainShards.count > 2)
        var statistics = ShardStatistics()
        for shard in trainShards { statistics.merge(try reader.statistics(of: shard)) }
        #expect(statistics.rows == 200_000)
        let encoding = statistics.encoding(features: data.features, label: data.label)
        #expect(encoding.inputNames.suffix(3) == ["device=desktop", "device=mobile", "device=tablet"])
        let shards = try trainShards.map { try reader.load($0, input: data.train, encoding: encoding) }
        #expect(shards.reduce(0) { $0 + $1.rows } == 200_000 && shards.allSatisfy { $0.rows > 0 && $0.badRows == 0 })
        #expect(shards.allSatisfy { $0.features.columns == 19 })

        let network = Network(spec: config.model, inputs: encoding.width)
        let plan = MicroBatchPlan(
            shardRows: shards.map(\.rows), microBatchSize: config.microBatchSize, batchSize: config.batchSize,
            epochs: config.epochs, seed: config.seed)
        var state = TrainingState(network: network, config: config)
        _ = try LocalTrainer(network: network, config: config, plan: plan).run(&state, shards: shards)

        let testShard = try reader.load(
            try ETLInputPlanning.shards(of: data.validation!)[0], input: data.validation!, encoding: encoding)
        let metrics = try network.evaluate(
            parameters: state.parameters, shard: testShard, workspace: NetworkWorkspace(network: network, capacity: 1024))
        let bayes = try Self.bayesAccuracy(testPath)
        #expect(metrics.metrics.examples == 50_000)
        #expect(metrics.metrics.accuracy >= bayes - 0.005, "accuracy \(metrics.metrics.accuracy), Bayes \(bayes)")
        let auc = try #require(metrics.auc)
        #expect(auc.value > 0.9 && auc.errorBound < 1e-3)
    }

    /// The share of test rows whose label agrees with the true model's more likely class, from the CSV text.
    static func bayesAccuracy(_ path: String) throws -> Double {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").dropFirst()
        var right = 0
        for line in lines {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            var logit = ClickGenerator.trueBias
            for i in 0..<16 { logit += ClickGenerator.trueWeights[i] * Double(fields[8 + i])! }
            logit += ClickGenerator.deviceEffects[ClickGenerator.devices.firstIndex(of: String(fields[4]))!]
            if (logit > 0) == (fields[24] == "1") { right += 1 }
        }
        return Double(right) / Double(lines.count)
    }
}
