/// How a CSV file is laid out and read.
public struct CSVOptions: Sendable, Hashable {
    /// The field separator, one byte (`,` by default; `\t` for TSV, `;`, `|`).
    public var delimiter: UInt8
    /// The first record holds the column names.
    public var hasHeader: Bool
    /// Rows per batch.
    public var batchSize: Int
    /// Bytes per read; the buffer doubles when one record is longer than half of it.
    public var bufferSize: Int
    /// `nil`: decided by `InputCompression.detect` (a `.gz` name or gzip's magic bytes).
    public var compression: InputCompression?

    public init(
        delimiter: UInt8 = UInt8(ascii: ","), hasHeader: Bool = true, batchSize: Int = 65_536,
        bufferSize: Int = 8 << 20, compression: InputCompression? = nil
    ) {
        precondition(delimiter != UInt8(ascii: "\"") && delimiter != UInt8(ascii: "\n") && delimiter != UInt8(ascii: "\r"),
                     "the delimiter cannot be a quote or a line terminator")
        precondition(batchSize > 0 && bufferSize > 0)
        self.delimiter = delimiter
        self.hasHeader = hasHeader
        self.batchSize = batchSize
        self.bufferSize = bufferSize
        self.compression = compression
    }
}
