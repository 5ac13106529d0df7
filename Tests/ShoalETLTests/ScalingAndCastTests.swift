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
