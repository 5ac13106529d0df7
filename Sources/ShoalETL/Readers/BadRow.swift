/// A record a reader could not turn into a row: left out of the batch and handed to the caller, who decides
/// whether the job fails, skips it or quarantines it.
public struct BadRow: Sendable, Equatable, CustomStringConvertible {
    /// The input file's path.
    public var file: String
    /// The 1-based physical line where the record starts; newlines inside quoted fields count as lines.
    public var line: Int
    /// What is wrong, naming the field and the value (`field "price": "n/a" is not a float`).
    public var reason: String
    /// The record's bytes without its line terminator (capped at `BadRow.rawLimit` bytes).
    public var raw: [UInt8]

    /// The record comes before the first good record of a CSV shard that began at a nominal cut
    /// (`FileShard.aligned`, not the file's first): if the cut fell inside a quoted field, this "record" is part
    /// of that field, and the finisher reads the shard again from the true boundary. Under `on_bad_row: fail`
    /// the finisher, not the worker, decides whether it fails the job.
    public var opensNominalShard = false

    /// The most bytes of a bad record kept in `raw`: an unterminated quote can swallow the rest of a file.
    public static let rawLimit = 1 << 20

    public init(file: String, line: Int, reason: String, raw: [UInt8]) {
        self.file = file
        self.line = line
        self.reason = reason
        self.raw = raw
    }

    /// `file:line: reason`, the way compilers name a place in a file.
    public var description: String { "\(file):\(line): \(reason)" }

    /// The same row, however it was read: `opensNominalShard` says where a shard began, not what the row is.
    public static func == (a: BadRow, b: BadRow) -> Bool {
        a.file == b.file && a.line == b.line && a.reason == b.reason && a.raw == b.raw
    }
}
