/// Per-column statistics of written rows — count, nulls, min, max, mean, standard deviation — kept so that two
/// shards' statistics merge exactly (Welford/Chan for the moments).
public struct ColumnStatistics: Codable, Sendable, Equatable {
    public var name: String
    public var type: DataType
    public var count: Int64 = 0
    public var nulls: Int64 = 0
    public var min: Value = .null
    public var max: Value = .null
    /// Numeric columns only.
    public var mean: Double = 0
    public var m2: Double = 0

    public init(name: String, type: DataType) {
        self.name = name
        self.type = type
    }

    /// Sample standard deviation; nil below two values or for non-numeric columns.
    public var stddev: Double? {
        guard type.isNumeric || type == .bool, count > 1 else { return nil }
        return (Swift.max(0, m2) / Double(count - 1)).squareRoot()
    }

    public var meanValue: Double? { (type.isNumeric || type == .bool) && count > 0 ? mean : nil }

    /// Adds a column's values.
    public mutating func add(_ column: Column) {
        let n = column.count
        switch column.data {
        case .int(let v):
            var lo = Int64.max, hi = Int64.min
            for i in 0..<n where !column.isNull(i) {
                lo = Swift.min(lo, v[i])
                hi = Swift.max(hi, v[i])
            }
            addMoments { body in for i in 0..<n where !column.isNull(i) { body(Double(v[i])) } }
            if lo <= hi { offer(.int(lo), .int(hi)) }
        case .float(let v):
            var lo = Double.infinity, hi = -Double.infinity
            for i in 0..<n where !column.isNull(i) {
                lo = Swift.min(lo, v[i])
                hi = Swift.max(hi, v[i])
            }
            addMoments { body in for i in 0..<n where !column.isNull(i) { body(v[i]) } }
            if lo <= hi { offer(.float(lo), .float(hi)) }
        case .bool(let v):
            for i in 0..<n where !column.isNull(i) {
                addMoment(v[i] ? 1 : 0)
                offer(.bool(v[i]), .bool(v[i]))
            }
        case .string(let s):
            var lo: Int? = nil, hi: Int? = nil
            for i in 0..<n where !column.isNull(i) {
                count += 1
                if lo == nil || s.compare(i, lo!) < 0 { lo = i }
                if hi == nil || s.compare(i, hi!) > 0 { hi = i }
            }
            if let lo, let hi { offer(.string(s.string(at: lo)), .string(s.string(at: hi))) }
        }
        nulls += Int64(column.nullCount)
    }

    /// Adds a batch's values: its own count, mean and M2 in two passes (no division per value), then merged
    /// in with Chan's formula.
    @inline(__always)
    private mutating func addMoments(_ values: ((Double) -> Void) -> Void) {
        var count = 0.0, sum = 0.0
        values { x in
            count += 1
            sum += x
        }
        guard count > 0 else { return }
        let mean = sum / count
        var m2 = 0.0
        values { x in m2 += (x - mean) * (x - mean) }
        var batch = ColumnStatistics(name: name, type: type)
        batch.count = Int64(count)
        batch.mean = mean
        batch.m2 = m2
        mergeMoments(batch)
        self.count += Int64(count)
    }

    @inline(__always)
    private mutating func addMoment(_ x: Double) {
        count += 1
        let delta = x - mean
        mean += delta / Double(count)
        m2 += delta * (x - mean)
    }

    private mutating func offer(_ lo: Value, _ hi: Value) {
        if min.isNull || ValueOrdering.compare(lo, min) < 0 { min = lo }
        if max.isNull || ValueOrdering.compare(hi, max) > 0 { max = hi }
    }

    /// Chan's parallel formula: folds `other`'s mean and M2 into this one's (counts are added by the caller).
    private mutating func mergeMoments(_ other: ColumnStatistics) {
        let na = Double(count), nb = Double(other.count)
        let delta = other.mean - mean
        mean += delta * nb / (na + nb)
        m2 += other.m2 + delta * delta * na * nb / (na + nb)
    }

    /// Folds another shard's statistics of the same column in.
    public mutating func merge(_ other: ColumnStatistics) {
        if other.count > 0 {
            if type.isNumeric || type == .bool { mergeMoments(other) }
            count += other.count
            offer(other.min, other.max)
        }
        nulls += other.nulls
    }
}
