/// The running state of one aggregate value for every group of a `GroupedAggregate`, as arrays indexed by group
/// id, so a batch updates it in one loop per column. Each kind knows how to merge another shard's state in
/// (exactly, and the same way whatever the number of workers), encode it for the wire, and give results.
protocol Accumulator: AnyObject {
    /// The type of the result column.
    var resultType: DataType { get }
    /// Makes room for groups up to `count`.
    func grow(to count: Int)
    /// Adds the rows of a batch: row `i` belongs to group `groups[i]`.
    func add(groups: [Int32], argument: Column?, order: Column?)
    /// Folds `other`'s group `g` into this one's group `mapping[g]`.
    func merge(_ other: Accumulator, mapping: [Int32])
    func encode(into w: inout BinaryWriter)
    func decode(from r: inout BinaryReader, groups: Int) throws(BinaryReader.Malformed)
    func result(_ group: Int) -> Value
}

/// Makes the accumulator for `function` over an argument of type `argumentType` (nil for `count()`).
func makeAccumulator(_ function: AggregateFunction, argumentType: DataType?) -> Accumulator {
    switch function {
    case .count: CountAccumulator()
    case .sum where argumentType == .int || argumentType == .bool: IntSumAccumulator()
    case .sum: FloatSumAccumulator(mean: false)
    case .mean: FloatSumAccumulator(mean: true)
    case .variance: MomentsAccumulator(stddev: false)
    case .stddev: MomentsAccumulator(stddev: true)
    case .min: ExtremeAccumulator(type: argumentType ?? .float, keepSmallest: true)
    case .max: ExtremeAccumulator(type: argumentType ?? .float, keepSmallest: false)
    case .countDistinct: DistinctAccumulator()
    case .first: FirstLastAccumulator(type: argumentType ?? .float, first: true)
    case .last: FirstLastAccumulator(type: argumentType ?? .float, first: false)
    }
}

/// Numeric view of a column for the accumulators: ints and bools widen to doubles.
@inline(__always)
func numericValue(_ data: ColumnData, _ i: Int) -> Double {
    switch data {
    case .int(let v): Double(v[i])
    case .float(let v): v[i]
    case .bool(let v): v[i] ? 1 : 0
    case .string: 0
    }
}

/// `count()`: rows; `count(x)`: rows where x is not null.
final class CountAccumulator: Accumulator {
    var counts: [Int64] = []
    var resultType: DataType { .int }
    func grow(to count: Int) { if counts.count < count { counts += .init(repeating: 0, count: count - counts.count) } }
    func add(groups: [Int32], argument: Column?, order: Column?) {
        let validity = argument?.validity
        counts.withUnsafeMutableBufferPointer { c in
            for (i, g) in groups.enumerated() where validity?[i] ?? true { c[Int(g)] &+= 1 }
        }
    }
    func merge(_ other: Accumulator, mapping: [Int32]) {
        let other = other as! CountAccumulator
        for (g, n) in other.counts.enumerated() { counts[Int(mapping[g])] &+= n }
    }
    func encode(into w: inout BinaryWriter) { for n in counts { w.i64(n) } }
    func decode(from r: inout BinaryReader, groups: Int) throws(BinaryReader.Malformed) {
        counts = []
        for _ in 0..<groups { counts.append(try r.rowCount()) }
    }
    func result(_ group: Int) -> Value { .int(counts[group]) }
}

/// `sum` of ints (and bools): exact, in 128 bits (row counts are at most 2^53, so no sum of Int64s leaves them);
/// a sum outside Int64's range at the end is reported as the nearest float rather than a wrapped, wrong integer.
/// Deciding only at the end makes the result the same however rows fall into shards: a running Int64 that
/// overflowed half way used to turn a sum that ends in range into a float, depending on where shards were cut.
final class IntSumAccumulator: Accumulator {
    /// The sums as 128-bit two's complement: `high` · 2^64 + `low`.
    var high: [Int64] = []
    var low: [UInt64] = []
    var seen: [Bool] = []
    var resultType: DataType { .int }
    func grow(to count: Int) {
        let extra = count - low.count
        guard extra > 0 else { return }
        high += .init(repeating: 0, count: extra)
        low += .init(repeating: 0, count: extra)
        seen += .init(repeating: false, count: extra)
    }
    private func add(_ g: Int, high addHigh: Int64, low addLow: UInt64) {
        let (sum, carry) = low[g].addingReportingOverflow(addLow)
        low[g] = sum
        high[g] = high[g] &+ addHigh &+ (carry ? 1 : 0)
        seen[g] = true
    }
    func add(groups: [Int32], argument: Column?, order: Column?) {
        guard let argument else { return }
        for (i, g) in groups.enumerated() where !argument.isNull(i) {
            let x: Int64
            switch argument.data {
            case .int(let v): x = v[i]
            case .bool(let v): x = v[i] ? 1 : 0
            default: continue
            }
            add(Int(g), high: x < 0 ? -1 : 0, low: UInt64(bitPattern: x))
        }
    }
    func merge(_ other: Accumulator, mapping: [Int32]) {
        let other = other as! IntSumAccumulator
        for g in other.low.indices where other.seen[g] {
            add(Int(mapping[g]), high: other.high[g], low: other.low[g])
        }
    }
    func encode(into w: inout BinaryWriter) {
        for g in low.indices {
            w.u64(low[g])
            w.i64(high[g])
            w.u8(seen[g] ? 1 : 0)
        }
    }
    func decode(from r: inout BinaryReader, groups: Int) throws(BinaryReader.Malformed) {
        high = []; low = []; seen = []
        for _ in 0..<groups {
            low.append(try r.u64())
            high.append(try r.i64())
            let flag = try r.u8()
            guard flag <= 1 else { throw BinaryReader.Malformed(description: "an int sum's flag is \(flag)") }
            seen.append(flag == 1)
        }
    }
    func result(_ group: Int) -> Value {
        guard seen[group] else { return .null }
        let asInt = Int64(bitPattern: low[group])
        if high[group] == (asInt < 0 ? -1 : 0) { return .int(asInt) }
        return .float(Double(high[group]) * 18_446_744_073_709_551_616.0 + Double(low[group]))
    }
}

/// `sum` of floats and `mean` of anything numeric: Neumaier-compensated sums, so the result does not drift with
/// the number of rows, merged shard by shard in shard order (the same for any number of workers).
final class FloatSumAccumulator: Accumulator {
    let mean: Bool
    var sums: [Double] = []
    var compensations: [Double] = []
    var counts: [Int64] = []
    init(mean: Bool) { self.mean = mean }
    var resultType: DataType { .float }
    func grow(to count: Int) {
        let extra = count - sums.count
        guard extra > 0 else { return }
        sums += .init(repeating: 0, count: extra)
        compensations += .init(repeating: 0, count: extra)
        counts += .init(repeating: 0, count: extra)
    }
    @inline(__always)
    private static func neumaier(_ sum: inout Double, _ compensation: inout Double, _ x: Double) {
        let t = sum + x
        // Past the finite range the compensation means nothing, and inf − inf would make it (and the sum) NaN.
        if t.isFinite {
            if sum.magnitude >= x.magnitude { compensation += (sum - t) + x } else { compensation += (x - t) + sum }
        }
        sum = t
    }
    func add(groups: [Int32], argument: Column?, order: Column?) {
        guard let argument else { return }
        let data = argument.data
        let validity = argument.validity
        // One exclusive access per array for the whole batch, not one per row (class properties are checked
        // dynamically: per-row accesses cost more than the sums).
        sums.withUnsafeMutableBufferPointer { sums in
            compensations.withUnsafeMutableBufferPointer { compensations in
                counts.withUnsafeMutableBufferPointer { counts in
                    for (i, g) in groups.enumerated() where validity?[i] ?? true {
                        let gi = Int(g)
                        Self.neumaier(&sums[gi], &compensations[gi], numericValue(data, i))
                        counts[gi] += 1
                    }
                }
            }
        }
    }
    func merge(_ other: Accumulator, mapping: [Int32]) {
        let other = other as! FloatSumAccumulator
        for g in other.sums.indices where other.counts[g] > 0 {
            let t = Int(mapping[g])
            Self.neumaier(&sums[t], &compensations[t], other.sums[g])
            Self.neumaier(&sums[t], &compensations[t], other.compensations[g])
            counts[t] += other.counts[g]
        }
    }
    func encode(into w: inout BinaryWriter) {
        for g in sums.indices {
            w.f64(sums[g])
            w.f64(compensations[g])
            w.i64(counts[g])
        }
    }
    func decode(from r: inout BinaryReader, groups: Int) throws(BinaryReader.Malformed) {
        sums = []; compensations = []; counts = []
        for _ in 0..<groups {
            sums.append(try r.f64())
            compensations.append(try r.f64())
            counts.append(try r.rowCount())
        }
    }
    func result(_ group: Int) -> Value {
        guard counts[group] > 0 else { return .null }
        let total = sums[group].isFinite ? sums[group] + compensations[group] : sums[group]
        return .float(mean ? total / Double(counts[group]) : total)
    }
}

/// `variance` and `stddev` (sample, n − 1): Welford's update per row, Chan et al.'s parallel formula to merge
/// shards — numerically stable, and exact in the sense that merging is the same algebra as one pass.
final class MomentsAccumulator: Accumulator {
    let stddev: Bool
    var counts: [Int64] = []
    var means: [Double] = []
    var m2: [Double] = []
    init(stddev: Bool) { self.stddev = stddev }
    var resultType: DataType { .float }
    func grow(to count: Int) {
        let extra = count - counts.count
        guard extra > 0 else { return }
        counts += .init(repeating: 0, count: extra)
        means += .init(repeating: 0, count: extra)
        m2 += .init(repeating: 0, count: extra)
    }
    func add(groups: [Int32], argument: Column?, order: Column?) {
        guard let argument else { return }
        let data = argument.data
        means.withUnsafeMutableBufferPointer { means in
            m2.withUnsafeMutableBufferPointer { m2 in
                counts.withUnsafeMutableBufferPointer { counts in
                    for (i, g) in groups.enumerated() where !argument.isNull(i) {
                        let gi = Int(g)
                        let x = numericValue(data, i)
                        counts[gi] += 1
                        let delta = x - means[gi]
                        means[gi] += delta / Double(counts[gi])
                        m2[gi] += delta * (x - means[gi])
                    }
                }
            }
        }
    }
    func merge(_ other: Accumulator, mapping: [Int32]) {
        let other = other as! MomentsAccumulator
        for g in other.counts.indices where other.counts[g] > 0 {
            let t = Int(mapping[g])
            let na = Double(counts[t]), nb = Double(other.counts[g])
            let n = na + nb
            let delta = other.means[g] - means[t]
            means[t] += delta * nb / n
            m2[t] += other.m2[g] + delta * delta * na * nb / n
            counts[t] += other.counts[g]
        }
    }
    func encode(into w: inout BinaryWriter) {
        for g in counts.indices {
            w.i64(counts[g])
            w.f64(means[g])
            w.f64(m2[g])
        }
    }
    func decode(from r: inout BinaryReader, groups: Int) throws(BinaryReader.Malformed) {
        counts = []; means = []; m2 = []
        for _ in 0..<groups {
            counts.append(try r.rowCount())
            means.append(try r.f64())
            m2.append(try r.f64())
        }
    }
    func result(_ group: Int) -> Value {
        guard counts[group] > 1 else { return .null }
        let variance = max(0, m2[group] / Double(counts[group] - 1))
        return .float(stddev ? variance.squareRoot() : variance)
    }
}

/// `min` / `max` of any type, in `ValueOrdering`; nulls are ignored.
final class ExtremeAccumulator: Accumulator {
    let type: DataType
    let keepSmallest: Bool
    var values: [Value] = []
    init(type: DataType, keepSmallest: Bool) {
        self.type = type
        self.keepSmallest = keepSmallest
    }
    var resultType: DataType { type }
    func grow(to count: Int) { if values.count < count { values += .init(repeating: .null, count: count - values.count) } }
    @inline(__always)
    private func offer(_ g: Int, _ v: Value) {
        let current = values[g]
        if current.isNull { values[g] = v; return }
        let c = ValueOrdering.compare(v, current)
        if keepSmallest ? c < 0 : c > 0 { values[g] = v }
    }
    func add(groups: [Int32], argument: Column?, order: Column?) {
        guard let argument else { return }
        switch argument.data {
        case .int(let v):
            for (i, g) in groups.enumerated() where !argument.isNull(i) {
                let gi = Int(g)
                if case .int(let current) = values[gi], keepSmallest ? v[i] >= current : v[i] <= current { continue }
                values[gi] = .int(v[i])
            }
        case .float(let v):
            for (i, g) in groups.enumerated() where !argument.isNull(i) { offer(Int(g), .float(v[i])) }
        default:
            for (i, g) in groups.enumerated() where !argument.isNull(i) { offer(Int(g), argument.value(at: i)) }
        }
    }
    func merge(_ other: Accumulator, mapping: [Int32]) {
        let other = other as! ExtremeAccumulator
        for (g, v) in other.values.enumerated() where !v.isNull { offer(Int(mapping[g]), v) }
    }
    func encode(into w: inout BinaryWriter) { for v in values { w.value(v) } }
    func decode(from r: inout BinaryReader, groups: Int) throws(BinaryReader.Malformed) {
        values = []
        for _ in 0..<groups { values.append(try r.value(of: type)) }
    }
    func result(_ group: Int) -> Value { values[group] }
}

/// `count_distinct`: the set of each value's 64-bit `StableHash` per group. Exact but for hash collisions:
/// with n distinct values the chance that any two collide is at most n² / 2^65 (under 3·10⁻⁴ for n = 10⁸).
final class DistinctAccumulator: Accumulator {
    var sets: [Set<UInt64>] = []
    var resultType: DataType { .int }
    func grow(to count: Int) { if sets.count < count { sets += .init(repeating: [], count: count - sets.count) } }
    func add(groups: [Int32], argument: Column?, order: Column?) {
        guard let argument else { return }
        GroupKeyEncoding.forEachKey([argument], rows: groups.count) { i, key in
            if !argument.isNull(i) { sets[Int(groups[i])].insert(StableHash.hash(key)) }
        }
    }
    func merge(_ other: Accumulator, mapping: [Int32]) {
        let other = other as! DistinctAccumulator
        for (g, set) in other.sets.enumerated() { sets[Int(mapping[g])].formUnion(set) }
    }
    func encode(into w: inout BinaryWriter) {
        for set in sets {
            w.count(set.count)
            for h in set.sorted() { w.u64(h) }
        }
    }
    func decode(from r: inout BinaryReader, groups: Int) throws(BinaryReader.Malformed) {
        sets = []
        for _ in 0..<groups {
            let n = try r.count(minimumBytes: 8)
            var set = Set<UInt64>(minimumCapacity: n)
            for _ in 0..<n { set.insert(try r.u64()) }
            sets.append(set)
        }
    }
    func result(_ group: Int) -> Value { .int(Int64(sets[group].count)) }
}

/// `first(x, key)` / `last(x, key)`: x of the row with the smallest / largest key (non-null keys only). Ties go
/// to the earliest row for `first` and the latest for `last`, in input order — shard order across shards, so
/// the answer does not depend on the number of workers.
final class FirstLastAccumulator: Accumulator {
    let type: DataType
    let first: Bool
    var keys: [Value] = []
    var values: [Value] = []
    init(type: DataType, first: Bool) {
        self.type = type
        self.first = first
    }
    var resultType: DataType { type }
    func grow(to count: Int) {
        let extra = count - keys.count
        guard extra > 0 else { return }
        keys += .init(repeating: .null, count: extra)
        values += .init(repeating: .null, count: extra)
    }
    @inline(__always)
    private func offer(_ g: Int, key: Value, value: Value) {
        if !keys[g].isNull {
            let c = ValueOrdering.compare(key, keys[g])
            if first ? c >= 0 : c < 0 { return }
        }
        keys[g] = key
        values[g] = value
    }
    func add(groups: [Int32], argument: Column?, order: Column?) {
        guard let argument, let order else { return }
        for (i, g) in groups.enumerated() where !order.isNull(i) {
            offer(Int(g), key: order.value(at: i), value: argument.value(at: i))
        }
    }
    func merge(_ other: Accumulator, mapping: [Int32]) {
        let other = other as! FirstLastAccumulator
        for g in other.keys.indices where !other.keys[g].isNull {
            offer(Int(mapping[g]), key: other.keys[g], value: other.values[g])
        }
    }
    func encode(into w: inout BinaryWriter) {
        for g in keys.indices {
            w.value(keys[g])
            w.value(values[g])
        }
    }
    func decode(from r: inout BinaryReader, groups: Int) throws(BinaryReader.Malformed) {
        keys = []; values = []
        for _ in 0..<groups {
            keys.append(try r.value())
            values.append(try r.value(of: type))
        }
    }
    func result(_ group: Int) -> Value { values[group] }
}
