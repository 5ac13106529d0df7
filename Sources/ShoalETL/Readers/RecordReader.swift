/// A reader of one shard of an input file: batches of the projected columns, bad records through a callback.
///
/// The CSV and JSON Lines readers share this contract so the executor treats them alike.
public protocol RecordReader: AnyObject {
    /// The next batch of at most `batchSize` rows, or `nil` once the shard is exhausted.
    /// - Throws: `ReaderError` when the input cannot be read; whatever the bad-row callback throws.
    func next() throws -> ColumnBatch?
    /// Records, bytes and bad rows so far.
    var counters: ReaderCounters { get }
    /// Where the shard's records were, once `next()` returned nil; nil for a reader that does not say.
    var extent: ShardExtent? { get }
}

extension RecordReader {
    public var extent: ShardExtent? { nil }

    /// Reads every remaining batch into one (tests, small files, schema samples).
    public func readAll() throws -> ColumnBatch {
        var batches: [ColumnBatch] = []
        while let batch = try next() { batches.append(batch) }
        return ColumnBatch(concatenating: batches)
    }
}
