/// What a reader has done so far, for task reports and metrics.
public struct ReaderCounters: Sendable, Equatable {
    /// Records turned into rows.
    public var records = 0
    /// Bytes of the shard consumed, terminators included (decompressed bytes for gzip input).
    public var bytes = 0
    /// Records left out and reported as `BadRow`s.
    public var badRows = 0

    public init() {}
}
