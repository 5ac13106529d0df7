import Foundation
import ShoalETL
import Testing
@testable import ShoalTraining

/// A step's task is written to JSON by hand (`TrainTask.stepJSON`): what `Codable` reads back must be the task,
/// whatever its shard paths hold (the specs `TrainingSessionTests` run carry it end to end).
@Suite struct TrainTaskJSONTests {
    @Test(arguments: [
        "/data/clicks-train.csv",
        "/data/a \"quoted\" name\\with\\backslashes.csv",
        "/data/tab\there/new\nline/bell\u{7}/nul\u{0}/ünïcødé 🚀/slash/",
    ])
    func aStepsHandWrittenJSONDecodesToTheTask(path: String) throws {
        let task = TrainTask.step(step: 41, parts: [
            StepPart(
                shard: InputShard(index: 3, path: path, start: 1_024, end: 1 << 40, firstLine: 77, aligned: true),
                microBatches: [
                    MicroBatchPlan.MicroBatch(id: 9, shard: 3, start: 0, end: 256),
                    MicroBatchPlan.MicroBatch(id: 12, shard: 3, start: 768, end: 1_000),
                ]),
            StepPart(shard: InputShard(index: 0, path: "/x", start: 0, end: 10, firstLine: 1), microBatches: []),
        ])
        let json = try #require(task.stepJSON())
        #expect(try JSONDecoder().decode(TrainTask.self, from: Data(json)) == task)
    }

    @Test func otherTasksAreLeftToTheEncoder() {
        let shard = InputShard(index: 0, path: "/x", start: 0, end: 10, firstLine: 1)
        #expect(TrainTask.statistics(shard: shard).stepJSON() == nil)
        #expect(TrainTask.evaluate(epoch: 2, shard: shard).stepJSON() == nil)
        #expect(TrainTask.step(step: 0, parts: []).stepJSON().map { String(decoding: $0, as: UTF8.self) }
            == #"{"step":{"step":0,"parts":[]}}"#)
    }
}
