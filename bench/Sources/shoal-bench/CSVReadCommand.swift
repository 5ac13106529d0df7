import ArgumentParser
import Foundation
import ShoalETL

/// `shoal-bench csv-read`: one thread reads a whole CSV file through `CSVReader`, materializing the named
/// columns, and prints MB/s. The schema comes from inference over the first records, as a job's planner does.
struct CSVReadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "csv-read", abstract: "Read a CSV file with CSVReader on one thread; print MB/s and rows.")

    @Argument(help: "The CSV file (.gz is inflated on the fly).")
    var file: String
    @Option(help: "Columns to materialize, comma-separated (default: all).")
    var columns: String?
    @Option(help: "Rows per batch.")
    var batchSize = 65_536
    @Option(help: "Read buffer in MiB.")
    var bufferMib = 8
    @Option(help: "Split into shards of this many MiB and read them one after another (0: one shard).")
    var shardMib = 0
    @Option(help: "Timed repetitions; the best is reported too.")
    var rounds = 3

    func validate() throws {
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1") }
        guard (1...1024).contains(bufferMib) else { throw ValidationError("--buffer-mib must be 1…1024") }
    }

    func run() throws {
        let options = CSVOptions(batchSize: batchSize, bufferSize: bufferMib << 20)
        let schema = try SchemaInference.csv(path: file, options: options)
        let projection = columns.map { $0.split(separator: ",").map(String.init) }
        let size = try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int ?? 0
        var best = Double.infinity
        for round in 1...rounds {
            let start = MonotonicClock.now()
            let shards =
                shardMib > 0 ? try CSVSplitter.shards(path: file, targetSize: shardMib << 20, options: options) : [
                    FileShard(start: 0, end: .max, firstLine: 1)
                ]
            var rows = 0
            var bad = 0
            var checksum = 0
            for shard in shards {
                let reader = try CSVReader(
                    path: file, schema: schema, projection: projection, shard: shard, options: options,
                    onBadRow: { _ in bad += 1 })
                while let batch = try reader.next() {
                    rows += batch.count
                    checksum &+= batch.columns.count
                }
            }
            let seconds = MonotonicClock.now() - start
            best = min(best, seconds)
            print(
                "csv-read round=\(round) rows=\(rows) bad=\(bad) shards=\(shards.count) seconds=\(format(seconds, 3))"
                    + " MB/s=\(format(Double(size) / seconds / 1e6, 1))")
        }
        print("csv-read best MB/s=\(format(Double(size) / best / 1e6, 1)) bytes=\(size) columns=\(columns ?? "all")")
    }
}
