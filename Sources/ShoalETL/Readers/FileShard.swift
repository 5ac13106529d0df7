/// A byte range of an input file that one task reads: it owns every record that starts in `start ..< end`.
///
/// The last record may run past `end`, and the reader follows it to its terminator. A gzip file is one shard
/// covering the whole file.
///
/// An exact shard's `start` and `end` are record boundaries (the coordinator's `CSVSplitter` scanned the file
/// from its start to find them). An `aligned` shard's are nominal offsets, cut without reading the file: the
/// reader moves each to the start of the first line at or after it (`LineBoundary`). That is the record
/// boundary unless a quoted field's newline sits there; the reader reports where its records really stopped
/// (`ShardExtent`), so that a shard that began inside a record is found and read again (`ETLFinalizer`).
public struct FileShard: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Offset of the shard's first record (or, aligned, where to look for it).
    public var start: Int
    /// Records that start at or after this offset (aligned: the first line start at or after it) belong to the
    /// next shard.
    public var end: Int
    /// The 1-based line number of the byte at `start`; 0 when not known: the reader counts the newlines before
    /// its start only if it has to name a line (a bad row).
    public var firstLine: Int
    /// `start` and `end` are nominal offsets, not record boundaries (see above).
    public var aligned: Bool

    public init(start: Int, end: Int, firstLine: Int, aligned: Bool = false) {
        precondition(start >= 0 && start <= end && firstLine >= 0, "a shard is a non-negative range")
        self.start = start
        self.end = end
        self.firstLine = firstLine
        self.aligned = aligned
    }

    /// The whole of a file (or stream), from its first byte.
    public static let wholeFile = FileShard(start: 0, end: .max, firstLine: 1)

    public var description: String {
        "[\(start), \(end == .max ? "end" : String(end)))" + (firstLine > 0 ? " from line \(firstLine)" : "")
            + (aligned ? " at line starts" : "")
    }
}

/// Where a shard's records really were, as its reader found them: the shard covered `start ..< end` (after
/// alignment) and its last record ended at `stop` — `end` itself when the shard's cuts fell on record boundaries.
/// Consecutive shards of a file fit when one's `stop` is the next one's `start`.
public struct ShardExtent: Codable, Sendable, Hashable {
    public var path: String
    public var start: Int64
    public var end: Int64
    public var stop: Int64

    public init(path: String, start: Int64, end: Int64, stop: Int64) {
        self.path = path
        self.start = start
        self.end = end
        self.stop = stop
    }

    /// A reader's: the (aligned) shard it read and where its records stopped.
    init(path: String, shard: FileShard, stop: Int) {
        self.init(
            path: path, start: Int64(shard.start), end: shard.end == .max ? Int64.max : Int64(shard.end),
            stop: Int64(stop))
    }
}
