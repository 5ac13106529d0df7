/// What one shard's task did, written as `shard.json` into its committed output: the coordinator merges these
/// into the job's summary and manifest at the end.
public struct ShardSummary: Codable, Sendable, Equatable {
    /// One written file of the shard.
    public struct OutputFile: Codable, Sendable, Equatable {
        /// The file name inside the shard's directory.
        public var name: String
        public var rows: Int64
        public var bytes: Int64
        /// SHA-256 of the file's bytes, hex.
        public var sha256: String
        /// The hash partition it holds, for partitioned outputs.
        public var partition: Int?
    }

    public var shard: Int
    /// `path[start..<end]` of the input it read.
    public var source: String
    public var rowsIn: Int64 = 0
    public var rowsOut: Int64 = 0
    public var bytesRead: Int64 = 0
    public var bytesWritten: Int64 = 0
    /// Bad rows by reason kind (e.g. `wrong field count`, `not a float: price`).
    public var badRows: [String: Int64] = [:]
    public var castFailures: Int64 = 0
    public var files: [OutputFile] = []
    public var columns: [ColumnStatistics] = []
    public var seconds: Double = 0
    /// Where the shard's records were in its file (CSV): the finisher checks that consecutive shards fit.
    public var extent: ShardExtent?
    /// Under `on_bad_row: fail`, the first bad record before the first good one of a shard that began at a
    /// nominal cut (`BadRow.opensNominalShard`), as "file:line: reason": part of a quoted field if the cut fell
    /// inside one, which the finisher's second read of the shard makes moot; otherwise a real bad row, with which
    /// the finisher fails the job.
    public var deferredFailure: String?

    public init(shard: Int, source: String) {
        self.shard = shard
        self.source = source
    }

    public var badRowCount: Int64 { badRows.values.reduce(0, +) }
}
