import Foundation
import ShoalClient
import ShoalCore
import ShoalTestSupport
import Testing

/// The clicks ETL example end to end on real processes: data from `shoal datagen clicks`, a coordinator and
/// workers on loopback, outputs compared with a plain single-threaded reference computed here.
@Suite(.serialized) struct ETLJobTests {
    static let rowsPerFile = 12_000

    /// The example job, with shards small enough that two files make a dozen tasks.
    static func job(output: String, aggregate: String, extra: String = "") -> String {
        """
        kind: etl
        name: clicks-by-country
        input: { format: csv, paths: ["data/clicks-*.csv"], header: true, on_bad_row: quarantine, shard_size: 256KiB, schema: { price: float } }
        steps:
          - filter: "price > 1.0 and device != 'tablet'"
          - derive: { hour: "(ts // 3600) % 24", price_per_sec: "price / (dwell_ms / 1000)" }
          - select: [event_id, country, hour, price, price_per_sec, clicked]
        output: { path: \(output), format: csv }
        aggregate:
          group_by: [country]
          values: { n: "count()", revenue: "sum(price)", dwell: "mean(dwell_ms)", ctr: "mean(clicked)" }
          output: \(aggregate)
        \(extra)
        """
    }

    /// Generates the input files with the CLI, as a user would.
    static func generate(in directory: TemporaryDirectory) async throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory.path("data"), withIntermediateDirectories: true)
        var paths: [String] = []
        for (index, seed) in [5, 6].enumerated() {
            let path = directory.path("data/clicks-\(index).csv")
            let child = try ChildProcess(
                try BuiltProducts.shoal,
                ["datagen", "clicks", "--rows", "\(rowsPerFile)", "--seed", "\(seed)", "--bad-rate", "0.002", "--out", path],
                in: directory, name: "datagen")
            let status = await child.waitForExit(timeout: .seconds(60))
            #expect(status == 0, "datagen failed: \(child.stderr)")
            paths.append(path)
        }
        return paths
    }

    /// What the job must produce, computed row by row without any of Shoal's ETL code.
    struct Reference {
        struct Group { var n = 0; var revenue = 0.0; var dwellSum = 0.0; var dwellCount = 0; var clicked = 0.0 }
        var groups: [String: Group] = [:]
        var rowsOut = 0
        var eventIDs: [Int] = []
        /// (file, line, raw) of every malformed row.
        var bad: [(file: String, line: Int, raw: String)] = []

        init(files: [String]) throws {
            for file in files {
                let text = try String(contentsOfFile: file, encoding: .utf8)
                for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
                where index > 0 && !line.isEmpty {
                    let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                    guard fields.count == 25, let price = Double(fields[6]) else {
                        bad.append((file, index + 1, String(line)))
                        continue
                    }
                    guard price > 1.0, fields[4] != "tablet" else { continue }
                    rowsOut += 1
                    eventIDs.append(Int(fields[0])!)
                    var group = groups[String(fields[3]), default: Group()]
                    group.n += 1
                    group.revenue += price
                    if let dwell = Double(fields[7]) {
                        group.dwellSum += dwell
                        group.dwellCount += 1
                    }
                    group.clicked += Double(fields[24])!
                    groups[String(fields[3])] = group
                }
            }
        }
    }

    static func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-9 * max(1, abs(a), abs(b)) }

    /// Checks one run's outputs against the reference; returns the bytes that must be identical across runs.
    static func check(_ cluster: ClusterFixture, output: String, aggregate: String, reference: Reference) throws -> [String: String] {
        let files = try cluster.committedFiles(in: output)
        #expect(files.keys.contains("_SUCCESS"))
        #expect(files.keys.contains("_manifest.json"))
        #expect(!files.keys.contains { $0.hasPrefix(".shoal-tmp") }, "no staging left behind")
        let parts = files.filter { $0.key.hasSuffix(".csv") && $0.key.contains("/part-") }
        var rows = 0
        var ids: [Int] = []
        for (_, text) in parts.sorted(by: { $0.key < $1.key }) {
            let lines = text.split(separator: "\n")
            #expect(lines.first == "event_id,country,hour,price,price_per_sec,clicked")
            rows += lines.count - 1
            ids += lines.dropFirst().map { Int($0.split(separator: ",")[0])! }
        }
        #expect(rows == reference.rowsOut)
        #expect(ids == reference.eventIDs, "rows in input order, each once")

        let table = try String(contentsOfFile: cluster.directory.path(aggregate), encoding: .utf8)
        let lines = table.split(separator: "\n")
        #expect(lines.first == "country,n,revenue,dwell,ctr")
        #expect(lines.count - 1 == reference.groups.count)
        for line in lines.dropFirst() {
            let f = line.split(separator: ",")
            let group = try #require(reference.groups[String(f[0])])
            #expect(Int(f[1]) == group.n, "\(f[0]) n")
            #expect(close(Double(f[2])!, group.revenue), "\(f[0]) revenue \(f[2]) vs \(group.revenue)")
            #expect(close(Double(f[3])!, group.dwellSum / Double(group.dwellCount)), "\(f[0]) dwell")
            #expect(close(Double(f[4])!, group.clicked / Double(group.n)), "\(f[0]) ctr")
        }
        #expect(lines.dropFirst().map { $0.split(separator: ",")[0] } == lines.dropFirst().map { $0.split(separator: ",")[0] }.sorted())

        // The quarantine holds exactly the malformed rows, with their lines.
        let quarantine = try #require(files["_quarantine.jsonl"])
        let entries = quarantine.split(separator: "\n").map { line -> (String, Int, String) in
            let object = try! JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return (object["file"] as! String, object["line"] as! Int, object["raw"] as! String)
        }
        #expect(entries.count == reference.bad.count)
        #expect(zip(entries, reference.bad).allSatisfy { $0.0 == $1.file && $0.1 == $1.line && $0.2 == $1.raw })

        var identical = parts
        identical["_quarantine.jsonl"] = quarantine
        identical["aggregate"] = table
        return identical
    }

    /// One worker with one slot: each attempt after the first was leased (and recorded) before the previous
    /// attempt's shard files were committed — the coordinator sends the next task first, then writes and syncs.
    static func expectNextTaskLeasedBeforeCommit(_ cluster: ClusterFixture, job: JobID, tasks: Int) async throws {
        let client = try await cluster.client()
        var attempts: [AttemptStatus] = []
        for id in 1...TaskID(tasks) {
            let detail = try #require(try await client.status(job: job, task: id).task, "task \(id)")
            attempts += detail.attempts
        }
        await client.close()
        #expect(attempts.count == tasks, "one attempt per task: \(attempts)")
        let ordered = attempts.sorted { $0.startedAt < $1.startedAt }
        for (previous, next) in zip(ordered, ordered.dropFirst()) {
            let ended = try #require(previous.endedAt)
            #expect(next.startedAt < ended, "task \(next.task) leased at \(next.startedAt), after task \(previous.task) ended at \(ended)")
        }
    }

    @Test func theExampleMatchesAReferenceWithOneTwoAndFourWorkers() async throws {
        let cluster = try ClusterFixture()
        let inputs = try await Self.generate(in: cluster.directory)
        let reference = try Reference(files: inputs)
        #expect(reference.bad.count > 10, "the data has malformed rows to quarantine")
        try await cluster.startCoordinator()
        var results: [[String: String]] = []
        var started = 0
        for workers in [1, 2, 4] {
            while started < workers {
                try await cluster.startWorker("w\(started)", slots: 1)
                started += 1
            }
            let job = try await cluster.submit(
                Self.job(output: "out/w\(workers)", aggregate: "out/by-country-w\(workers).csv"), name: "job-\(workers).yaml")
            let final = try await cluster.waitForEnd(of: job)
            #expect(final.record.state == .succeeded, "\(final)")
            #expect(final.record.taskCount > 8, "the inputs were split into byte-range shards")
            let summary = try #require(final.record.summary)
            #expect(summary.contains("rows: \(2 * Self.rowsPerFile - reference.bad.count) read, \(reference.rowsOut) written, \(reference.bad.count) bad"), "\(summary)")
            #expect(summary.contains("price_per_sec (float)"))
            // Workers on the coordinator's host write their shards' files into the staging area themselves.
            #expect(final.counters["bytes_staged"] ?? 0 > final.counters["bytes_written"] ?? .max, "\(final.counters)")
            results.append(try Self.check(cluster, output: "out/w\(workers)", aggregate: "out/by-country-w\(workers).csv", reference: reference))
            if workers == 1 { try await Self.expectNextTaskLeasedBeforeCommit(cluster, job: job, tasks: final.record.taskCount) }
        }
        #expect(results[0] == results[1], "1 and 2 workers write the same bytes")
        #expect(results[0] == results[2], "1 and 4 workers write the same bytes")
    }

    @Test func aWorkerKilledMidJobChangesNothingInTheOutput() async throws {
        let cluster = try ClusterFixture()
        let inputs = try await Self.generate(in: cluster.directory)
        let reference = try Reference(files: inputs)
        try await cluster.startCoordinator()
        // This worker sends its shards' files to the coordinator; the doomed one, below, writes them in place:
        // both ways give the same bytes, also mixed in one job.
        try await cluster.startWorker("steady", slots: 1, environment: ["SHOAL_STAGE_OUTPUTS": "0"])
        let job = try await cluster.submit(Self.job(output: "out/calm", aggregate: "out/calm.csv"), name: "calm.yaml")
        let calmEnd = try await cluster.waitForEnd(of: job)
        #expect(calmEnd.record.state == .succeeded)
        #expect(calmEnd.counters["bytes_staged"] == nil && calmEnd.counters["bytes_written"] ?? 0 > 0, "\(calmEnd.counters)")
        let calm = try Self.check(cluster, output: "out/calm", aggregate: "out/calm.csv", reference: reference)

        let doomed = try await cluster.startWorker("doomed", slots: 1)
        let second = try await cluster.submit(Self.job(output: "out/storm", aggregate: "out/storm.csv"), name: "storm.yaml")
        try await cluster.waitFor("the doomed worker to run a shard", job: second) { status in
            status.jobs.first?.running.contains { $0.worker == "doomed" } == true
        }
        doomed.signal(SIGKILL)
        let final = try await cluster.waitForEnd(of: second)
        #expect(final.record.state == .succeeded, "\(final)")
        #expect(final.troubles.contains { $0.worker == "doomed" }, "the killed worker's attempt is on record")
        let storm = try Self.check(cluster, output: "out/storm", aggregate: "out/storm.csv", reference: reference)
        #expect(calm == storm, "a killed worker costs a retry, never a byte of output")
    }

    @Test func badRowsFailTheJobWithFileAndLineUnderFail() async throws {
        let cluster = try ClusterFixture()
        let inputs = try await Self.generate(in: cluster.directory)
        let reference = try Reference(files: inputs)
        try await cluster.startCoordinator()
        try await cluster.startWorker("w", slots: 2)
        let yaml = Self.job(output: "out/strict", aggregate: "out/strict.csv")
            .replacingOccurrences(of: "on_bad_row: quarantine", with: "on_bad_row: fail")
            + "max_attempts: 1\n"
        let job = try await cluster.submit(yaml)
        let final = try await cluster.waitForEnd(of: job)
        #expect(final.record.state == .failed)
        let error = final.record.error ?? ""
        let firstBadInSomeShard = reference.bad.contains { error.contains("\(($0.file as NSString).lastPathComponent):\($0.line):") }
        #expect(firstBadInSomeShard, "the error names a bad row's file and line: \(error)")
        #expect(!FileManager.default.fileExists(atPath: cluster.directory.path("out/strict.csv")), "no aggregate from a failed job")
    }

    @Test func expressionMistakesAreRefusedAtSubmitWithACaret() async throws {
        let cluster = try ClusterFixture()
        _ = try await Self.generate(in: cluster.directory)
        try await cluster.startCoordinator()
        let yaml = Self.job(output: "out/x", aggregate: "out/x.csv")
            .replacingOccurrences(of: "price > 1.0 and", with: "prise > 1.0 and")
        await #expect {
            _ = try await cluster.submit(yaml)
        } throws: { error in
            let text = "\(error)"
            return text.contains("job.yaml:5:") && text.contains("steps[0].filter") && text.contains("unknown column 'prise'")
                && text.contains("did you mean 'price'") && text.contains("^")
        }
        let typeError = Self.job(output: "out/x", aggregate: "out/x.csv")
            .replacingOccurrences(of: "device != 'tablet'", with: "device > 3")
        await #expect {
            _ = try await cluster.submit(typeError)
        } throws: { error in
            "\(error)".contains("steps[0].filter") && "\(error)".contains("^")
        }
    }
}
