import Foundation
import ShoalCore
import ShoalETL
import ShoalTestSupport
import Testing

/// An ETL job whose input has quoted newlines only past the planner's sample: it is cut at nominal offsets, some
/// shards begin inside a quoted field, and the finisher reads those again — the job's rows, aggregate and
/// quarantine come out as from one exact read of the whole file.
@Suite struct ETLAlignedShardJobTests {
    let directory: TemporaryDirectory
    let input: String
    let dataStart = "id,kind,note,x\n".utf8.count

    init() throws {
        directory = try TemporaryDirectory()
        input = directory.path("mixed.csv")
        // More than the planner's 1 MiB sample of single-line records, then records with many quoted newlines.
        let text = quotedNewlineCSV(cleanBytes: (1 << 20) + 50_000, multilineRecords: 12_000)
        try text.write(toFile: input, atomically: true, encoding: .utf8)
    }

    var yaml: String {
        """
        kind: etl
        name: aligned
        input: { paths: ["mixed.csv"], shard_size: 64KiB, on_bad_row: quarantine }
        steps:
          - filter: "x >= 0"
        output: { path: out/rows }
        aggregate: { group_by: [kind], values: { n: "count()", total: "sum(x)" }, output: out/agg.csv }
        """
    }

    /// Runs each task and commits its files under `output/shard-NNNNN/`, as workers and the coordinator do.
    func runAndCommit(_ specs: [ETLTaskSpec], into output: String) throws {
        for spec in specs {
            let result = try ShardRunner(spec: spec).run()
            let shard = output + String(format: "/shard-%05d", spec.shard.index)
            try FileManager.default.createDirectory(atPath: shard, withIntermediateDirectories: true)
            for file in result.files { try Data(file.bytes).write(to: URL(fileURLWithPath: shard + "/" + file.name)) }
        }
    }

    func record(_ output: String, tasks: Int, finish: [UInt8]) -> JobRecord {
        JobRecord(
            id: 1, name: "aligned", kind: "etl", priority: 0, maxAttempts: 3, timeoutMs: nil, hangTimeoutMs: 60_000,
            speculation: false, source: "job.yaml", workingDirectory: directory.path, specHash: "h",
            outputDirectory: output, taskCount: tasks, finishSpec: finish)
    }

    /// The data rows of the shards' part files, in shard order, without their headers.
    func rows(_ output: String, shards: Int) throws -> [UInt8] {
        var all: [UInt8] = []
        for k in 0..<shards {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: output + String(format: "/shard-%05d/part-%05d.csv", k, k)))
            all += bytes.drop(while: { $0 != 10 }).dropFirst()
        }
        return all
    }

    func contents(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

    @Test func shardsThatBeganInsideAQuotedFieldAreReadAgainAndTheJobIsExact() throws {
        let (_, plan) = try plan(yaml, workingDirectory: directory.path)
        let specs = try plan.tasks.map { try ETLTaskSpec.decode($0.spec) }
        #expect(specs.count > 15 && specs.allSatisfy(\.shard.aligned))
        let output = try #require(plan.outputDirectory)
        try runAndCommit(specs, into: output)
        let summary = try #require(try ETLJobPlanner().finish(plan.finish!, job: record(output, tasks: specs.count, finish: plan.finish!)))
        let reread = try #require(summary.split(separator: "\n").first { $0.hasPrefix("shards read again") })
        #expect(Int(reread.split(separator: " ").last ?? "") ?? 0 >= 2, "\(summary)")
        let aggregate = try contents(directory.path("out/agg.csv"))
        let quarantine = try contents(output + "/_quarantine.jsonl")
        let written = try rows(output, shards: specs.count)

        // The reference: the whole file as one exact shard, finished alone.
        let size = try contents(input).count
        let whole = ETLTaskSpec(
            job: specs[0].job, shard: InputShard(index: 0, path: input, start: Int64(dataStart), end: Int64(size), firstLine: 2))
        let reference = directory.path("reference")
        try runAndCommit([whole], into: reference)
        let referenceSummary = try ETLFinalizer.finish(
            spec: plan.finish!,
            context: .init(jobID: 2, specHash: "h", outputDirectory: reference, shardCount: 1, wallSeconds: 1))
        #expect(referenceSummary.shardsReread == 0)
        #expect(written == (try rows(reference, shards: 1)))
        #expect(quarantine == (try contents(reference + "/_quarantine.jsonl")))
        #expect(aggregate == (try contents(directory.path("out/agg.csv"))))
        #expect(referenceSummary.badRowCount > 40 && referenceSummary.rowsIn > 50_000)

        // Finishing again (a coordinator restarted while finishing) finds every shard aligned.
        let again = try #require(try ETLJobPlanner().finish(plan.finish!, job: record(output, tasks: specs.count, finish: plan.finish!)))
        #expect(!again.contains("shards read again"), "\(again)")
        #expect(try rows(output, shards: specs.count) == written)
    }

    /// Under `on_bad_row: fail`, a shard that began inside a quoted field reads part of that field as bad
    /// records; they must not fail the job, which the finisher's second read of the shard makes exact.
    @Test func underFailAShardThatBeganInsideAQuotedFieldDoesNotFailTheJob() throws {
        let clean = directory.path("clean.csv")
        try quotedNewlineCSV(cleanBytes: (1 << 20) + 50_000, multilineRecords: 12_000, badRows: false)
            .write(toFile: clean, atomically: true, encoding: .utf8)
        let failing = yaml.replacingOccurrences(of: "mixed.csv", with: "clean.csv")
            .replacingOccurrences(of: "on_bad_row: quarantine", with: "on_bad_row: fail")
        let (_, plan) = try plan(failing, workingDirectory: directory.path)
        let specs = try plan.tasks.map { try ETLTaskSpec.decode($0.spec) }
        let output = try #require(plan.outputDirectory)
        try runAndCommit(specs, into: output)
        let summary = try #require(try ETLJobPlanner().finish(plan.finish!, job: record(output, tasks: specs.count, finish: plan.finish!)))
        let reread = try #require(summary.split(separator: "\n").first { $0.hasPrefix("shards read again") })
        #expect(Int(reread.split(separator: " ").last ?? "") ?? 0 >= 2, "\(summary)")
        #expect(!FileManager.default.fileExists(atPath: output + "/_quarantine.jsonl"))

        let size = try contents(clean).count
        let whole = ETLTaskSpec(
            job: specs[0].job, shard: InputShard(index: 0, path: clean, start: Int64(dataStart), end: Int64(size), firstLine: 2))
        let reference = directory.path("reference-clean")
        try runAndCommit([whole], into: reference)
        #expect(try rows(output, shards: specs.count) == (try rows(reference, shards: 1)))
    }

    /// A real bad record that opens a shard cut at a nominal offset still fails the job under `fail`, named by
    /// its file and line — at the finish, once no second read explains it; one further into a shard fails its
    /// task at once, as ever.
    @Test func underFailARealBadRecordOpeningAShardFailsTheJobAtTheFinish() throws {
        let path = directory.path("plain.csv")
        var lines = ["id,kind,note,x"] + (0..<20_000).map { "\($0),\($0 % 3 == 0 ? "a" : "b"),plain,\($0 % 10)" }
        func write() throws { try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8) }
        try write()
        let job = yaml.replacingOccurrences(of: "mixed.csv", with: "plain.csv")
            .replacingOccurrences(of: "on_bad_row: quarantine", with: "on_bad_row: fail")
        let specs = try plan(job, workingDirectory: directory.path).1.tasks.map { try ETLTaskSpec.decode($0.spec) }
        #expect(specs.count >= 3 && specs.allSatisfy(\.shard.aligned))
        // The record on the first line that starts at or after shard 1's cut: made bad, its length kept (the
        // cuts stay where they are).
        var offset = 0
        let opening = try #require(lines.indices.first { index in
            defer { offset += lines[index].utf8.count + 1 }
            return offset >= specs[1].shard.start
        })
        lines[opening] = lines[opening].replacingOccurrences(of: ",", with: ";")
        try write()
        let output = directory.path("out/rows")
        try runAndCommit(specs, into: output)
        let finish = try #require(try plan(job, workingDirectory: directory.path).1.finish)
        #expect {
            _ = try ETLJobPlanner().finish(finish, job: record(output, tasks: specs.count, finish: finish))
        } throws: { error in
            "\(error)".contains("plain.csv:\(opening + 1): expected 4 fields, found 1 (on_bad_row: fail)")
        }

        // The same record one line further into the shard: its task fails at once.
        lines[opening] = lines[opening].replacingOccurrences(of: ";", with: ",")
        lines[opening + 1] = lines[opening + 1].replacingOccurrences(of: ",", with: ";")
        try write()
        #expect {
            _ = try ShardRunner(spec: specs[1]).run()
        } throws: { error in
            "\(error)".contains("plain.csv:\(opening + 2): expected 4 fields, found 1 (on_bad_row: fail)")
        }
    }
}
