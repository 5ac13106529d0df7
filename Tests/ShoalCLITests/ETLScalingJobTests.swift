import Foundation
import ShoalClient
import ShoalCore
import ShoalTestSupport
import Testing

/// A two-pass ETL job (standardize, min_max) on real processes: the statistics pass, the coordinator's merge,
/// the main pass — identical bytes on one and two workers, and after the coordinator is killed mid-job.
@Suite(.serialized) struct ETLScalingJobTests {
    static func job(output: String) -> String {
        """
        kind: etl
        name: clicks-scaled
        input: { format: csv, paths: ["data/clicks-*.csv"], header: true, on_bad_row: skip, shard_size: 64KiB, schema: { price: float } }
        steps:
          - filter: "price > 1.0 and device != 'tablet'"
          - standardize: [price]
          - min_max: [ts]
          - select: [event_id, price, ts]
        output: { path: \(output), format: csv }
        """
    }

    /// (event id, price, ts) of the rows the filter keeps, in input order, read here without Shoal's ETL code.
    static func keptRows(_ files: [String]) throws -> [(event: Int, price: Double, ts: Double)] {
        var rows: [(Int, Double, Double)] = []
        for file in files {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            for line in text.split(separator: "\n").dropFirst() {
                let f = line.split(separator: ",", omittingEmptySubsequences: false)
                guard f.count == 25, let price = Double(f[6]), price > 1.0, f[4] != "tablet" else { continue }
                rows.append((Int(f[0])!, price, Double(f[1])!))
            }
        }
        return rows
    }

    /// The written rows, checked against the reference scaling; returns them in order.
    static func check(_ cluster: ClusterFixture, output: String, kept: [(event: Int, price: Double, ts: Double)]) throws -> [Substring] {
        let prices = kept.map(\.price)
        let mean = prices.reduce(0, +) / Double(prices.count)
        let std = (prices.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(prices.count)).squareRoot()
        let (lo, hi) = (kept.map(\.ts).min()!, kept.map(\.ts).max()!)
        let files = try cluster.committedFiles(in: output)
        #expect(files.keys.contains("_statistics.json") && files.keys.contains("_manifest.json"))
        let parts = files.filter { $0.key.hasPrefix("shard-") && $0.key.hasSuffix(".csv") }
        // Shards in order hold the rows in input order.
        let lines = parts.sorted { $0.key < $1.key }.flatMap { $0.value.split(separator: "\n").dropFirst() }
        #expect(lines.count == kept.count)
        for (line, row) in zip(lines, kept) {
            let f = line.split(separator: ",")
            #expect(Int(f[0]) == row.event)
            #expect(abs(Double(f[1])! - (row.price - mean) / std) < 1e-9, "price of \(f[0])")
            #expect(abs(Double(f[2])! - (row.ts - lo) / (hi - lo)) < 1e-9, "ts of \(f[0])")
        }
        return lines
    }

    @Test func oneAndTwoWorkersAndACoordinatorKilledMidJobWriteTheSameScaledRows() async throws {
        let cluster = try ClusterFixture()
        let inputs = try await ETLJobTests.generate(in: cluster.directory)
        let kept = try Self.keptRows(inputs)
        try await cluster.startCoordinator()
        let worker0 = try await cluster.startWorker("w0", slots: 1)

        let one = try await cluster.submit(Self.job(output: "out/one"), name: "one.yaml")
        let first = try await cluster.waitForEnd(of: one)
        #expect(first.record.state == .succeeded, "\(first)")
        #expect(first.record.stage == 1 && first.record.taskCount > 8, "a statistics pass, then the main pass")
        #expect(first.counters["bytes_staged"] ?? 0 > 0, "the main pass's workers wrote its files in place: \(first.counters)")
        let reference = try Self.check(cluster, output: "out/one", kept: kept)
        let status = try ChildProcess(
            try BuiltProducts.shoal, ["status", "\(one)", "--coordinator", cluster.clientEndpoint], in: cluster.directory,
            name: "status")
        #expect(await status.waitForExit(timeout: .seconds(60)) == 0)
        #expect(status.stdout.contains("; stage 1 (the last)"), "\(status.stdout)")

        let worker1 = try await cluster.startWorker("w1", slots: 1)
        let two = try await cluster.submit(Self.job(output: "out/two"), name: "two.yaml")
        #expect(try await cluster.waitForEnd(of: two).record.state == .succeeded)
        #expect(try Self.check(cluster, output: "out/two", kept: kept) == reference, "1 and 2 workers write the same bytes")

        // The coordinator is killed with the job inside its main pass (about 60 small tasks), and the new one must
        // carry on from its store. Polling while the workers run could see the main pass start and end within one
        // poll; here the workers run only in short steps between polls, stopped while each status is read.
        let three = try await cluster.submit(Self.job(output: "out/three"), name: "three.yaml")
        let client = try await cluster.client()
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(60)
        var paused: JobStatus?
        while clock.now < deadline {
            worker0.signal(SIGSTOP)
            worker1.signal(SIGSTOP)
            let job = try #require(try await client.status(job: three).jobs.first)
            if job.record.stage == 1 || job.record.state.isTerminal {
                paused = job
                break
            }
            worker0.signal(SIGCONT)
            worker1.signal(SIGCONT)
            try await Task.sleep(for: .milliseconds(5))  // one step of the workers: pacing, not a wait for anything
        }
        await client.close()
        let stopped = try #require(paused, "the main pass did not start within 60 s")
        #expect(stopped.record.state == .running && stopped.record.stage == 1, "\(stopped.record)")
        cluster.coordinator?.signal(SIGKILL)
        #expect(await cluster.coordinator?.waitForExit(timeout: .seconds(60)) != nil)
        try await cluster.startCoordinator(reuseEndpoints: true)
        worker0.signal(SIGCONT)
        worker1.signal(SIGCONT)
        let resumed = try await cluster.waitForEnd(of: three)
        #expect(resumed.record.state == .succeeded, "\(resumed)")
        #expect(try Self.check(cluster, output: "out/three", kept: kept) == reference, "a restart changes no row")
    }
}
