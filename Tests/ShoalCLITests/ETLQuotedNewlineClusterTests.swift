import Foundation
import ShoalTestSupport
import Testing

/// On real processes: an input whose quoted newlines come only past the planner's sample is cut at nominal
/// offsets, some shards begin inside a quoted field, and the coordinator reads those again when the job
/// finishes — the outputs equal those of the same job run as one uncut shard.
@Suite(.serialized) struct ETLQuotedNewlineClusterTests {
    static func job(shardSize: String, output: String) -> String {
        """
        kind: etl
        name: quoted-\(output)
        input: { paths: ["mixed.csv"], shard_size: \(shardSize), on_bad_row: quarantine }
        steps:
          - filter: "x >= 0"
        output: { path: out/\(output) }
        aggregate: { group_by: [kind], values: { n: "count()", total: "sum(x)" }, output: out/\(output).csv }
        """
    }

    /// The data rows of a job's part files in shard order (headers dropped), its aggregate and its quarantine.
    static func outputs(_ cluster: ClusterFixture, _ name: String) throws -> (rows: [UInt8], aggregate: [UInt8], quarantine: [UInt8]) {
        let root = cluster.directory.path("out/\(name)")
        let shards = try FileManager.default.contentsOfDirectory(atPath: root).filter { $0.hasPrefix("shard-") }.sorted()
        var rows: [UInt8] = []
        for shard in shards {
            let index = shard.dropFirst("shard-".count)
            let part = try Data(contentsOf: URL(fileURLWithPath: "\(root)/\(shard)/part-\(index).csv"))
            rows += part.drop(while: { $0 != 10 }).dropFirst()
        }
        let read = { (path: String) in Array(try Data(contentsOf: URL(fileURLWithPath: path))) }
        return (rows, try read(cluster.directory.path("out/\(name).csv")), try read(root + "/_quarantine.jsonl"))
    }

    @Test func shardsCutInsideQuotedFieldsAreReadAgainAndTheOutputsMatchAnUncutRun() async throws {
        let cluster = try ClusterFixture()
        try quotedNewlineCSV(cleanBytes: (1 << 20) + 50_000, multilineRecords: 12_000)
            .write(toFile: cluster.directory.path("mixed.csv"), atomically: true, encoding: .utf8)
        try await cluster.startCoordinator()
        try await cluster.startWorker("w1", slots: 1)
        try await cluster.startWorker("w2", slots: 1)

        let cut = try await cluster.waitForEnd(of: try await cluster.submit(Self.job(shardSize: "64KiB", output: "cut")))
        #expect(cut.record.state == .succeeded, "\(cut)")
        let summary = cut.record.summary ?? ""
        let reread = summary.split(separator: "\n").first { $0.hasPrefix("shards read again") }
        #expect(Int(reread?.split(separator: " ").last ?? "") ?? 0 >= 2, "\(summary)")

        let whole = try await cluster.waitForEnd(of: try await cluster.submit(Self.job(shardSize: "64MiB", output: "whole"), name: "whole.yaml"))
        #expect(whole.record.state == .succeeded, "\(whole)")
        #expect(!(whole.record.summary ?? "").contains("read again"))

        let a = try Self.outputs(cluster, "cut")
        let b = try Self.outputs(cluster, "whole")
        #expect(a.rows.count > 1_000_000 && a.rows == b.rows)
        #expect(a.aggregate == b.aggregate)
        #expect(!a.quarantine.isEmpty && a.quarantine == b.quarantine)
    }
}
