import Foundation

/// Numbers and booleans parsed straight from a field's bytes, without making a `String`.
///
/// Grammar (the same for CSV fields and JSON numbers' text): int is `[+-]?[0-9]+` within Int64; float is
/// `[+-]?(digits[.digits]|.digits)([eE][+-]?digits)?` or `nan`, `inf`, `infinity` (any case, optional sign);
/// bool is `true`/`false` in any case, or `1`/`0`. No surrounding spaces.
enum ByteNumberParser {
    /// The field as an Int64, or nil if it is not one or does not fit.
    @inline(__always)
    static func int(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int64? {
        var i = 0
        var negative = false
        if n > 0 && (p[0] == UInt8(ascii: "-") || p[0] == UInt8(ascii: "+")) {
            negative = p[0] == UInt8(ascii: "-")
            i = 1
        }
        let digits = n - i
        guard digits > 0 else { return nil }
        if digits <= 18 {  // 10^18 - 1 < 2^63: no overflow possible
            var v: Int64 = 0
            while i < n {
                let d = p[i] &- 48
                if d > 9 { return nil }
                v = v &* 10 &+ Int64(d)
                i += 1
            }
            return negative ? -v : v
        }
        var v: UInt64 = 0
        while i < n {
            let d = p[i] &- 48
            if d > 9 { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(d))
            if o1 || o2 { return nil }
            v = a
            i += 1
        }
        if negative {
            return v <= UInt64(Int64.max) + 1 ? Int64(bitPattern: 0 &- v) : nil
        }
        return v <= UInt64(Int64.max) ? Int64(v) : nil
    }

    /// Whether a field that failed `int` has the shape of an integer (so the failure is its range).
    static func looksLikeInteger(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        var i = n > 0 && (p[0] == UInt8(ascii: "-") || p[0] == UInt8(ascii: "+")) ? 1 : 0
        guard i < n else { return false }
        while i < n {
            if p[i] &- 48 > 9 { return false }
            i += 1
        }
        return true
    }

    /// Exact powers of ten: every 10^k with k ≤ 22 is a Double without rounding.
    @usableFromInline
    static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
        1e19, 1e20, 1e21, 1e22,
    ]

    /// The field as a correctly rounded Double, or nil if it is not a decimal number.
    ///
    /// Clinger's fast path: when the decimal significand `w` is at most 2^53 and the exponent `e` has
    /// |e| ≤ 22, both `w` and 10^|e| are exact Doubles, so one IEEE multiplication or division rounds the exact
    /// value once: the correctly rounded result. Everything else (more than 19 digits, large exponents) goes to
    /// `strtod`, which is correctly rounded too, on a NUL-terminated copy.
    @inline(__always)
    static func double(_ p: UnsafePointer<UInt8>, _ n: Int) -> Double? {
        var i = 0
        var negative = false
        if n > 0 && (p[0] == UInt8(ascii: "-") || p[0] == UInt8(ascii: "+")) {
            negative = p[0] == UInt8(ascii: "-")
            i = 1
        }
        var w: UInt64 = 0
        var significant = 0  // digits in w, leading zeros excepted
        var exponent = 0
        var sawDigit = false
        var truncated = false
        while i < n {
            let d = p[i] &- 48
            if d > 9 { break }
            sawDigit = true
            if significant < 19 {
                if w != 0 || d != 0 {
                    w = w &* 10 &+ UInt64(d)
                    significant += 1
                }
            } else {
                exponent += 1
                truncated = truncated || d != 0
            }
            i += 1
        }
        if i < n && p[i] == UInt8(ascii: ".") {
            i += 1
            while i < n {
                let d = p[i] &- 48
                if d > 9 { break }
                sawDigit = true
                if significant < 19 {
                    if w != 0 || d != 0 {
                        w = w &* 10 &+ UInt64(d)
                        significant += 1
                    }
                    exponent -= 1
                } else {
                    truncated = truncated || d != 0
                }
                i += 1
            }
        }
        guard sawDigit else { return special(p, n) }
        if i < n && (p[i] | 0x20) == UInt8(ascii: "e") {
            i += 1
            var negativeExponent = false
            if i < n && (p[i] == UInt8(ascii: "-") || p[i] == UInt8(ascii: "+")) {
                negativeExponent = p[i] == UInt8(ascii: "-")
                i += 1
            }
            guard i < n else { return nil }
            var e = 0
            while i < n {
                let d = p[i] &- 48
                if d > 9 { return nil }
                if e < 100_000 { e = e * 10 + Int(d) }  // far beyond any Double; keeps the sum from overflowing
                i += 1
            }
            exponent += negativeExponent ? -e : e
        }
        guard i == n else { return nil }
        if w == 0 { return negative ? -0.0 : 0.0 }
        if !truncated && w <= 1 << 53 {
            if exponent >= 0 && exponent <= 22 {
                let v = Double(w) * exactPowersOfTen[exponent]
                return negative ? -v : v
            }
            if exponent < 0 && exponent >= -22 {
                let v = Double(w) / exactPowersOfTen[-exponent]
                return negative ? -v : v
            }
            // w·10^(e−22) may still be an exact integer below 2^53 (e.g. 12e30): then one rounding again.
            if exponent > 22 && exponent <= 22 + 15 {
                let (scaled, overflow) = w.multipliedReportingOverflow(by: UInt64(exactPowersOfTen[exponent - 22]))
                if !overflow && scaled <= 1 << 53 {
                    let v = Double(scaled) * 1e22
                    return negative ? -v : v
                }
            }
        }
        return viaStrtod(p, n)
    }

    /// `strtod` on a NUL-terminated copy of a field already checked against the grammar.
    @inline(never)
    static func viaStrtod(_ p: UnsafePointer<UInt8>, _ n: Int) -> Double? {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: n + 1) { buffer in
            let b = buffer.baseAddress!
            UnsafeMutableRawPointer(b).copyMemory(from: p, byteCount: n)
            b[n] = 0
            var endPointer: UnsafeMutablePointer<CChar>? = nil
            let v = strtod(b, &endPointer)
            return endPointer == b + n ? v : nil
        }
    }

    /// `nan`, `inf`, `infinity`, with an optional sign, in any case.
    @inline(never)
    static func special(_ p: UnsafePointer<UInt8>, _ n: Int) -> Double? {
        var i = 0
        var negative = false
        if n > 0 && (p[0] == UInt8(ascii: "-") || p[0] == UInt8(ascii: "+")) {
            negative = p[0] == UInt8(ascii: "-")
            i = 1
        }
        let word = UnsafeBufferPointer(start: p + i, count: n - i)
        if equalsIgnoringCase(word, "nan") { return .nan }
        if equalsIgnoringCase(word, "inf") || equalsIgnoringCase(word, "infinity") {
            return negative ? -.infinity : .infinity
        }
        return nil
    }

    /// `true`/`false` in any case, or `1`/`0`.
    @inline(__always)
    static func bool(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool? {
        if n == 1 {
            if p[0] == UInt8(ascii: "1") { return true }
            if p[0] == UInt8(ascii: "0") { return false }
            return nil
        }
        let word = UnsafeBufferPointer(start: p, count: n)
        if n == 4 && equalsIgnoringCase(word, "true") { return true }
        if n == 5 && equalsIgnoringCase(word, "false") { return false }
        return nil
    }

    /// `true`/`false` in any case: what schema inference takes for a bool column (0/1 infer as int).
    static func isBoolWord(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        n >= 4 && bool(p, n) != nil
    }

    /// ASCII comparison where `lowercase` is already lowercase.
    @inline(__always)
    static func equalsIgnoringCase(_ bytes: UnsafeBufferPointer<UInt8>, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        let l = lowercase.utf8Start
        for k in 0..<bytes.count where bytes[k] | 0x20 != l[k] { return false }
        return true
    }
}
