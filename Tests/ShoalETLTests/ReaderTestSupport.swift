import Foundation
import ShoalTestSupport
import Testing

@testable import ShoalETL

/// A temporary directory with files written from strings or bytes.
final class Scratch {
    let directory: TemporaryDirectory

    init() throws { directory = try TemporaryDirectory(prefix: "shoal-etl") }

    func write(_ name: String, _ text: String) throws -> String {
        try write(name, Array(text.utf8))
    }

    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = directory.path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// Everything a reader produced: rows as values (in projection order) and its bad rows.
struct ReadResult {
    var names: [String] = []
    var rows: [[Value]] = []
    var bad: [BadRow] = []
    var counters = ReaderCounters()
}

func rows(of batch: ColumnBatch) -> [[Value]] {
    (0..<batch.count).map { i in batch.columns.map { $0.value(at: i) } }
}

func readCSV(
    _ path: String, schema: Schema, projection: [String]? = nil, shard: FileShard = .wholeFile,
    options: CSVOptions = CSVOptions()
) throws -> ReadResult {
    var result = ReadResult()
    var bad: [BadRow] = []
    let reader = try CSVReader(
        path: path, schema: schema, projection: projection, shard: shard, options: options,
        onBadRow: { bad.append($0) })
    while let batch = try reader.next() {
        result.names = batch.names
        result.rows += rows(of: batch)
    }
    result.bad = bad
    result.counters = reader.counters
    return result
}

/// Reads every shard the splitter makes, one after another.
func readCSVSharded(_ path: String, schema: Schema, targetSize: Int, options: CSVOptions = CSVOptions()) throws
    -> (ReadResult, [FileShard])
{
    let shards = try CSVSplitter.shards(path: path, targetSize: targetSize, options: options)
    var all = ReadResult()
    for shard in shards {
        let part = try readCSV(path, schema: schema, shard: shard, options: options)
        all.rows += part.rows
        all.bad += part.bad
        all.counters.records += part.counters.records
        all.counters.badRows += part.counters.badRows
    }
    return (all, shards)
}

/// Writes `path.gz` beside `path` with /bin/gzip (kept: `-k`).
func gzip(_ path: String) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/gzip")
    process.arguments = ["-k", "-f", path]
    try process.run()
    process.waitUntilExit()
    try #require(process.terminationStatus == 0)
}

func schema(_ fields: (String, DataType)...) -> Schema { Schema(fields.map { Field($0.0, $0.1) }) }

extension Value {
    static func s(_ text: String) -> Value { .string(text) }
}
