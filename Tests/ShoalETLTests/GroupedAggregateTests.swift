import Testing
@testable import ShoalETL

@Suite struct GroupedAggregateTests {
    static let kinds: [GroupedAggregate.ValueKind] = [
        .init(.count, argumentType: nil),
        .init(.count, argumentType: .float),
        .init(.sum, argumentType: .float),
        .init(.sum, argumentType: .int),
        .init(.mean, argumentType: .int),
        .init(.variance, argumentType: .float),
        .init(.stddev, argumentType: .float),
        .init(.min, argumentType: .float),
        .init(.max, argumentType: .string),
        .init(.countDistinct, argumentType: .int),
        .init(.first, argumentType: .string),
        .init(.last, argumentType: .string),
    ]

    /// Rows of (country, price?, dwell, label) with nulls.
    struct Rows {
        var country: [String?] = []
        var price: [Double?] = []
        var dwell: [Int64] = []
        var label: [String] = []
        var ts: [Int64] = []

        func batch(_ range: Range<Int>) -> (keys: [Column], arguments: [Column?], orders: [Column?]) {
            let countries = Column(
                .string(StringColumn(range.map { country[$0] ?? "" })), validity: range.map { country[$0] != nil })
            let prices = Column(.float(range.map { price[$0] ?? 0 }), validity: range.map { price[$0] != nil })
            let dwells = Column(.int(range.map { dwell[$0] }))
            let labels = Column(.string(StringColumn(range.map { label[$0] })))
            let stamps = Column(.int(range.map { ts[$0] }))
            return ([countries], [nil, prices, prices, dwells, dwells, prices, prices, prices, labels, dwells, labels, labels],
                    [nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, stamps, stamps])
        }
    }

    static func rows(_ n: Int, seed: UInt64) -> Rows {
        var rng = SplitMix64(seed: seed)
        var rows = Rows()
        let names = ["US", "IN", "BR", "DE", "GB"]
        for _ in 0..<n {
            rows.country.append(rng.below(20) == 0 ? nil : names[rng.below(names.count)])
            rows.price.append(rng.below(10) == 0 ? nil : (rng.unit() * 1000).rounded() / 100)
            rows.dwell.append(Int64(rng.below(50)))
            rows.label.append("l\(rng.below(1000))")
            rows.ts.append(Int64(rng.below(100)))
        }
        return rows
    }

    static func aggregate(_ rows: Rows, shards: [Range<Int>]) throws -> ColumnBatch {
        var partials: [GroupedAggregate] = []
        for shard in shards {
            let partial = GroupedAggregate(keyTypes: [.string], kinds: kinds)
            // Two batches per shard, as a reader would give them.
            let middle = shard.lowerBound + shard.count / 2
            for part in [shard.lowerBound..<middle, middle..<shard.upperBound] {
                let (keys, arguments, orders) = rows.batch(part)
                partial.add(keys: keys, arguments: arguments, orders: orders, rows: part.count)
            }
            partials.append(try GroupedAggregate.decode(partial.encode()))
        }
        let total = GroupedAggregate(keyTypes: [.string], kinds: kinds)
        for partial in partials { try total.merge(partial) }
        return total.result(keyNames: ["country"], valueNames: (0..<kinds.count).map { "v\($0)" })
    }

    @Test func shardedMergeEqualsAnIndependentSinglePassReference() throws {
        let rows = Self.rows(5_000, seed: 42)
        let result = try Self.aggregate(rows, shards: [0..<1_000, 1_000..<1_001, 1_001..<3_333, 3_333..<5_000])
        // The reference: plain dictionaries, row by row.
        let keys: [String?] = [nil, "BR", "DE", "GB", "IN", "US"]
        #expect(result.count == keys.count)
        for (row, key) in keys.enumerated() {
            let members = rows.country.indices.filter { rows.country[$0] == key }
            let prices = members.compactMap { rows.price[$0] }
            let dwells = members.map { Double(rows.dwell[$0]) }
            let mean = prices.reduce(0, +) / Double(prices.count)
            let variance = prices.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(prices.count - 1)
            #expect(result.columns[0].value(at: row) == (key.map { Value.string($0) } ?? .null))
            #expect(result.columns[1].value(at: row) == .int(Int64(members.count)))
            #expect(result.columns[2].value(at: row) == .int(Int64(prices.count)))
            let sum = try #require(result.columns[3].value(at: row).doubleValue)
            #expect(abs(sum - prices.reduce(0, +)) <= 1e-9 * max(1, abs(sum)))
            #expect(result.columns[4].value(at: row) == .int(members.reduce(0) { $0 + rows.dwell[$1] }))
            let meanDwell = try #require(result.columns[5].value(at: row).doubleValue)
            #expect(abs(meanDwell - dwells.reduce(0, +) / Double(dwells.count)) < 1e-9)
            let v = try #require(result.columns[6].value(at: row).doubleValue)
            #expect(abs(v - variance) <= 1e-9 * variance)
            let s = try #require(result.columns[7].value(at: row).doubleValue)
            #expect(abs(s - variance.squareRoot()) <= 1e-9 * s)
            #expect(result.columns[8].value(at: row) == .float(prices.min()!))
            #expect(result.columns[9].value(at: row) == .string(members.map { rows.label[$0] }.max { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }!))
            #expect(result.columns[10].value(at: row) == .int(Int64(Set(members.map { rows.dwell[$0] }).count)))
            // first: the earliest row with the smallest ts; last: the latest row with the largest.
            let smallest = members.map { rows.ts[$0] }.min()!
            let largest = members.map { rows.ts[$0] }.max()!
            #expect(result.columns[11].value(at: row) == .string(rows.label[members.first { rows.ts[$0] == smallest }!]))
            #expect(result.columns[12].value(at: row) == .string(rows.label[members.last { rows.ts[$0] == largest }!]))
        }
    }

    @Test func resultIsTheSameBitForBitWhateverTheBatching() throws {
        let rows = Self.rows(3_000, seed: 7)
        let fixedShards = [0..<700, 700..<1_500, 1_500..<3_000]
        let once = try Self.aggregate(rows, shards: fixedShards)
        let again = try Self.aggregate(rows, shards: fixedShards)
        #expect(once == again)
        // Merging in shard order is what makes this hold for any number of workers; a different sharding may
        // round differently in the last place, but must agree to 1e-12.
        let other = try Self.aggregate(rows, shards: [0..<3_000])
        #expect(once.count == other.count)
        for c in once.columns.indices {
            for r in 0..<once.count {
                if let a = once.columns[c].value(at: r).doubleValue, let b = other.columns[c].value(at: r).doubleValue {
                    #expect(abs(a - b) <= 1e-12 * max(1, abs(a)))
                } else {
                    #expect(once.columns[c].value(at: r) == other.columns[c].value(at: r))
                }
            }
        }
    }

    @Test func noGroupByGivesOneRowEvenForNoInput() {
        let aggregate = GroupedAggregate(keyTypes: [], kinds: [.init(.count, argumentType: nil), .init(.sum, argumentType: .float)])
        let result = aggregate.result(keyNames: [], valueNames: ["n", "total"])
        #expect(result.count == 1)
        #expect(result["n"]?.value(at: 0) == .int(0))
        #expect(result["total"]?.value(at: 0) == .null)
    }

    /// The key encoding as `GroupKeyEncoding` documents it, written here independently of it: per key column
    /// a presence byte, then 8 little-endian bytes for an int or a float (one zero, one NaN), 1 for a bool, a
    /// 4-byte length and the bytes for a string.
    static func referenceKey(_ column: Column, _ row: Int) -> [UInt8] {
        guard !column.isNull(row) else { return [0] }
        func littleEndian(_ x: UInt64, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: x >> (8 * $0)) } }
        switch column.value(at: row) {
        case .int(let v): return [1] + littleEndian(UInt64(bitPattern: v), 8)
        case .float(let v): return [1] + littleEndian(v.isNaN ? Double.nan.bitPattern : (v == 0 ? 0 : v.bitPattern), 8)
        case .bool(let v): return [1, v ? 1 : 0]
        case .string(let v): return [1] + littleEndian(UInt64(v.utf8.count), 4) + Array(v.utf8)
        case .null: return [0]
        }
    }

    /// The hot path's key bytes (borrowed buffers) are the documented encoding that partials carry.
    @Test func fastKeyEncodingWritesTheSameBytesAsTheReferenceEncoding() {
        var random = SplitMix64(seed: 21)
        let count = 500
        func validity() -> [Bool] { (0..<count).map { _ in random.below(6) != 0 } }
        let keys = [
            Column(.int((0..<count).map { _ in random.choice([0, -1, .min, .max, Int64(random.below(1_000))]) }), validity: validity()),
            Column(.float((0..<count).map { _ in random.choice([0.0, -0.0, .nan, -.nan, .infinity, 1.5, random.unit()]) }), validity: validity()),
            Column(.bool((0..<count).map { _ in random.below(2) == 0 }), validity: validity()),
            Column(.string(StringColumn((0..<count).map { _ in random.choice(["", "US", "ünï", String(repeating: "x", count: 300)]) })), validity: validity()),
        ]
        ColumnView.with(keys) { views in
            let width = GroupKeyEncoding.maxWidth(views, rows: count)
            let scratch = UnsafeMutableRawPointer.allocate(byteCount: width, alignment: 8)
            defer { scratch.deallocate() }
            for row in 0..<count {
                let reference = keys.flatMap { Self.referenceKey($0, row) }
                let n = GroupKeyEncoding.encode(views, row, to: scratch)
                #expect(n <= width)
                #expect(Array(UnsafeRawBufferPointer(start: scratch, count: n)) == reference, "row \(row)")
            }
        }
    }

    @Test func intSumThatOverflowsReportsAFloatNotAWrappedInt() {
        let aggregate = GroupedAggregate(keyTypes: [], kinds: [.init(.sum, argumentType: .int)])
        let big = Column(.int([Int64.max, Int64.max]))
        aggregate.add(keys: [], arguments: [big], orders: [nil], rows: 2)
        let result = aggregate.result(keyNames: [], valueNames: ["s"])
        #expect(result["s"]?.value(at: 0) == .float(Double(Int64.max) * 2))
        let negative = GroupedAggregate(keyTypes: [], kinds: [.init(.sum, argumentType: .int)])
        negative.add(keys: [], arguments: [Column(.int([.min, .min, -1]))], orders: [nil], rows: 3)
        #expect(negative.result(keyNames: [], valueNames: ["s"])["s"]?.value(at: 0) == .float(Double(Int64.min) * 2 - 1))
    }

    /// A sum that leaves Int64's range on the way and ends inside it is the exact int, however the rows are cut
    /// into shards (it used to be a float when the overflow happened within one shard).
    @Test func anIntSumThatEndsInRangeIsExactWhereverTheShardsAreCut() throws {
        let values: [Int64] = [.max, 1, -2, .max, .min, .min, 3]
        let exact = values.reduce(Int64(0)) { $0 &+ $1 }  // the true sum fits: wrapping gives it exactly
        for cut in 0...values.count {
            let parts = [Array(values[..<cut]), Array(values[cut...])].map { part -> GroupedAggregate in
                let aggregate = GroupedAggregate(keyTypes: [], kinds: [.init(.sum, argumentType: .int)])
                aggregate.add(keys: [], arguments: [Column(.int(part))], orders: [nil], rows: part.count)
                return aggregate
            }
            let merged = try GroupedAggregate.decode(parts[0].encode())
            try merged.merge(try GroupedAggregate.decode(parts[1].encode()))
            #expect(merged.result(keyNames: [], valueNames: ["s"])["s"]?.value(at: 0) == .int(exact), "cut at \(cut)")
        }
    }

    @Test func aFloatSumThatReachesInfinityIsInfinityNotNaN() {
        let aggregate = GroupedAggregate(
            keyTypes: [], kinds: [.init(.sum, argumentType: .float), .init(.mean, argumentType: .float)])
        for values in [[1.5, .infinity], [1e308, 1e308], [-.infinity, 2.0]] {
            aggregate.add(keys: [], arguments: [Column(.float(values)), Column(.float(values))], orders: [nil, nil], rows: 2)
        }
        // +inf then −inf: a NaN now, as IEEE says for inf − inf (the sum's own, not the compensation's).
        let other = GroupedAggregate(
            keyTypes: [], kinds: [.init(.sum, argumentType: .float), .init(.mean, argumentType: .float)])
        other.add(keys: [], arguments: [Column(.float([1e308, 1e308])), Column(.float([1e308, 1e308]))], orders: [nil, nil], rows: 2)
        let result = other.result(keyNames: [], valueNames: ["s", "m"])
        #expect(result["s"]?.value(at: 0) == .float(.infinity))
        #expect(result["m"]?.value(at: 0) == .float(.infinity))
        let both = aggregate.result(keyNames: [], valueNames: ["s", "m"])
        guard case .float(let sum) = both["s"]?.value(at: 0) else { Issue.record("no float sum"); return }
        #expect(sum.isNaN, "+inf and -inf together: \(sum)")
    }

    @Test func damagedPartialsAreErrorsNotCrashes() throws {
        let rows = Self.rows(200, seed: 3)
        let partial = GroupedAggregate(keyTypes: [.string], kinds: Self.kinds)
        let (keys, arguments, orders) = rows.batch(0..<200)
        partial.add(keys: keys, arguments: arguments, orders: orders, rows: 200)
        let bytes = partial.encode()
        var rng = SplitMix64(seed: 9)
        for cut in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 50)) {
            #expect(throws: BinaryReader.Malformed.self) { try GroupedAggregate.decode(Array(bytes[..<cut])) }
        }
        for _ in 0..<200 {
            var mutated = bytes
            mutated[rng.below(mutated.count)] ^= UInt8(1 + rng.below(255))
            _ = try? GroupedAggregate.decode(mutated)  // must not trap
        }
        let other = GroupedAggregate(keyTypes: [.int], kinds: Self.kinds)
        #expect(throws: BinaryReader.Malformed.self) { try other.merge(try GroupedAggregate.decode(bytes)) }

        // Keys and counts that decode but do not fit: refused, not read past their end or merged into a trap.
        let ints = GroupedAggregate(keyTypes: [.int], kinds: [.init(.count, argumentType: nil)])
        ints.add(keys: [Column(.int([0x0102_0304_0506_0708]))], arguments: [nil], orders: [nil], rows: 1)
        let good = ints.encode()
        #expect(try GroupedAggregate.decode(good).result(keyNames: ["k"], valueNames: ["n"])["n"]?.value(at: 0) == .int(1))
        let key: [UInt8] = [9, 0, 0, 0, 0, 0, 0, 0, 1, 8, 7, 6, 5, 4, 3, 2, 1]  // data(): its length, then the key
        let at = try #require((0...(good.count - key.count)).first { Array(good[$0..<$0 + key.count]) == key })
        var short = good
        short.replaceSubrange(at..<at + key.count, with: [1, 0, 0, 0, 0, 0, 0, 0, 1])  // a 1-byte int key
        #expect(throws: BinaryReader.Malformed.self) { try GroupedAggregate.decode(short) }
        var presence = good
        presence[at + 8] = 2
        #expect(throws: BinaryReader.Malformed.self) { try GroupedAggregate.decode(presence) }
        var huge = good
        huge.replaceSubrange((good.count - 8)..<good.count, with: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F])
        #expect(throws: BinaryReader.Malformed.self) { try GroupedAggregate.decode(huge) }
        // A min of an int column whose partial holds a string: refused, not read as 0 or as another type.
        let mins = GroupedAggregate(keyTypes: [], kinds: [.init(.min, argumentType: .int)])
        mins.add(keys: [], arguments: [Column(.int([7]))], orders: [nil], rows: 1)
        var wrongType = mins.encode()
        wrongType.replaceSubrange((wrongType.count - 9)..<wrongType.count, with: [4, 1, 0, 0, 0, 0, 0, 0, 0, 0x41])
        #expect(throws: BinaryReader.Malformed.self) { try GroupedAggregate.decode(wrongType) }
        #expect(try GroupedAggregate.decode(mins.encode()).result(keyNames: [], valueNames: ["m"])["m"]?.value(at: 0) == .int(7))
    }
}
