import Foundation

/// How summaries count bad rows: by kind, not by the full reason (which quotes the value).
enum BadRowReason {
    static func category(of row: BadRow) -> String {
        let reason = row.reason
        if reason.hasPrefix("expected ") && reason.contains(" fields, found ") { return "wrong field count" }
        if reason.contains("unterminated") { return "unterminated quote" }
        if reason.hasPrefix("field \""), let close = reason.dropFirst(7).firstIndex(of: "\"") {
            let name = reason[reason.index(reason.startIndex, offsetBy: 7)..<close]
            for kind in ["an int", "a float", "a bool", "a string", "out of range for int"] where reason.contains(kind) {
                return "\(name): \(kind.hasPrefix("out") ? kind : "not " + kind)"
            }
            return "\(name): malformed"
        }
        if let colon = reason.firstIndex(of: ":") { return String(reason[..<colon]) }
        return reason
    }
}

/// Reads a shard as column batches, reporting bad rows as it meets them.
public protocol ShardBatchReader {
    /// The next batch, `nil` at the end of the shard. Bad rows go to `badRow` and are not in any batch.
    mutating func next(_ badRow: (BadRow) -> Void) throws -> ColumnBatch?
    /// Input bytes consumed so far.
    var bytesRead: Int64 { get }
}

/// The input side of an ETL job's planning and running over the `Readers/` of this module: the schema from a
/// sample, shards at record boundaries, and readers for shards.
public enum ETLInputPlanning {
    /// The input's schema: the first file's header (or keys, for JSON Lines) with types inferred from its first
    /// `sampleRows` records, then `overrides`.
    public static func schema(of input: InputSpec, overrides: [String: DataType], sampleRows: Int) throws -> Schema {
        guard let first = input.paths.first else { throw ReaderError(file: "input", "no input files") }
        switch input.format {
        case .csv:
            return try SchemaInference.csv(
                path: first, options: csvOptions(input), sampleRecords: sampleRows, overrides: overrides)
        case .jsonl:
            return try SchemaInference.jsonl(path: first, sampleRecords: sampleRows, overrides: overrides)
        }
    }

    /// Splits every input file into shards of at most about `input.shardBytes` at record boundaries, numbered in
    /// order. A file is cut into equal shards (340 MB at 64 MiB: six of 57 MB, not five of 67 and one of 5), so
    /// that workers finish together instead of one waiting on the last big shard.
    public static func shards(of input: InputSpec) throws -> [InputShard] {
        var shards: [InputShard] = []
        for path in input.paths {
            let target = evenShardSize(fileSize: fileSize(path), target: input.shardBytes)
            let pieces: [FileShard] =
                switch input.format {
                case .csv: try CSVSplitter.shards(path: path, targetSize: target, options: csvOptions(input))
                case .jsonl: try JSONLSplitter.shards(path: path, targetSize: target)
                }
            for piece in pieces {
                shards.append(InputShard(
                    index: shards.count, path: path, start: Int64(piece.start),
                    end: piece.end == .max ? Int64.max : Int64(piece.end), firstLine: piece.firstLine))
            }
        }
        return shards
    }

    /// The size of `count` equal shards of a file, `count` the fewest shards no bigger than `target`.
    static func evenShardSize(fileSize: Int, target: Int) -> Int {
        guard fileSize > target, target > 0 else { return target }
        let count = (fileSize + target - 1) / target
        return (fileSize + count - 1) / count
    }

    static func fileSize(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }

    /// A reader for `shard`, parsing only `projection`.
    public static func openReader(
        shard: InputShard, input: InputSpec, schema: Schema, projection: [String]
    ) throws -> any ShardBatchReader {
        let collector = BadRowCollector()
        let piece = FileShard(
            start: Int(shard.start), end: shard.end == Int64.max ? .max : Int(shard.end), firstLine: shard.firstLine)
        let reader: any RecordReader =
            switch input.format {
            case .csv:
                try CSVReader(
                    path: shard.path, schema: schema, projection: projection, shard: piece, options: csvOptions(input),
                    onBadRow: { collector.rows.append($0) })
            case .jsonl:
                try JSONLReader(
                    path: shard.path, schema: schema, projection: projection, shard: piece,
                    onBadRow: { collector.rows.append($0) })
            }
        return RecordReaderAdapter(reader: reader, collector: collector)
    }

    package static func csvOptions(_ input: InputSpec) -> CSVOptions {
        CSVOptions(delimiter: input.delimiter, hasHeader: input.header)
    }
}

/// Bad rows a reader reported during one `next()`.
final class BadRowCollector {
    var rows: [BadRow] = []
}

/// A `RecordReader` as a `ShardBatchReader`: hands on the bad rows met while reading each batch.
struct RecordReaderAdapter: ShardBatchReader {
    let reader: any RecordReader
    let collector: BadRowCollector

    mutating func next(_ badRow: (BadRow) -> Void) throws -> ColumnBatch? {
        let batch = try reader.next()
        for row in collector.rows { badRow(row) }
        collector.rows.removeAll(keepingCapacity: true)
        return batch
    }

    var bytesRead: Int64 { Int64(reader.counters.bytes) }
}
