/// A byte range of an input file that one task reads: it owns every record that starts in `start ..< end`.
///
/// `start` is always a record boundary (the splitter guarantees it); the last record may run past `end`, and the
/// reader follows it to its terminator. A gzip file is one shard covering the whole file.
public struct FileShard: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Offset of the shard's first record.
    public var start: Int
    /// Records that start at or after this offset belong to the next shard.
    public var end: Int
    /// The 1-based line number of the byte at `start`.
    public var firstLine: Int

    public init(start: Int, end: Int, firstLine: Int) {
        precondition(start >= 0 && start <= end && firstLine >= 1, "a shard is a non-negative range with lines from 1")
        self.start = start
        self.end = end
        self.firstLine = firstLine
    }

    /// The whole of a file (or stream), from its first byte.
    public static let wholeFile = FileShard(start: 0, end: .max, firstLine: 1)

    public var description: String { "[\(start), \(end == .max ? "end" : String(end))) from line \(firstLine)" }
}
