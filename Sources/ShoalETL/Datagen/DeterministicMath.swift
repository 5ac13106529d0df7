/// `log` and `exp` from IEEE additions, multiplications and divisions only, so that they give the same bits on
/// every machine. The platform's libm may differ in the last place between systems, and a generator whose
/// output must not depend on the machine cannot use it. Accurate to a few ulp, which is all sampling needs.
package enum DeterministicMath {
    // fdlibm's split of ln 2: `ln2High` has trailing zero bits, so `k * ln2High` is exact for |k| < 2^11.
    static let ln2High = 6.93147180369123816490e-01
    static let ln2Low = 1.90821492927058770002e-10

    /// Natural logarithm of a positive, finite `x` (`-inf` at 0, NaN below).
    package static func log(_ x: Double) -> Double {
        if x.isNaN || x < 0 { return .nan }
        if x == 0 { return -.infinity }
        if x.isInfinite { return x }
        var e = Int(x.exponent)
        var m = x.significand  // [1, 2), exact
        if m > 1.4142135623730951 {
            m *= 0.5
            e += 1
        }
        // log m = 2 atanh(t), t = (m − 1)/(m + 1), |t| ≤ 0.1716: eleven odd terms reach 1e-19.
        let t = (m - 1) / (m + 1)
        let t2 = t * t
        // Coefficients 1/(2k+1) as constants: no divisions in the hot path, and the same bits everywhere.
        var series = 1.0 / 23
        series = series * t2 + 1.0 / 21
        series = series * t2 + 1.0 / 19
        series = series * t2 + 1.0 / 17
        series = series * t2 + 1.0 / 15
        series = series * t2 + 1.0 / 13
        series = series * t2 + 1.0 / 11
        series = series * t2 + 1.0 / 9
        series = series * t2 + 1.0 / 7
        series = series * t2 + 1.0 / 5
        series = series * t2 + 1.0 / 3
        series = series * t2 + 1
        let logM = 2 * t * series
        let k = Double(e)
        return k * ln2High + (k * ln2Low + logM)
    }

    /// `e^x`.
    package static func exp(_ x: Double) -> Double {
        if x.isNaN { return x }
        if x > 709.78 { return .infinity }
        if x < -745.2 { return 0 }
        let k = (x * 1.4426950408889634).rounded()
        let r = (x - k * ln2High) - k * ln2Low  // |r| ≤ 0.35
        // Taylor to r^16/16!: the first dropped term is below 1e-20.
        // Horner on 1 + r(1 + r/2(1 + r/3(…))), with the reciprocals as constants.
        var p = 1.0
        p = 1 + p * r * (1.0 / 16)
        p = 1 + p * r * (1.0 / 15)
        p = 1 + p * r * (1.0 / 14)
        p = 1 + p * r * (1.0 / 13)
        p = 1 + p * r * (1.0 / 12)
        p = 1 + p * r * (1.0 / 11)
        p = 1 + p * r * (1.0 / 10)
        p = 1 + p * r * (1.0 / 9)
        p = 1 + p * r * (1.0 / 8)
        p = 1 + p * r * (1.0 / 7)
        p = 1 + p * r * (1.0 / 6)
        p = 1 + p * r * (1.0 / 5)
        p = 1 + p * r * (1.0 / 4)
        p = 1 + p * r * (1.0 / 3)
        p = 1 + p * r * 0.5
        p = 1 + p * r
        return Double(sign: .plus, exponent: Int(k), significand: p)
    }
}
