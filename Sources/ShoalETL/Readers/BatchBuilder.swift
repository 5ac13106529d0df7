/// One projected column being filled: raw buffers indexed by row, so the parsers' hot loops store values with
/// no array bookkeeping, no reference counting and no exclusivity checks. Trivial (no references) so it can
/// live in raw memory.
struct ColumnSink {
    /// The column's position among the file's fields.
    var field: Int
    var type: DataType
    /// `Int64`, `Double` or `Bool` values, one per row (unused for strings).
    var values: UnsafeMutableRawPointer
    var validity: UnsafeMutablePointer<Bool>
    /// A null was stored in this batch (perhaps in a row rolled back later: `Column` drops all-true validity).
    var sawNull = false
    /// Empty values and (floats) NaN or infinity make the record bad instead of null: for inputs where every
    /// value is needed, such as a training job's features and label.
    var strict = false
    /// Strings: row `i` is `bytes[offsets[i] ..< offsets[i + 1]]`.
    var offsets: UnsafeMutablePointer<Int32>
    var bytes: UnsafeMutablePointer<UInt8>
    var byteCount = 0
    var byteCapacity: Int

    @inline(__always)
    mutating func setNull(_ row: Int) {
        validity[row] = false
        sawNull = true
        if type == .string { offsets[row + 1] = Int32(truncatingIfNeeded: byteCount) }
    }

    @inline(__always)
    func setInt(_ row: Int, _ v: Int64) {
        values.assumingMemoryBound(to: Int64.self)[row] = v
        validity[row] = true
    }

    @inline(__always)
    func setDouble(_ row: Int, _ v: Double) {
        values.assumingMemoryBound(to: Double.self)[row] = v
        validity[row] = true
    }

    @inline(__always)
    func setBool(_ row: Int, _ v: Bool) {
        values.assumingMemoryBound(to: Bool.self)[row] = v
        validity[row] = true
    }

    @inline(__always)
    mutating func setString(_ row: Int, _ p: UnsafePointer<UInt8>, _ n: Int) {
        let target = reserve(n)
        target.update(from: p, count: n)
        commitString(row, length: n)
    }

    /// Room for `n` more string bytes; write them, then `commitString`.
    @inline(__always)
    mutating func reserve(_ n: Int) -> UnsafeMutablePointer<UInt8> {
        if byteCount + n > byteCapacity { grow(byteCount + n) }
        return bytes + byteCount
    }

    @inline(__always)
    mutating func commitString(_ row: Int, length: Int) {
        byteCount += length
        offsets[row + 1] = Int32(truncatingIfNeeded: byteCount)
        validity[row] = true
    }

    /// Forgets whatever row `row` stored (its record turned out bad).
    @inline(__always)
    mutating func rollback(_ row: Int) {
        if type == .string { byteCount = Int(offsets[row]) }
    }

    @inline(never)
    mutating func grow(_ needed: Int) {
        var capacity = max(byteCapacity * 2, 4096)
        while capacity < needed { capacity *= 2 }
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        bigger.update(from: bytes, count: byteCount)
        bytes.deallocate()
        bytes = bigger
        byteCapacity = capacity
    }
}

/// The projected columns of the batch being built, over reused buffers: values are copied into the batch's
/// arrays once per batch.
final class BatchBuilder {
    let names: [String]
    let sinks: UnsafeMutablePointer<ColumnSink>
    let sinkCount: Int
    /// Rows per batch.
    let capacity: Int
    /// Rows stored so far in this batch.
    var rows = 0
    /// A string column this large ends the batch early: offsets are Int32.
    static let stringBytesLimit = 1 << 30

    /// - Parameters:
    ///   - columns: (name, type, field index in the file) per projected column, in output order.
    ///   - strict: the names of the columns whose sinks are `strict`.
    init(columns: [(name: String, type: DataType, field: Int)], capacity: Int, strict: Set<String> = []) {
        precondition(capacity > 0)
        names = columns.map(\.name)
        sinkCount = columns.count
        self.capacity = capacity
        sinks = .allocate(capacity: max(columns.count, 1))
        for (k, c) in columns.enumerated() {
            let width = c.type == .bool ? 1 : 8
            let offsets = UnsafeMutablePointer<Int32>.allocate(capacity: c.type == .string ? capacity + 1 : 1)
            offsets[0] = 0
            let byteCapacity = c.type == .string ? capacity * 8 : 0
            (sinks + k).initialize(
                to: ColumnSink(
                    field: c.field, type: c.type,
                    values: .allocate(byteCount: c.type == .string ? 8 : capacity * width, alignment: 8),
                    validity: .allocate(capacity: capacity), offsets: offsets,
                    bytes: .allocate(capacity: max(byteCapacity, 1)), byteCapacity: byteCapacity))
            sinks[k].strict = strict.contains(c.name)
        }
    }

    deinit {
        for k in 0..<sinkCount {
            sinks[k].values.deallocate()
            sinks[k].validity.deallocate()
            sinks[k].offsets.deallocate()
            sinks[k].bytes.deallocate()
        }
        sinks.deallocate()
    }

    var isFull: Bool { rows >= capacity }

    /// Whether a string column has grown so large that the batch should end now.
    var stringsNearLimit: Bool {
        for k in 0..<sinkCount where sinks[k].byteCount >= Self.stringBytesLimit { return true }
        return false
    }

    @inline(__always)
    func rollbackRow() {
        for k in 0..<sinkCount { sinks[k].rollback(rows) }
    }

    /// The rows stored so far as a batch; the builder starts over.
    func makeBatch() -> ColumnBatch {
        let n = rows
        if sinkCount == 0 {
            rows = 0
            return ColumnBatch(count: n)
        }
        var columns: [Column] = []
        columns.reserveCapacity(sinkCount)
        for k in 0..<sinkCount {
            let s = sinks[k]
            let validity = s.sawNull ? Array(UnsafeBufferPointer(start: s.validity, count: n)) : nil
            let data: ColumnData
            switch s.type {
            case .int: data = .int(Array(UnsafeBufferPointer(start: s.values.assumingMemoryBound(to: Int64.self), count: n)))
            case .float: data = .float(Array(UnsafeBufferPointer(start: s.values.assumingMemoryBound(to: Double.self), count: n)))
            case .bool: data = .bool(Array(UnsafeBufferPointer(start: s.values.assumingMemoryBound(to: Bool.self), count: n)))
            case .string:
                let used = Int(s.offsets[n])
                data = .string(
                    StringColumn(
                        bytes: Array(UnsafeBufferPointer(start: s.bytes, count: used)),
                        offsets: Array(UnsafeBufferPointer(start: s.offsets, count: n + 1))))
            }
            columns.append(Column(data, validity: validity))
            sinks[k].sawNull = false
            sinks[k].byteCount = 0
        }
        rows = 0
        return ColumnBatch(names: names, columns: columns)
    }
}
