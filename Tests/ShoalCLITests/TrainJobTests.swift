import Foundation
import ShoalClient
import ShoalCore
import ShoalETL
import ShoalTestSupport
import ShoalProtocol
import ShoalTraining
import Testing

/// Training on real processes: the model's weights are the same bits on 1, 2 and 4 workers, after a worker is
/// killed mid-training and after the coordinator is killed and restarted — and the same as the in-process
/// reference trainer computes from the same files.
@Suite(.serialized) struct TrainJobTests {
    static let trainRows = 40_000
    static let config = TrainingConfig(
        model: ModelSpec(head: .logistic), optimizer: OptimizerSpec(kind: .adam, learningRate: 0.01),
        batchSize: 1024, microBatchSize: 128, epochs: 2, seed: 42)

    static func job(output: String, extra: String = "") -> String {
        """
        kind: train
        name: ctr-logreg
        data:
          train: { format: csv, paths: ["data/clicks-train.csv"], shard_size: 1MiB }
          validation: { format: csv, paths: ["data/clicks-test.csv"] }
          features: [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, { one_hot: device }]
          label: clicked
        model: { type: logistic }
        optimizer: { type: adam, lr: 0.01 }
        batch_size: 1024
        micro_batch_size: 128
        epochs: 2
        seed: 42
        checkpoint: { every_steps: 7 }
        output: \(output)
        \(extra)
        """
    }

    /// The training and test files, made with the CLI as a user would.
    static func generate(in directory: TemporaryDirectory) async throws {
        try FileManager.default.createDirectory(atPath: directory.path("data"), withIntermediateDirectories: true)
        for (name, rows, seed) in [("train", trainRows, 11), ("test", 10_000, 12)] {
            let child = try ChildProcess(
                try BuiltProducts.shoal,
                ["datagen", "clicks", "--rows", "\(rows)", "--seed", "\(seed)", "--out", directory.path("data/clicks-\(name).csv")],
                in: directory, name: "datagen")
            #expect(await child.waitForExit(timeout: .seconds(60)) == 0, "datagen failed: \(child.stderr)")
        }
    }

    /// The parameters the in-process reference trainer reaches on the same files and shards.
    static func reference(in directory: TemporaryDirectory) throws -> [Float] {
        let input = InputSpec(format: .csv, paths: [directory.path("data/clicks-train.csv")], shardBytes: 1 << 20)
        let features: [FeatureSpec] = (0..<16).map { .numeric("f\($0)") } + [.oneHot("device")]
        let data = DataSpec(
            train: input, validation: nil, features: features, label: "clicked", schema: ClickGenerator.schema.fields)
        let reader = DatasetReader(data: data, model: config.model)
        let shards = try ETLInputPlanning.shards(of: input)
        var statistics = ShardStatistics()
        for shard in shards { statistics.merge(try reader.statistics(of: shard)) }
        let encoding = statistics.encoding(features: features, label: "clicked")
        let loaded = try shards.map { try reader.load($0, input: input, encoding: encoding) }
        let network = Network(spec: config.model, inputs: encoding.width)
        let plan = MicroBatchPlan(
            shardRows: loaded.map(\.rows), microBatchSize: config.microBatchSize, batchSize: config.batchSize,
            epochs: config.epochs, seed: config.seed)
        var state = TrainingState(network: network, config: config)
        _ = try LocalTrainer(network: network, config: config, plan: plan).run(&state, shards: loaded)
        return state.parameters
    }

    /// The trained model's parameters, after checking the job's other outputs.
    static func model(_ cluster: ClusterFixture, output: String, steps: Int) throws -> [Float] {
        let path = cluster.directory.path(output + "/model.shoal")
        let bytes = try #require(FileManager.default.contents(atPath: path))
        let model = try ModelFile.decode(Array(bytes), path: path)
        #expect(model.header.inputNames.suffix(3) == ["device=desktop", "device=mobile", "device=tablet"])
        let history = try String(contentsOfFile: cluster.directory.path(output + "/metrics.csv"), encoding: .utf8)
        #expect(history.split(separator: "\n").count == steps + 1, "one line per step after the header")
        let validation = try String(contentsOfFile: cluster.directory.path(output + "/validation.csv"), encoding: .utf8)
        #expect(validation.split(separator: "\n").count == 3, "one line per epoch")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: cluster.directory.path(output))
            .filter { $0.hasPrefix("_stage-") || $0.hasPrefix("shard-") }
        #expect(leftovers.isEmpty, "stage directories are removed at the end: \(leftovers)")
        return model.parameters
    }

    @Test func weightsAreBitIdenticalOnOneTwoAndFourWorkersAndAfterCrashes() async throws {
        let cluster = try ClusterFixture()
        try await Self.generate(in: cluster.directory)
        let reference = try Self.reference(in: cluster.directory)
        // 40,000 rows in micro-batches of 128: 313 micro-batches, 8 per step: 40 steps per epoch.
        let steps = 80
        try await cluster.startCoordinator()
        var workers = [try await cluster.startWorker("w0", slots: 1)]

        var results: [String: [Float]] = [:]
        for (count, output) in [(1, "out/one"), (2, "out/two"), (4, "out/four")] {
            while workers.count < count { workers.append(try await cluster.startWorker("w\(workers.count)", slots: 1)) }
            let job = try await cluster.submit(Self.job(output: output), name: "\(count).yaml")
            let end = try await cluster.waitForEnd(of: job, timeout: .seconds(240))
            #expect(end.record.state == .succeeded, "\(end)")
            #expect(end.record.summary?.contains("trained logistic on 19 inputs") == true, "\(end.record.summary ?? "")")
            results[output] = try Self.model(cluster, output: output, steps: steps)
        }
        #expect(results["out/one"]!.map(\.bitPattern) == reference.map(\.bitPattern), "the cluster matches the reference")
        #expect(results["out/two"]!.map(\.bitPattern) == reference.map(\.bitPattern))
        #expect(results["out/four"]!.map(\.bitPattern) == reference.map(\.bitPattern))

        // `shoal predict` with the model: one line per test row, as accurate as the job's last validation.
        let predict = try ChildProcess(
            try BuiltProducts.shoal,
            ["predict", cluster.directory.path("out/one/model.shoal"), cluster.directory.path("data/clicks-test.csv"),
             "--out", cluster.directory.path("predictions.csv"), "--keep", "event_id", "clicked"],
            in: cluster.directory, name: "predict")
        #expect(await predict.waitForExit(timeout: .seconds(60)) == 0, "\(predict.stderr)")
        #expect(predict.stdout.contains("predicted 10000 rows with logistic"), "\(predict.stdout)")
        let predictions = try String(contentsOfFile: cluster.directory.path("predictions.csv"), encoding: .utf8)
            .split(separator: "\n")
        #expect(predictions.first == "event_id,clicked,prediction,probability")
        let right = predictions.dropFirst().filter { line in
            let f = line.split(separator: ","); return f[1] == f[2]
        }.count
        let validation = try String(contentsOfFile: cluster.directory.path("out/one/validation.csv"), encoding: .utf8)
        let lastAccuracy = try #require(Double(validation.split(separator: "\n").last!.split(separator: ",")[4]))
        #expect(predictions.count == 10_001)
        #expect(abs(Double(right) / 10_000 - lastAccuracy) < 1e-3, "predict's accuracy vs the job's validation")

        // A worker killed mid-training: its tasks go to the others, which load its shards; nothing changes.
        let killed = try await cluster.submit(Self.job(output: "out/worker-killed"), name: "killed.yaml")
        try await cluster.waitFor("step 10", job: killed) { ($0.jobs.first?.record.stage ?? 0) >= 10 }
        workers[3].signal(SIGKILL)
        let afterKill = try await cluster.waitForEnd(of: killed, timeout: .seconds(240))
        #expect(afterKill.record.state == .succeeded, "\(afterKill)")
        // Declared dead at the heartbeat timeout if it held an attempt; found gone when a TASK to it could not be
        // sent if it held none (its tasks then went to the others at once).
        let coordinatorLog = cluster.coordinator?.stderr ?? ""
        #expect(coordinatorLog.contains("worker left") || coordinatorLog.contains("worker unreachable"),
                "the coordinator saw the worker die")
        #expect(try Self.model(cluster, output: "out/worker-killed", steps: steps).map(\.bitPattern) == reference.map(\.bitPattern))

        // The coordinator killed mid-training and restarted on its state: it restores the newest checkpoint,
        // replays the steps since, and carries on to the same bits.
        let restarted = try await cluster.submit(Self.job(output: "out/coordinator-killed"), name: "restarted.yaml")
        // While it runs, its status says where it stands: the step, the last step's loss and costs.
        try await cluster.waitFor("step 30", job: restarted) { status in
            guard let record = status.jobs.first?.record, record.stage >= 30 else { return false }
            let summary = record.summary ?? ""
            return summary.contains("of 80 done (epoch") && summary.contains("last step: loss")
                && summary.contains("busbw") && summary.contains("validation after epoch 1")
        }
        cluster.coordinator?.signal(SIGKILL)
        #expect(await cluster.coordinator?.waitForExit(timeout: .seconds(60)) != nil)
        try await cluster.startCoordinator(reuseEndpoints: true)
        let resumed = try await cluster.waitForEnd(of: restarted, timeout: .seconds(240))
        #expect(resumed.record.state == .succeeded, "\(resumed)")
        #expect(cluster.coordinator?.stderr.contains("resumed job") == true, "the job was unfinished when the coordinator died")
        #expect(resumed.record.summary?.contains("earlier run's checkpoint") == false,
                "the same job went on; it took up no earlier run's checkpoint: \(resumed.record.summary ?? "")")
        #expect(try Self.model(cluster, output: "out/coordinator-killed", steps: steps).map(\.bitPattern) == reference.map(\.bitPattern))

        // A coordinator that lost its state (a new `shoal run`, another state directory): the same job file
        // submitted again takes up the unfinished run's newest checkpoint and ends with the same bits.
        let lost = try await cluster.submit(Self.job(output: "out/resubmitted"), name: "resubmitted.yaml")
        try await cluster.waitFor("step 30", job: lost) { ($0.jobs.first?.record.stage ?? 0) >= 30 }
        cluster.coordinator?.signal(SIGKILL)
        #expect(await cluster.coordinator?.waitForExit(timeout: .seconds(60)) != nil)
        try await cluster.startCoordinator(reuseEndpoints: true, stateDirectory: cluster.directory.path("state-2"))
        let again = try await cluster.submit(Self.job(output: "out/resubmitted"), name: "resubmitted.yaml")
        let resumedRun = try await cluster.waitForEnd(of: again, timeout: .seconds(240))
        #expect(resumedRun.record.state == .succeeded, "\(resumedRun)")
        // The newest checkpoint before the kill: step 28 or a later multiple of 7, never the start.
        let summary = resumedRun.record.summary ?? ""
        let resumedStep = summary.components(separatedBy: "resumed from an earlier run's checkpoint after step ").dropFirst()
            .first.flatMap { Int($0.prefix { $0.isNumber }) }
        #expect(resumedStep.map { $0 >= 28 && $0 % 7 == 0 } == true, "\(summary)")
        #expect(try Self.model(cluster, output: "out/resubmitted", steps: steps).map(\.bitPattern) == reference.map(\.bitPattern))
        // With --restart the same file starts over: no checkpoint is taken up.
        let client = try await cluster.client()
        let text = Self.job(output: "out/resubmitted")
        let fresh = try await client.submit(
            jobFile: text, source: cluster.directory.path("resubmitted.yaml"), workingDirectory: cluster.directory.path,
            restart: true)
        await client.close()
        let freshRun = try await cluster.waitForEnd(of: fresh.jobID, timeout: .seconds(240))
        #expect(freshRun.record.state == .succeeded && freshRun.record.summary?.contains("resumed") == false)
        #expect(try Self.model(cluster, output: "out/resubmitted", steps: steps).map(\.bitPattern) == reference.map(\.bitPattern))

        // A worker that joins mid-training gets shards from the next steps on (the steps' tasks are one per
        // worker); with backup copies of running tasks on idle workers, nothing changes either.
        let joined = try await cluster.submit(
            Self.job(output: "out/joined", extra: "aggregation: { backup_workers: 1 }"), name: "joined.yaml")
        try await cluster.waitFor("step 10", job: joined) { ($0.jobs.first?.record.stage ?? 0) >= 10 }
        let joiner = try await cluster.startWorker("w4", slots: 1)
        workers.append(joiner)
        let afterJoin = try await cluster.waitForEnd(of: joined, timeout: .seconds(240))
        #expect(afterJoin.record.state == .succeeded, "\(afterJoin)")
        #expect(try Self.model(cluster, output: "out/joined", steps: steps).map(\.bitPattern) == reference.map(\.bitPattern))
        let perStep = try String(contentsOfFile: cluster.directory.path("out/joined/metrics.csv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().compactMap { Int($0.split(separator: ",")[7]) }
        // Three workers computed the first steps (stage 10 is step 9). The joined worker was given step tasks
        // (and training tasks are all it can have been given). Whether its gradients are the ones committed is a
        // race with the backup copies (`backup_workers: 1`): on a loaded machine the workers that already hold
        // the shards can win every time, which is what backups are for.
        #expect(perStep.prefix(9).allSatisfy { $0 <= 3 }, "workers per step: \(perStep)")
        #expect(joiner.stderr.contains("attempt started") && joiner.stderr.contains("kind=train"),
                "the joined worker was given no step: \(joiner.stderr.suffix(2_000))")
    }
}

/// `shoal run` of a pipeline: the ETL job, then training on what it wrote, on one embedded cluster.
@Suite struct PipelineRunTests {
    @Test func anETLJobThenTrainingOnItsOutput() async throws {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.path("data/ctr"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: directory.path("jobs"), withIntermediateDirectories: true)
        for (path, rows, seed, bad) in [("data/clicks-0.csv", 30_000, 7, "0.001"), ("data/ctr/test.csv", 5_000, 12, "0")] {
            let child = try ChildProcess(
                try BuiltProducts.shoal,
                ["datagen", "clicks", "--rows", "\(rows)", "--seed", "\(seed)", "--bad-rate", bad, "--out", directory.path(path)],
                in: directory, name: "datagen")
            #expect(await child.waitForExit(timeout: .seconds(60)) == 0)
        }
        // The shipped pipeline and its two jobs, one epoch instead of three.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        for name in ["clicks-pipeline.yaml", "clicks-features.yaml", "ctr-train-features.yaml"] {
            var text = try String(contentsOfFile: root + "/cluster/jobs/" + name, encoding: .utf8)
            text = text.replacingOccurrences(of: "epochs: 3", with: "epochs: 1")
            try text.write(toFile: directory.path("jobs/" + name), atomically: true, encoding: .utf8)
        }
        let run = try ChildProcess(
            try BuiltProducts.shoal, ["run", directory.path("jobs/clicks-pipeline.yaml"), "--workers", "2", "--slots", "1"],
            in: directory, currentDirectory: directory.path, name: "run")
        #expect(await run.waitForExit(timeout: .seconds(240)) == 0, "\(run.stderr.suffix(2_000))")
        #expect(run.stderr.contains("pipeline clicks-etl-then-train: clicks-features.yaml → ctr-train-features.yaml"))
        let output = run.stdout + run.stderr
        #expect(output.contains("clicks-features succeeded") && output.contains("ctr-logreg-on-features succeeded"),
                "\(output.suffix(2_000))")
        // The ETL job quarantined the malformed rows; training read only its output.
        let quarantine = try String(contentsOfFile: directory.path("out/clicks-features/_quarantine.jsonl"), encoding: .utf8)
        #expect(!quarantine.isEmpty)
        #expect(FileManager.default.fileExists(atPath: directory.path("out/ctr-model-features/model.shoal")))
        #expect(output.contains("trained logistic on 19 inputs"))

        // A pipeline naming a job file that is not there stops before starting anything, with the line.
        try "kind: pipeline\nname: p\njobs: [clicks-features.yaml, nothing.yaml]\n"
            .write(toFile: directory.path("jobs/broken.yaml"), atomically: true, encoding: .utf8)
        let broken = try ChildProcess(
            try BuiltProducts.shoal, ["run", directory.path("jobs/broken.yaml"), "--workers", "1"],
            in: directory, currentDirectory: directory.path, name: "broken")
        #expect(await broken.waitForExit(timeout: .seconds(60)) == 1)
        #expect(broken.stderr.contains("broken.yaml:3:") && broken.stderr.contains("no job file"), "\(broken.stderr)")
    }
}

/// `shoal predict --workers N`: a `predict` job, one task per shard, the parts joined in order.
@Suite struct ClusterPredictTests {
    @Test func shardedPredictionsEqualTheLocalOnes() async throws {
        let directory = try TemporaryDirectory()
        // A logistic model over the clicks features with made-up weights, as a model file.
        let numeric: [FeatureEncoding.Entry] = (0..<16).map { FeatureEncoding.Entry(column: "f\($0)", transform: .identity) }
        let device = FeatureEncoding.Entry(column: "device", transform: .oneHot(categories: ClickGenerator.devices.sorted()))
        let encoding = FeatureEncoding(entries: numeric + [device], label: "clicked")
        let network = Network(spec: ModelSpec(head: .logistic), inputs: encoding.width)
        let parameters = (0..<network.parameterCount).map { Float($0 % 7) / 10 - 0.3 }
        let model = ModelFile(network: network, encoding: encoding, parameters: parameters, training: [:])
        try Data(try model.encoded()).write(to: URL(fileURLWithPath: directory.path("model.shoal")))
        let data = directory.path("clicks.csv")
        _ = try ClickGenerator(seed: 3, badRate: 0.001).write(rows: 60_000, toFile: data)

        let local = try ChildProcess(
            try BuiltProducts.shoal,
            ["predict", directory.path("model.shoal"), data, "--out", directory.path("local.csv"), "--keep", "event_id",
             "--skip-bad-rows"],
            in: directory, name: "local")
        #expect(await local.waitForExit(timeout: .seconds(60)) == 0, "\(local.stderr)")
        // Shards of about 2 MB: several tasks on two workers.
        let job = """
            kind: predict
            name: score
            model: model.shoal
            input: { paths: ["clicks.csv"], on_bad_row: skip, shard_size: 2MiB }
            keep: [event_id]
            output: sharded.csv
            """
        try job.write(toFile: directory.path("predict.yaml"), atomically: true, encoding: .utf8)
        let run = try ChildProcess(
            try BuiltProducts.shoal, ["run", directory.path("predict.yaml"), "--workers", "2", "--slots", "1"],
            in: directory, currentDirectory: directory.path, name: "run")
        #expect(await run.waitForExit(timeout: .seconds(120)) == 0, "\(run.stderr.suffix(2_000))")
        let output = run.stdout + run.stderr
        // The same rows and bad rows as the local run reported.
        func counts(_ text: String) -> [Substring] {
            guard let range = text.range(of: #"predicted \d+ rows with logistic into .*?; \d+ bad rows skipped"#, options: .regularExpression)
            else { return [] }
            return text[range].split(separator: " ").filter { $0.allSatisfy(\.isNumber) }
        }
        #expect(counts(local.stdout).count == 2 && counts(output) == counts(local.stdout), "\(local.stdout) vs \(output.suffix(1_000))")
        let sharded = try #require(FileManager.default.contents(atPath: directory.path("sharded.csv")))
        let single = try #require(FileManager.default.contents(atPath: directory.path("local.csv")))
        #expect(sharded == single, "the sharded job's file is the local one, byte for byte")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path(".sharded.csv.parts"))
        #expect(leftovers.sorted() == ["_SUCCESS", "_finished.json"], "\(leftovers)")
    }
}

/// Bad input and diverging training stop a job with a message that names the place, never garbage weights.
@Suite struct TrainFailureTests {
    @Test func aLabelThatDoesNotFitAndADivergingJobFailWithTheirReasons() async throws {
        let cluster = try ClusterFixture()
        try FileManager.default.createDirectory(atPath: cluster.directory.path("data"), withIntermediateDirectories: true)
        // Labels 0, 1 and 2 in a file a logistic model is asked to fit; line 5 holds the first 2.
        var text = "x,y\n"
        for i in 0..<400 { text += "\(Double(i % 17) / 17),\(i == 3 ? 2 : i % 2)\n" }
        try text.write(toFile: cluster.directory.path("data/three.csv"), atomically: true, encoding: .utf8)
        try await cluster.startCoordinator()
        _ = try await cluster.startWorker("w0", slots: 1)
        func job(_ name: String, model: String, lr: String) -> String {
            """
            kind: train
            name: \(name)
            max_attempts: 1
            data: { train: { paths: ["data/three.csv"] }, features: [x], label: y }
            model: \(model)
            optimizer: { type: sgd, lr: \(lr) }
            batch_size: 64
            epochs: 2
            output: out/\(name)
            """
        }
        let label = try await cluster.submit(job("labels", model: "{ type: logistic }", lr: "0.1"), name: "labels.yaml")
        let labelEnd = try await cluster.waitForEnd(of: label)
        #expect(labelEnd.record.state == .failed)
        #expect(labelEnd.record.error?.contains("three.csv:5: label \"y\" is 2; a logistic model takes labels 0 and 1") == true,
                "\(labelEnd.record.error ?? "")")

        // A linear model on these labels with an absurd learning rate: the loss explodes within a few steps.
        let diverging = try await cluster.submit(job("diverging", model: "{ type: linear }", lr: "1000000"), name: "diverging.yaml")
        let divergedEnd = try await cluster.waitForEnd(of: diverging)
        #expect(divergedEnd.record.state == .failed)
        let error = divergedEnd.record.error ?? ""
        #expect(error.contains("diverged") && error.contains("learning rate"), "\(error)")
        #expect(!FileManager.default.fileExists(atPath: cluster.directory.path("out/diverging/model.shoal")),
                "no model is written from diverged weights")
    }
}

/// `deterministic: false`: Float partial sums instead of fixed point, on real processes.
@Suite struct FloatGradientJobTests {
    @Test func aFloatGradientJobTrainsOnTwoWorkers() async throws {
        let cluster = try ClusterFixture()
        try await TrainJobTests.generate(in: cluster.directory)
        try await cluster.startCoordinator()
        for name in ["w0", "w1"] { _ = try await cluster.startWorker(name, slots: 1) }
        let yaml = TrainJobTests.job(output: "out/float").replacingOccurrences(of: "seed: 42", with: "seed: 42\ndeterministic: false")
        let job = try await cluster.submit(yaml, name: "float.yaml")
        let end = try await cluster.waitForEnd(of: job, timeout: .seconds(240))
        #expect(end.record.state == .succeeded, "\(end)")
        let validation = try String(contentsOfFile: cluster.directory.path("out/float/validation.csv"), encoding: .utf8)
        let accuracy = try #require(Double(validation.split(separator: "\n").last!.split(separator: ",")[4]))
        #expect(accuracy > 0.8, "validation accuracy \(accuracy) (about 0.53 for always guessing 0)")
        // Float gradients are a quarter the bytes of fixed point: 4 per parameter, 20 parameters, 2 tasks.
        let history = try String(contentsOfFile: cluster.directory.path("out/float/metrics.csv"), encoding: .utf8)
        let bytes = history.split(separator: "\n").dropFirst().compactMap { Int($0.split(separator: ",")[8]) }
        #expect(bytes.contains { $0 == 2 * (80 + 80) }, "bytes per step: \(Set(bytes))")
    }

    /// An mlp of ~69,000 parameters: its parameters (270 KiB) and fixed-point gradients (1.1 MiB) are above the
    /// shared-memory threshold. Workers on this host take them through shared memory — also when a worker is killed
    /// mid-job and when the coordinator is, and restarted — and workers told not to, through the socket: the weights
    /// are the same bits every time, and no segment is left behind once the processes are gone (the dead ones'
    /// swept by the next coordinator).
    @Test func sharedMemoryAndTheSocketGiveTheSameBitsAlsoThroughCrashes() async throws {
        guard SharedMemorySegment.isAvailable else { return }
        let cluster = try ClusterFixture()
        try FileManager.default.createDirectory(atPath: cluster.directory.path("data"), withIntermediateDirectories: true)
        let datagen = try ChildProcess(
            try BuiltProducts.shoal,
            ["datagen", "clicks", "--rows", "1024", "--seed", "5", "--out", cluster.directory.path("data/small.csv")],
            in: cluster.directory, name: "datagen")
        #expect(await datagen.waitForExit(timeout: .seconds(60)) == 0, "datagen failed: \(datagen.stderr)")
        // 1,024 rows in batches of 256: 4 steps an epoch, 12 in all.
        let yaml = { (output: String) in
            """
            kind: train
            name: mlp-shm
            data:
              train: { format: csv, paths: ["data/small.csv"], shard_size: 32KiB }
              features: [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, { one_hot: device }]
              label: clicked
            model: { type: mlp, hidden: [64, 1024], activation: relu }
            optimizer: { type: adam, lr: 0.01 }
            batch_size: 256
            micro_batch_size: 128
            epochs: 3
            seed: 3
            checkpoint: { every_steps: 2 }
            output: \(output)
            """
        }
        func weights(_ output: String) throws -> [Float] {
            let path = cluster.directory.path(output + "/model.shoal")
            return try ModelFile.decode(Array(try #require(FileManager.default.contents(atPath: path))), path: path).parameters
        }
        func stage(_ job: JobID, atLeast stage: Int) async throws {
            try await cluster.waitFor("stage \(stage)", job: job, timeout: .seconds(120)) { ($0.jobs.first?.record.stage ?? 0) >= stage }
        }
        try await cluster.startCoordinator()
        var pids = [try #require(cluster.coordinator?.pid)]
        for name in ["s0", "s1"] { pids.append(try await cluster.startWorker(name, slots: 1).pid) }
        // The probe worked both ways: `shoal workers` says so.
        try await cluster.waitFor("workers that share memory") { status in
            status.workers.count == 2 && status.workers.allSatisfy { $0.sharedMemory == true }
        }
        let clean = try await cluster.submit(yaml("out/shm"), name: "shm.yaml")
        #expect(try await cluster.waitForEnd(of: clean, timeout: .seconds(240)).record.state == .succeeded)
        let coordinatorSegments = SharedMemorySegment.prefix(ofProcess: UInt32(pids[0]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: SharedMemorySegment.directory)
            .allSatisfy { !$0.hasPrefix(coordinatorSegments) }, "a coordinator without jobs holds no shared memory")

        // A worker killed mid-step (its output room is never lent again), another joining; then the coordinator
        // killed and restarted on its state (its segments swept, the steps since the checkpoint made again).
        let crashes = try await cluster.submit(yaml("out/shm-crashes"), name: "crashes.yaml")
        try await stage(crashes, atLeast: 3)
        cluster.workers["s1"]?.signal(SIGKILL)
        pids.append(try await cluster.startWorker("s2", slots: 1, waitForRegistration: false).pid)
        try await stage(crashes, atLeast: 7)
        cluster.coordinator?.signal(SIGKILL)
        #expect(await cluster.coordinator?.waitForExit(timeout: .seconds(60)) != nil)
        try await cluster.startCoordinator(reuseEndpoints: true)
        pids.append(try #require(cluster.coordinator?.pid))
        let afterCrashes = try await cluster.waitForEnd(of: crashes, timeout: .seconds(240))
        #expect(afterCrashes.record.state == .succeeded, "\(afterCrashes)")
        for name in ["s0", "s2"] {
            cluster.workers[name]?.signal(SIGTERM)
            #expect(await cluster.workers[name]?.waitForExit(timeout: .seconds(30)) != nil)
        }

        for name in ["p0", "p1"] {
            pids.append(try await cluster.startWorker(name, slots: 1, extra: ["--no-shared-memory"]).pid)
        }
        try await cluster.waitFor("workers through the socket") { status in
            Set(status.workers.map(\.id)) == ["p0", "p1"] && status.workers.allSatisfy { $0.sharedMemory == nil }
        }
        let viaSocket = try await cluster.submit(yaml("out/socket"), name: "socket.yaml")
        #expect(try await cluster.waitForEnd(of: viaSocket, timeout: .seconds(240)).record.state == .succeeded)

        let a = try weights("out/shm"), b = try weights("out/shm-crashes"), c = try weights("out/socket")
        #expect(a.count > 65_536)
        #expect(a.map(\.bitPattern) == b.map(\.bitPattern), "crashes change nothing in the weights")
        #expect(a.map(\.bitPattern) == c.map(\.bitPattern), "shared memory changes nothing in the weights")

        cluster.coordinator?.signal(SIGTERM)
        #expect(await cluster.coordinator?.waitForExit(timeout: .seconds(30)) != nil)
        for worker in cluster.workers.values {
            worker.signal(SIGTERM)
            _ = await worker.waitForExit(timeout: .seconds(30))
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: SharedMemorySegment.directory).filter { name in
            pids.contains { name.hasPrefix(SharedMemorySegment.prefix(ofProcess: UInt32($0))) }
        }
        #expect(left.isEmpty, "segments left behind: \(left)")
    }
}
