import ArgumentParser
import Foundation
import ShoalETL

/// `shoal-bench etl-shards`: the clicks example job (cluster/jobs/clicks-etl.yaml, written out here) run shard
/// after shard on one thread through `ShardRunner`, without a cluster — where a worker's time goes, for
/// profiling (`perf record`) and for the ratio of the cluster's time to the bare data path.
struct ETLShardsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "etl-shards", abstract: "Run the clicks example's shards one by one on one thread; print MB/s.")

    @Argument(help: "The clicks CSV file.")
    var file: String
    @Option(help: "Shard size in MiB.")
    var shardMib = 64
    @Option(help: "Timed repetitions.")
    var rounds = 1

    func run() throws {
        let input = InputSpec(format: .csv, paths: [file], onBadRow: .quarantine, shardBytes: shardMib << 20)
        let schema = try ETLInputPlanning.schema(
            of: input, overrides: ["price": .float, "dwell_ms": .int], sampleRows: 1_000)
        let job = ETLJob(
            name: "clicks-by-country", input: input,
            steps: [
                .filter("price > 1.0 and device != 'tablet'"),
                .derive([NamedExpression("hour", "(ts // 3600) % 24"), NamedExpression("price_per_sec", "price / (dwell_ms / 1000)")]),
                .select(["event_id", "country", "hour", "price", "price_per_sec", "clicked"]),
            ],
            output: OutputSpec(path: "/dev/null"),
            aggregate: AggregateSpec(
                groupBy: ["country"],
                values: [
                    AggregateValue(name: "n", function: .count, argument: nil),
                    AggregateValue(name: "revenue", function: .sum, argument: "price"),
                    AggregateValue(name: "dwell", function: .mean, argument: "dwell_ms"),
                    AggregateValue(name: "ctr", function: .mean, argument: "clicked"),
                ], output: "/dev/null", format: .csv),
            inputSchema: schema.fields, specHash: "")
        let size = try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int ?? 0
        for round in 1...rounds {
            let start = MonotonicClock.now()
            var written = 0
            var rows: Int64 = 0
            for shard in try ETLInputPlanning.shards(of: input) {
                let result = try ShardRunner(spec: ETLTaskSpec(job: job, shard: shard)).run()
                written += result.files.reduce(0) { $0 + $1.bytes.count }
                rows += result.summary.rowsOut
            }
            let seconds = MonotonicClock.now() - start
            print("etl-shards round=\(round) rows_out=\(rows) bytes_out=\(written) seconds=\(format(seconds, 3)) MB/s=\(format(Double(size) / seconds / 1e6, 1))")
        }
    }
}
