import Crypto
import Foundation

/// Finishes an ETL job at the coordinator once every shard committed: merges the shards' partial aggregates in
/// shard order and writes the result, gathers the quarantined rows into one file, and writes the manifest.
/// Safe to run again (a coordinator that dies while finishing does it again on restart): every file it
/// writes is written whole under a temporary name and renamed into place.
public enum ETLFinalizer {
    /// Where the shards of `job` commit: its output directory, or for an aggregate-only job a hidden directory
    /// beside the aggregate's file.
    public static func workDirectory(of job: ETLJob) -> String {
        if let output = job.output { return output.path }
        let file = job.aggregate!.output as NSString
        return file.deletingLastPathComponent + "/." + file.lastPathComponent + ".shards"
    }

    public static func finishSpec(_ job: ETLJob) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array((try? encoder.encode(job)) ?? Data())
    }

    /// What is known of the job when it finishes, besides its spec.
    public struct Context: Sendable {
        public var jobID: UInt64
        public var specHash: String
        public var outputDirectory: String
        public var shardCount: Int
        /// Seconds from submission to now.
        public var wallSeconds: Double

        public init(jobID: UInt64, specHash: String, outputDirectory: String, shardCount: Int, wallSeconds: Double) {
            self.jobID = jobID
            self.specHash = specHash
            self.outputDirectory = outputDirectory
            self.shardCount = shardCount
            self.wallSeconds = wallSeconds
        }
    }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Merges, writes the aggregate, quarantine and manifest, and returns the job's summary.
    public static func finish(spec: [UInt8], context: Context) throws -> ETLJobSummary {
        let job = try JSONDecoder().decode(ETLJob.self, from: Data(spec))
        let directory = context.outputDirectory
        var summary = ETLJobSummary(job: job.name, jobID: context.jobID, specHash: context.specHash)
        let (shardSummaries, reread) = try rereadMisalignedShards(
            job: job, directory: directory, shardCount: context.shardCount)
        summary.shardsReread = reread
        // A shard's bad first record that its second read did not explain away is a real one (docs/etl.md).
        if let failure = shardSummaries.lazy.compactMap(\.deferredFailure).first {
            throw Failure(description: "bad row at \(failure) (on_bad_row: fail)")
        }
        var partial: GroupedAggregate? = nil
        var quarantine: [UInt8] = []
        var quarantined: Int64 = 0
        var manifestFiles: [[String: Any]] = []
        for shard in 0..<context.shardCount {
            let shardDirectory = directory + String(format: "/shard-%05d", shard)
            let shardSummary = shardSummaries[shard]
            summary.add(shardSummary)
            for file in shardSummary.files {
                var entry: [String: Any] = [
                    "path": String(format: "shard-%05d/", shard) + file.name, "rows": file.rows, "bytes": file.bytes,
                    "sha256": file.sha256, "shard": shard, "source": shardSummary.source,
                ]
                if let partition = file.partition { entry["partition"] = partition }
                manifestFiles.append(entry)
            }
            if job.aggregate != nil {
                let path = shardDirectory + "/aggregate.bin"
                guard let bytes = FileManager.default.contents(atPath: path) else {
                    throw Failure(description: "\(path): missing")
                }
                do {
                    let piece = try GroupedAggregate.decode(Array(bytes))
                    if let partial { try partial.merge(piece) } else { partial = piece }
                } catch {
                    throw Failure(description: "\(path): \(error)")
                }
            }
            if let bytes = FileManager.default.contents(atPath: shardDirectory + "/quarantine.jsonl") {
                quarantine.append(contentsOf: bytes)
                quarantined += Int64(bytes.reduce(0) { $0 + ($1 == 10 ? 1 : 0) })
            }
        }
        var manifest: [String: Any] = [
            "job": job.name, "job_id": context.jobID, "spec_hash": context.specHash, "format": job.output?.format.rawValue ?? "",
            "files": manifestFiles,
        ]
        if let spec = job.aggregate, let partial {
            let names = (try? ETLPipeline(inputSchema: Schema(job.inputSchema), steps: job.steps, aggregate: spec).aggregateNames) ?? nil
            let keyNames = names?.keys ?? spec.groupBy
            let result = partial.result(keyNames: keyNames, valueNames: spec.values.map(\.name))
            let formatter = RowFormatter(format: spec.format, names: result.names)
            var bytes = formatter.header()
            formatter.append(result, to: &bytes)
            try writeAtomically(bytes, to: spec.output)
            summary.aggregateRows = Int64(result.count)
            summary.aggregatePath = spec.output
            manifest["aggregate"] = [
                "path": spec.output, "rows": result.count, "bytes": bytes.count, "sha256": sha256(bytes),
            ] as [String: Any]
        }
        if quarantined > 0 {
            let path = directory + "/_quarantine.jsonl"
            try writeAtomically(quarantine, to: path)
            summary.quarantinePath = path
            manifest["quarantine"] = ["path": "_quarantine.jsonl", "rows": quarantined, "sha256": sha256(quarantine)] as [String: Any]
        }
        summary.wallSeconds = context.wallSeconds
        manifest["summary"] = summary.jsonObject
        let data = try JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted, .sortedKeys])
        try writeAtomically(Array(data), to: directory + "/_manifest.json")
        return summary
    }

    /// Shards cut at nominal offsets (`FileShard.aligned`) start at the first line start after their cut: a
    /// record boundary unless a quoted field's newline sits there. Shard 0 of a file starts at its first record,
    /// so if each shard's last record stops where the next shard started, every shard started on a boundary
    /// (by induction down the file). Where one did not, the shard before it read from a boundary and stopped at
    /// the true one: the misaligned shard is read again here, from there, and committed over its first output;
    /// and so on down the file. Rare: the planner cuts exactly any file whose sample has quoted newlines.
    /// Idempotent: a shard read again records where it started, so a second run finds it aligned.
    /// - Returns: every shard's summary (of its final read), and how many shards were read again.
    static func rereadMisalignedShards(
        job: ETLJob, directory: String, shardCount: Int
    ) throws -> (summaries: [ShardSummary], reread: Int) {
        var summaries: [ShardSummary] = []
        var previous: ShardExtent? = nil
        var reread = 0
        for shard in 0..<shardCount {
            let shardDirectory = directory + String(format: "/shard-%05d", shard)
            var summary = try shardSummary(shardDirectory)
            defer { summaries.append(summary) }
            guard var extent = summary.extent else {
                previous = nil
                continue
            }
            if let previous, previous.path == extent.path, previous.stop != extent.start {
                let input = InputShard(
                    index: shard, path: extent.path, start: previous.stop, end: max(previous.stop, extent.end),
                    firstLine: 0)
                let result: ShardRunner.Result
                do {
                    result = try ShardRunner(spec: ETLTaskSpec(job: job, shard: input)).run()
                } catch {
                    throw Failure(description: "reading shard \(shard) again from offset \(previous.stop) (it began inside a quoted field): \(error)")
                }
                try replaceShard(shardDirectory, with: result.files)
                summary = result.summary
                extent = result.summary.extent ?? extent
                reread += 1
            }
            previous = extent
        }
        return (summaries, reread)
    }

    static func shardSummary(_ shardDirectory: String) throws -> ShardSummary {
        do {
            return try JSONDecoder().decode(
                ShardSummary.self, from: Data(contentsOf: URL(fileURLWithPath: shardDirectory + "/shard.json")))
        } catch {
            throw Failure(description: "\(shardDirectory)/shard.json: \(error)")
        }
    }

    /// Writes a shard's files over its committed ones, `shard.json` last (it says which read the files are
    /// from), and removes files the new read did not write (a quarantine it no longer has).
    static func replaceShard(_ shardDirectory: String, with files: [(name: String, bytes: [UInt8])]) throws {
        let names = Set(files.map(\.name))
        for file in files where file.name != "shard.json" {
            try writeAtomically(file.bytes, to: shardDirectory + "/" + file.name)
        }
        for stale in (try? FileManager.default.contentsOfDirectory(atPath: shardDirectory)) ?? []
        where !names.contains(stale) && !stale.hasPrefix(".") {
            try? FileManager.default.removeItem(atPath: shardDirectory + "/" + stale)
        }
        if let summary = files.first(where: { $0.name == "shard.json" }) {
            try writeAtomically(summary.bytes, to: shardDirectory + "/shard.json")
        }
    }

    public static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// Writes `bytes` to a temporary file beside `path`, flushes it, and renames it over `path`.
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        do { try SyncedFile.writeAtomically(bytes, to: path) } catch {
            throw Failure(description: "\(error)")
        }
    }
}
