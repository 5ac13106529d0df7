import Testing
@testable import ShoalETL

@Suite struct ScalingAndCastTests {
    /// One distinct value standardizes to 0 (docs/etl.md), also where the batch mean is not exact: ten rows of
    /// 0.1 have a mean of 0.09999999999999999 and a tiny m2 that scaled every value to 1.
    @Test func aConstantColumnStandardizesToZero() {
        for value in [0.1, 0.3, 1e-300, 12_345.678_9] {
            var statistics = ColumnStatistics(name: "x", type: .float)
            statistics.add(Column(.float([Double](repeating: value, count: 10))))
            let scaled = ColumnScaling.apply(.standardize, to: Column(.float([value, value])), statistics: statistics)
            #expect(scaled.value(at: 0) == .float(0) && scaled.value(at: 1) == .float(0), "\(value)")
        }
        // Two values still scale as ever: (x − mean) / stddev.
        var statistics = ColumnStatistics(name: "x", type: .float)
        statistics.add(Column(.float([1, 3])))
        let scaled = ColumnScaling.apply(.standardize, to: Column(.float([1, 3])), statistics: statistics)
        #expect(scaled.value(at: 0) == .float(-1) && scaled.value(at: 1) == .float(1))
    }

    /// A float cast to int: null outside Int64's range, never a trap (2^63 ≤ x < 9.3e18 trapped).
    @Test func aFloatOutsideIntRangeCastsToNull() {
        #expect(ColumnCast.convert(.float(9.25e18), to: .int) == .null)
        #expect(ColumnCast.convert(.float(9_223_372_036_854_775_808.0), to: .int) == .null)
        #expect(ColumnCast.convert(.float(-9_223_372_036_854_775_808.0), to: .int) == .int(.min))
        #expect(ColumnCast.convert(.float(-9.25e18), to: .int) == .null)
        #expect(ColumnCast.convert(.float(9_223_372_036_854_774_784.0), to: .int) == .int(9_223_372_036_854_774_784))
        #expect(ColumnCast.convert(.float(-2.9), to: .int) == .int(-2))
        #expect(ColumnCast.convert(.float(.nan), to: .int) == .null)
        #expect(ColumnCast.convert(.float(.infinity), to: .int) == .null)
    }
}

@Suite struct ValueOrderingTests {
    /// Strings order by their UTF-8 bytes, both ways: canonically equivalent spellings are distinct values, and
    /// `max` does not depend on which came first.
    @Test func stringsOrderByTheirBytes() {
        let composed = Value.string("\u{E9}"), decomposed = Value.string("e\u{301}")
        #expect(ValueOrdering.compare(composed, decomposed) == 1)
        #expect(ValueOrdering.compare(decomposed, composed) == -1)
        #expect(ValueOrdering.compare(composed, composed) == 0)
        for rows in [["\u{E9}", "e\u{301}"], ["e\u{301}", "\u{E9}"]] {
            let aggregate = GroupedAggregate(keyTypes: [], kinds: [.init(.max, argumentType: .string)])
            aggregate.add(keys: [], arguments: [Column(.string(StringColumn(rows)))], orders: [nil], rows: 2)
            // Compared as bytes: `Value`'s == on strings would take either spelling.
            guard case .string(let max)? = aggregate.result(keyNames: [], valueNames: ["m"])["m"]?.value(at: 0) else {
                Issue.record("no string max")
                continue
            }
            #expect(Array(max.utf8) == [0xC3, 0xA9], "\(rows)")
        }
    }
}
