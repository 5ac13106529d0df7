import Foundation
import ShoalETL
import ShoalTestSupport
import Testing
@testable import ShoalTraining

/// A predict job's end, run a second time (a coordinator that died before recording the job's success finishes it
/// again after a restart, when the parts are gone): the same output and summary, not a failure.
@Suite struct PredictFinishTests {
    @Test func finishingAgainReturnsTheSameSummaryAndLeavesTheOutput() throws {
        let directory = try TemporaryDirectory()
        let numeric: [FeatureEncoding.Entry] = (0..<16).map { FeatureEncoding.Entry(column: "f\($0)", transform: .identity) }
        let device = FeatureEncoding.Entry(column: "device", transform: .oneHot(categories: ClickGenerator.devices.sorted()))
        let encoding = FeatureEncoding(entries: numeric + [device], label: "clicked")
        let network = Network(spec: ModelSpec(head: .logistic), inputs: encoding.width)
        let parameters = (0..<network.parameterCount).map { Float($0 % 5) / 10 - 0.2 }
        let model = directory.path("model.shoal")
        try Data(try ModelFile(network: network, encoding: encoding, parameters: parameters, training: [:]).encoded())
            .write(to: URL(fileURLWithPath: model))
        let data = directory.path("clicks.csv")
        _ = try ClickGenerator(seed: 5).write(rows: 3_000, toFile: data)
        let input = InputSpec(format: .csv, paths: [data], shardBytes: 128 << 10)
        let job = PredictJob(
            name: "score", model: model, input: input, schema: ClickGenerator.schema.fields, keep: ["event_id"],
            output: directory.path("out.csv"))
        let shards = try ETLInputPlanning.shards(of: input)
        #expect(shards.count > 1)
        func runTasks() throws {
            for shard in shards {
                let part = job.partsDirectory + String(format: "/shard-%05d", shard.index)
                try FileManager.default.createDirectory(atPath: part, withIntermediateDirectories: true)
                for file in try PredictTask(job: job, shard: shard).run() {
                    try Data(file.bytes).write(to: URL(fileURLWithPath: part + "/" + file.name))
                }
            }
        }
        try runTasks()
        let summary = try job.finish(jobID: 7, shardCount: shards.count, wallSeconds: 1)
        let written = try #require(FileManager.default.contents(atPath: job.output))
        #expect(summary.contains("predicted 3000 rows"), "\(summary)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: job.partsDirectory) == [PredictJob.finishedMarker])
        // The restart's finish: parts gone (one task ran again meanwhile), same job.
        let again = job.partsDirectory + "/shard-00000"
        try FileManager.default.createDirectory(atPath: again, withIntermediateDirectories: true)
        #expect(try job.finish(jobID: 7, shardCount: shards.count, wallSeconds: 2) == summary)
        #expect(FileManager.default.contents(atPath: job.output) == written)
        #expect(!FileManager.default.fileExists(atPath: again), "the part made again is removed too")
        // Another job over the same directory is not taken for finished: it needs its own parts.
        #expect(throws: TrainingDataError.self) { try job.finish(jobID: 8, shardCount: shards.count, wallSeconds: 1) }
    }
}

@Suite struct ModelFileConsistencyTests {
    /// A model file whose header disagrees with itself is refused, naming the file — not read out of bounds.
    @Test func aHeaderThatDisagreesWithItselfIsRefused() throws {
        let encoding = FeatureEncoding(
            entries: (0..<3).map { FeatureEncoding.Entry(column: "x\($0)", transform: .identity) }, label: "y")
        let network = Network(spec: ModelSpec(head: .logistic), inputs: encoding.width)
        let good = ModelFile(network: network, encoding: encoding, parameters: [Float](repeating: 0.5, count: network.parameterCount), training: [:])
        #expect(try ModelFile.decode(try good.encoded(), path: "m.shoal").parameters.count == network.parameterCount)
        var wider = good
        wider.header.inputs = 7  // the encoding still makes 3
        #expect { _ = try ModelFile.decode(try wider.encoded(), path: "m.shoal") } throws: {
            "\($0)".contains("m.shoal: the model's encoding makes 3 inputs, its header says 7")
        }
        var counted = good
        counted.header.parameterCount = network.parameterCount - 1
        counted.parameters.removeLast()
        #expect { _ = try ModelFile.decode(try counted.encoded(), path: "m.shoal") } throws: {
            "\($0)".contains("has \(network.parameterCount) parameters, the file \(network.parameterCount - 1)")
        }
    }
}
