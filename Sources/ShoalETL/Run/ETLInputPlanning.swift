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
    /// Where the shard's records were, once `next` returned nil (`ShardExtent`); nil if the reader does not say.
    var extent: ShardExtent? { get }
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

    /// Splits every input file into shards of at most about `input.shardBytes`, numbered in order. A file is cut
    /// into equal shards (340 MB at 64 MiB: six of 57 MB, not five of 67 and one of 5), so that workers finish
    /// together instead of one waiting on the last big shard.
    ///
    /// Cut exactly, at record boundaries, a file is read whole here first: only a scan from its start knows
    /// which newlines a quoted field holds (~60 ms for 340 MB, all of it before the first task can start).
    /// With `aligned`, a plain CSV file whose first `sampleBytes` of records have no newline inside quotes, and
    /// any plain JSON Lines file, are cut at nominal offsets instead, without reading them: each worker moves its
    /// cuts to line starts itself (`FileShard.aligned`), and the rare CSV shard that thereby began inside a
    /// quoted field is read again when the job finishes (`ETLFinalizer`). A job whose later stages reuse its
    /// shards (scaling statistics) wants them exact.
    public static func shards(
        of input: InputSpec, aligned: Bool = false, sampleBytes: Int = 1 << 20
    ) throws -> [InputShard] {
        var shards: [InputShard] = []
        for path in input.paths {
            let size = fileSize(path)
            let target = evenShardSize(fileSize: size, target: input.shardBytes)
            let pieces: [FileShard] =
                switch input.format {
                case .csv:
                    try aligned
                        ? alignedCSVShards(path: path, size: size, target: target, options: csvOptions(input), sampleBytes: sampleBytes)
                        : CSVSplitter.shards(path: path, targetSize: target, options: csvOptions(input))
                case .jsonl:
                    // A JSON line holds no raw newline: cut at nominal offsets, the lines are exact boundaries.
                    try aligned && InputCompression.detect(path: path) == .none
                        ? nominalShards(dataStart: 0, firstLine: 1, size: size, target: target)
                        : JSONLSplitter.shards(path: path, targetSize: target)
                }
            for piece in pieces {
                shards.append(InputShard(
                    index: shards.count, path: path, start: Int64(piece.start),
                    end: piece.end == .max ? Int64.max : Int64(piece.end), firstLine: piece.firstLine,
                    aligned: piece.aligned))
            }
        }
        return shards
    }

    /// Nominal shards of a plain CSV file, or its exact ones if its sample has records over several lines (or it
    /// is compressed).
    static func alignedCSVShards(path: String, size: Int, target: Int, options: CSVOptions, sampleBytes: Int) throws -> [FileShard] {
        let exact = { try CSVSplitter.shards(path: path, targetSize: target, options: options) }
        if try (options.compression ?? InputCompression.detect(path: path)) == .gzip { return try exact() }
        let header = try CSVHeader.read(path: path, options: options)
        guard header.dataStart < size else { return [] }
        if try CSVSplitter.quotedNewlines(path: path, dataStart: header.dataStart, sampleBytes: sampleBytes, options: options) {
            return try exact()
        }
        return nominalShards(dataStart: header.dataStart, firstLine: header.dataFirstLine, size: size, target: target)
    }

    /// `[dataStart, size)` in equal aligned shards of at most about `target` bytes; only the first one's line is
    /// known.
    static func nominalShards(dataStart: Int, firstLine: Int, size: Int, target: Int) -> [FileShard] {
        let length = size - dataStart
        guard length > 0 else { return [] }
        let count = max(1, (length + target - 1) / target)
        return (0..<count).map { k in
            FileShard(
                start: dataStart + length * k / count, end: dataStart + length * (k + 1) / count,
                firstLine: k == 0 ? firstLine : 0, aligned: true)
        }
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
        let piece = shard.fileShard
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
    var extent: ShardExtent? { reader.extent }
}
