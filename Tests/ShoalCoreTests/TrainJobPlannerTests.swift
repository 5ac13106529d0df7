import Foundation
import ShoalCore
import ShoalETL
import ShoalTestSupport
import ShoalTraining
import Testing

/// `TrainJobPlanner`: the statistics stage it plans, and every mistake in a train job file located at submit time.
@Suite struct TrainJobPlannerTests {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.path("data"), withIntermediateDirectories: true)
        var csv = "x,n,color,y,note\n"
        for i in 0..<3_000 { csv += "\(Double(i) / 7),\(i % 13),\(["red", "blue"][i % 2]),\(i % 2),n\(i)\n" }
        try csv.write(toFile: directory.path("data/train.csv"), atomically: true, encoding: .utf8)
        try "x,n,y\n1,2,0\n".write(toFile: directory.path("data/short.csv"), atomically: true, encoding: .utf8)
        try "y,color,n,x\n1,red,2,0.5\n".write(toFile: directory.path("data/valid.csv"), atomically: true, encoding: .utf8)
        try "{\"x\": 1}\n".write(toFile: directory.path("data/rows.jsonl"), atomically: true, encoding: .utf8)
    }

    /// A valid job; each argument replaces one line.
    func job(
        train: String = "{ paths: [\"data/train.csv\"] }", features: String = "[x, n, { one_hot: color }]",
        label: String = "y", model: String = "{ type: logistic }", optimizer: String = "{ type: adam, lr: 0.01 }",
        extra: String = "epochs: 1"
    ) -> String {
        """
        kind: train
        name: t
        data:
          train: \(train)
          features: \(features)
          label: \(label)
        model: \(model)
        optimizer: \(optimizer)
        batch_size: 64
        output: out/model
        \(extra)
        """
    }

    func expectRefused(
        _ yaml: String, line: Int, keyPath: String, saying fragment: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let error = planningError(yaml, workingDirectory: directory.path, sourceLocation: sourceLocation)
        #expect(error?.line == line, "\(String(describing: error))", sourceLocation: sourceLocation)
        #expect(error?.keyPath == keyPath, "\(String(describing: error))", sourceLocation: sourceLocation)
        #expect(error?.message.contains(fragment) == true, "\(String(describing: error))", sourceLocation: sourceLocation)
    }

    @Test func plansTheStatisticsPassOverSmallShards() throws {
        let (_, plan) = try ShoalCoreTests.plan(
            job(train: "{ paths: [\"data/train.csv\"], shard_size: 8KiB }", extra: "epochs: 3\nseed: 9\nmicro_batch_size: 16"),
            workingDirectory: directory.path)
        #expect(plan.tasks.count > 3, "a 60 KB file in 8 KiB shards")
        #expect(plan.moreStages && plan.outputDirectory == directory.path("out/model"))
        #expect(plan.tasks.map(\.affinity) == plan.tasks.indices.map { $0 })
        let spec = try TrainTaskSpec.decode(plan.tasks[1].spec)
        guard case .statistics(let shard) = spec.header.task else {
            Issue.record("expected a statistics task, got \(spec.header.task)")
            return
        }
        #expect(shard.index == 1)
        let train = spec.header.job
        #expect(train.config.epochs == 3 && train.config.seed == 9 && train.config.microBatchSize == 16)
        #expect(train.config.deterministic && train.checkpointEvery == 200)
        #expect(train.data.features == [.numeric("x"), .numeric("n"), .oneHot("color")])
        #expect(Schema(train.data.schema)["color"]?.type == .string)
        // Without shard_size, training shards are 4 MiB.
        let (_, defaults) = try ShoalCoreTests.plan(job(), workingDirectory: directory.path)
        #expect(try TrainTaskSpec.decode(defaults.tasks[0].spec).header.job.data.train.shardBytes == 4 << 20)
    }

    @Test func validationFilesMayHaveOtherColumnsInAnotherOrder() throws {
        let (_, plan) = try ShoalCoreTests.plan(
            job(train: "{ paths: [\"data/train.csv\"] }\n  validation: { paths: [\"data/valid.csv\"] }"),
            workingDirectory: directory.path)
        let data = try TrainTaskSpec.decode(plan.tasks[0].spec).header.job.data
        #expect(data.validationSchema?.map(\.name) == ["y", "color", "n", "x"])
        #expect(Schema(data.validationSchema!)["color"]?.type == .string)
        #expect(data.schema(for: data.validation!).names == ["y", "color", "n", "x"])
        #expect(data.schema(for: data.train).names == ["x", "n", "color", "y", "note"])
    }

    @Test func modelsAndOptimizersReadAsWritten() throws {
        let (_, plan) = try ShoalCoreTests.plan(
            job(
                model: "{ type: mlp, hidden: [32, 16], activation: tanh, output: softmax, classes: 3 }",
                optimizer: "{ type: sgd, lr: 0.1, momentum: 0.9, nesterov: true, weight_decay: 0.001, schedule: { type: cosine, warmup_steps: 10, min_lr: 0.001 } }"),
            workingDirectory: directory.path)
        let config = try TrainTaskSpec.decode(plan.tasks[0].spec).header.job.config
        #expect(config.model == ModelSpec(head: .softmax, hidden: [32, 16], activation: .tanh, classes: 3))
        #expect(config.optimizer.kind == .sgd && config.optimizer.momentum == 0.9 && config.optimizer.nesterov)
        #expect(config.optimizer.weightDecay == 0.001)
        #expect(config.optimizer.schedule == LearningRateSchedule(kind: .cosine, minimumRate: 0.001, warmupSteps: 10))
    }

    @Test func columnMistakesAreLocated() {
        expectRefused(job(features: "[x, nn]"), line: 5, keyPath: "data.features[1]", saying: "no column \"nn\" in the training data; did you mean 'n'?")
        expectRefused(job(features: "[x, note]"), line: 5, keyPath: "data.features[1]", saying: "holds text, and a feature must be a number; encode it with { one_hot: note }")
        expectRefused(job(features: "[x, x]"), line: 5, keyPath: "data.features[1]", saying: "listed twice")
        expectRefused(job(features: "[x, { bucket: n }]"), line: 5, keyPath: "data.features[1].bucket", saying: "unknown key")
        expectRefused(job(label: "why"), line: 6, keyPath: "data.label", saying: "no column \"why\"")
        expectRefused(job(label: "color"), line: 6, keyPath: "data.label", saying: "holds text")
        expectRefused(job(label: "x"), line: 6, keyPath: "data.label", saying: "also a feature")
        expectRefused(
            job(train: "{ paths: [\"data/train.csv\"] }\n  validation: { paths: [\"data/short.csv\"] }"), line: 5,
            keyPath: "data.validation", saying: "has no column \"color\"")
        expectRefused(job(train: "{ paths: [\"data/rows.jsonl\"] }"), line: 4, keyPath: "data.train", saying: "training reads csv")
        expectRefused(
            job(train: "{ paths: [\"data/train.csv\"], on_bad_row: quarantine }"), line: 4, keyPath: "data.train",
            saying: "fail or skip")
    }

    @Test func modelAndOptimizerMistakesAreLocated() {
        expectRefused(job(model: "{ type: svm }"), line: 7, keyPath: "model.type", saying: "expected linear, logistic, softmax or mlp")
        expectRefused(job(model: "{ type: softmax }"), line: 7, keyPath: "model", saying: "needs classes")
        expectRefused(job(model: "{ type: logistic, classes: 3 }"), line: 7, keyPath: "model.classes", saying: "belongs to softmax")
        expectRefused(job(model: "{ type: mlp }"), line: 7, keyPath: "model.hidden", saying: "an mlp needs hidden")
        expectRefused(job(model: "{ type: logistic, hidden: [8] }"), line: 7, keyPath: "model.hidden", saying: "belongs to mlp")
        // A gradient that no frame could carry: refused at submit, not allocated on the coordinator later.
        expectRefused(job(model: "{ type: mlp, hidden: [65536, 65536] }"), line: 7, keyPath: "model",
                      saying: "above the 1073741824 a frame may hold")
        // 67 million parameters: 16 bytes each when deterministic (refused), 4 in a float job (accepted).
        expectRefused(job(model: "{ type: mlp, hidden: [8192, 8192] }"), line: 7, keyPath: "model",
                      saying: "or deterministic: false")
        #expect(throws: Never.self) {
            let job = try JobFile.parse(
                text: job(model: "{ type: mlp, hidden: [8192, 8192] }", extra: "epochs: 1\ndeterministic: false"),
                source: "job.yaml", workingDirectory: directory.path, settings: Settings())
            _ = try JobKindRegistry.standard.plan(job)
        }
        expectRefused(job(optimizer: "{ type: rmsprop, lr: 0.1 }"), line: 8, keyPath: "optimizer.type", saying: "expected sgd, adam or adamw")
        expectRefused(job(optimizer: "{ type: adam }"), line: 8, keyPath: "optimizer.lr", saying: "the learning rate")
        expectRefused(job(optimizer: "{ type: adam, lr: 0.1, momentum: 0.9 }"), line: 8, keyPath: "optimizer.momentum", saying: "belongs to sgd")
        expectRefused(job(optimizer: "{ type: sgd, lr: 0.1, nesterov: true }"), line: 8, keyPath: "optimizer.nesterov", saying: "needs a momentum")
        // 0.99999999 is 1 in Float, the optimizer's arithmetic: refused, not a divergence at step 1.
        expectRefused(job(optimizer: "{ type: adam, lr: 0.1, beta2: 0.99999999 }"), line: 8, keyPath: "optimizer.beta2", saying: "must be between")
        expectRefused(job(optimizer: "{ type: sgd, lr: 0.1, schedule: step }"), line: 8, keyPath: "optimizer.schedule", saying: "every_steps")
        expectRefused(job(extra: "epochs: 1\nmicro_batch_size: 128"), line: 12, keyPath: "micro_batch_size", saying: "does not fit a batch of 64")
        expectRefused(job(extra: "epoch: 1"), line: 11, keyPath: "epoch", saying: "did you mean 'epochs'?")
    }
}
