import Foundation
import ShoalCore
import ShoalETL
import ShoalTestSupport
import Testing

/// `standardize` and `min_max`: a statistics pass (stage 0), its shards' statistics merged in shard order into
/// the main pass (stage 1) — driven here in-process, task by task, as the coordinator and workers would.
extension ETLJobPlannerTests {
    /// The fixture's rows as the test reads them: price, dwell_ms (nil when empty).
    func fixtureRows() throws -> [(event: Int, price: Double, dwell: Double?)] {
        let text = try String(contentsOfFile: directory.path("data/clicks-0.csv"), encoding: .utf8)
        return text.split(separator: "\n").dropFirst().map { line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            return (Int(fields[0])!, Double(fields[4])!, Double(fields[5]))
        }
    }

    /// Runs every task of `tasks` and commits its files under `directory/shard-NNNNN/`, as the coordinator does.
    func runAndCommit(_ tasks: [PlannedTask], into directory: String) throws {
        for task in tasks {
            let result = try ShardRunner(spec: ETLTaskSpec.decode(task.spec)).run()
            let shard = directory + String(format: "/shard-%05d", task.index)
            try FileManager.default.createDirectory(atPath: shard, withIntermediateDirectories: true)
            for file in result.files { try Data(file.bytes).write(to: URL(fileURLWithPath: shard + "/" + file.name)) }
        }
    }

    @Test func standardizeAndMinMaxUseStatisticsOfTheWholeInputFromAFirstPass() throws {
        let yaml = job(
            steps: """
                  - filter: "price > 1.0"
                  - standardize: [price]
                  - min_max: dwell_ms
                """,
            input: "{ paths: [\"data/*.csv\"], shard_size: 8KiB, schema: { dwell_ms: float } }")
        let (_, plan) = try plan(yaml, workingDirectory: directory.path)
        #expect(plan.moreStages)
        #expect(plan.tasks.count > 3, "several shards, so the statistics merge across shards")
        #expect(try plan.tasks.allSatisfy { try ETLTaskSpec.decode($0.spec).scaling == .collect })

        let output = try #require(plan.outputDirectory)
        var record = JobRecord(
            id: 7, name: "j", kind: "etl", priority: 0, maxAttempts: 3, timeoutMs: nil, hangTimeoutMs: 60_000,
            speculation: false, source: "job.yaml", workingDirectory: directory.path, specHash: "h",
            outputDirectory: output, taskCount: plan.tasks.count, finishSpec: plan.finish, moreStages: true)
        try runAndCommit(plan.tasks, into: try #require(record.commitDirectory(stage: 0)))
        let next = try ETLJobPlanner().nextStage(after: 0, spec: plan.finish!, job: record)
        #expect(!next.moreStages)
        #expect(next.tasks.map(\.index) == plan.tasks.map(\.index))

        // The reference, computed here from the file: the rows the filter keeps.
        let kept = try fixtureRows().filter { $0.price > 1.0 }
        let mean = kept.map(\.price).reduce(0, +) / Double(kept.count)
        let std = (kept.map { ($0.price - mean) * ($0.price - mean) }.reduce(0, +) / Double(kept.count)).squareRoot()
        let dwells = kept.compactMap(\.dwell)
        let (lo, hi) = (dwells.min()!, dwells.max()!)

        let report = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: output + "/_statistics.json"))) as! [String: Any]
        let columns = report["columns"] as! [[String: Any]]
        #expect(columns.map { $0["column"] as! String } == ["price", "dwell_ms"])
        #expect(columns[0]["count"] as? Int == kept.count)
        #expect(abs((columns[0]["mean"] as! Double) - mean) < 1e-12 * abs(mean))
        #expect(abs((columns[0]["stddev"] as! Double) - std) < 1e-12 * std)
        #expect(columns[1]["min"] as? Double == lo && columns[1]["max"] as? Double == hi)
        #expect(columns[1]["nulls"] as? Int == kept.count - dwells.count)

        record.stage = 1
        record.moreStages = false
        record.taskCount += next.tasks.count
        try runAndCommit(next.tasks, into: output)
        var written: [Int: (price: Double, dwell: Double?)] = [:]
        for task in next.tasks {
            let part = output + String(format: "/shard-%05d/part-%05d.csv", task.index, task.index)
            for line in try String(contentsOfFile: part, encoding: .utf8).split(separator: "\n").dropFirst() {
                let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                written[Int(fields[0])!] = (Double(fields[4])!, Double(fields[5]))
            }
        }
        #expect(written.count == kept.count)
        for row in kept {
            let got = try #require(written[row.event])
            #expect(abs(got.price - (row.price - mean) / std) < 1e-12, "event \(row.event)")
            #expect(got.dwell.map { abs($0 - (row.dwell! - lo) / (hi - lo)) < 1e-12 } ?? (row.dwell == nil))
        }
        // The summary counts the main pass's shards only.
        let summary = try #require(try ETLJobPlanner().finish(plan.finish!, job: record))
        #expect(summary.contains("\(kept.count) written"), "\(summary)")
    }

    @Test func scalingNeedsANumberAndNoStepBeforeTheLastScalingMayReadAScaledColumn() {
        expectError(
            planningError(job(steps: "  - standardize: [country]"), workingDirectory: directory.path),
            at: 5, 18, keyPath: "steps[0].standardize", saying: "needs an int or float column; 'country' is string")
        let error = planningError(
            job(steps: """
                  - standardize: [price]
                  - filter: "price > 0"
                  - min_max: [ts]
                """), workingDirectory: directory.path)
        expectError(error, at: 6, 13, keyPath: "steps[1].filter", saying: "'price' was scaled by standardize at step 1")
        // After the last scaling step, anything goes.
        #expect(throws: Never.self) {
            _ = try plan(job(steps: """
                  - standardize: [price]
                  - min_max: [ts]
                  - filter: "price > 0"
                """), workingDirectory: directory.path)
        }
    }
}
