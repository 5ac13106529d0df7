/// A sum of `Float` vectors that gives the same bits whatever the order or grouping of its terms.
///
/// Float addition is not associative, so a gradient summed as (a + b) + c on one worker and a + (b + c) over two
/// differs in its last bits, and training drifts apart with the world size. Here every term is first made an
/// integer — the value times 2^64, rounded — and integers add associatively: two workers' partial sums, added
/// at the coordinator in either order, give exactly what one worker would have.
///
/// Each term is exact for |x| ≥ 2^−40 (a `Float` has 24 significant bits, all above 2^−64 there) and rounded to
/// 2^−64 below it. Terms must be finite and below 2^62 in magnitude, and sums below 2^63 (a gradient beyond that
/// has diverged): either is an error, never a wrapped value.
public struct FixedPointVector: Sendable, Equatable {
    public static let fractionBits = 64
    public private(set) var values: [Int128]

    public init(count: Int) {
        values = [Int128](repeating: 0, count: count)
    }

    public init(values: [Int128]) {
        self.values = values
    }

    public var count: Int { values.count }

    /// Adds `terms` element-wise.
    /// - Throws: `FixedPointError` at the first element that is not finite or too large.
    public mutating func add(_ terms: UnsafeBufferPointer<Float>) throws(FixedPointError) {
        precondition(terms.count == values.count, "adding a vector of another length")
        try values.withUnsafeMutableBufferPointer { (sums) throws(FixedPointError) in
            for i in 0..<terms.count {
                guard let fixed = Self.fixed(terms[i]) else { throw FixedPointError(index: i, value: Double(terms[i])) }
                let (sum, overflow) = sums[i].addingReportingOverflow(fixed)
                guard !overflow else { throw FixedPointError(index: i, value: Double(terms[i])) }
                sums[i] = sum
            }
        }
    }

    public mutating func add(_ terms: [Float]) throws(FixedPointError) {
        try terms.withUnsafeBufferPointer { (buffer) throws(FixedPointError) in try add(buffer) }
    }

    /// Adds another sum element-wise.
    /// - Throws: `FixedPointError` when a sum leaves `Int128`'s range (a gradient of about 2^63: diverged).
    public mutating func add(_ other: FixedPointVector) throws(FixedPointError) {
        let result = other.values.withUnsafeBytes { raw in
            Result { () throws(FixedPointError) in try add(littleEndian: raw) }
        }
        try result.get()
    }

    /// Adds a sum given as little-endian `Int128`s at any alignment (a gradient file's values where they arrived).
    /// - Throws: `FixedPointError` when a sum leaves `Int128`'s range (a gradient of about 2^63: diverged).
    public mutating func add(littleEndian raw: UnsafeRawBufferPointer) throws(FixedPointError) {
        precondition(raw.count == 16 * values.count, "adding a vector of another length")
        try values.withUnsafeMutableBufferPointer { (sums) throws(FixedPointError) in
            for i in 0..<sums.count {
                let low = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 16 * i, as: UInt64.self))
                let high = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 16 * i + 8, as: UInt64.self))
                let term = Int128(bitPattern: UInt128(high) << 64 | UInt128(low))
                let (sum, overflow) = sums[i].addingReportingOverflow(term)
                guard !overflow else { throw FixedPointError(index: i, value: Self.double(term)) }
                sums[i] = sum
            }
        }
    }

    /// `Σ sources[k][i] / divisor` as `Float` for `i` in `range`, into `output[i − range.lowerBound]`: the mean of
    /// fixed-point sums read where they lie (little-endian `Int128`s at any alignment), added in the order given —
    /// the same bits as adding them into a vector and taking `quotients`, without the vector.
    /// - Throws: `FixedPointError` when a sum leaves `Int128`'s range (a gradient of about 2^63: diverged).
    public static func quotients(
        ofSums sources: [UnsafeRawPointer], range: Range<Int>, dividedBy divisor: Int, into output: UnsafeMutablePointer<Float>
    ) throws(FixedPointError) {
        let scale = 0x1p-64 / Double(divisor)
        for i in range {
            var sum: Int128 = 0
            for source in sources {
                let low = UInt64(littleEndian: source.loadUnaligned(fromByteOffset: 16 * i, as: UInt64.self))
                let high = UInt64(littleEndian: source.loadUnaligned(fromByteOffset: 16 * i + 8, as: UInt64.self))
                let term = Int128(bitPattern: UInt128(high) << 64 | UInt128(low))
                let (next, overflow) = sum.addingReportingOverflow(term)
                guard !overflow else { throw FixedPointError(index: i, value: double(term)) }
                sum = next
            }
            output[i - range.lowerBound] = Float(Double(sum) * scale)
        }
    }

    /// Each sum divided by `divisor`, as `Float` (the mean gradient of a step's examples).
    public func quotients(dividedBy divisor: Int) -> [Float] {
        let scale = 0x1p-64 / Double(divisor)
        return values.map { Float(Double($0) * scale) }
    }

    /// `x · 2^64` rounded to the nearest integer (ties away from zero), from the bits of `x`; nil for NaN,
    /// infinity and |x| ≥ 2^62.
    @inline(__always)
    static func fixed(_ x: Float) -> Int128? {
        let bits = x.bitPattern
        let exponent = Int((bits >> 23) & 0xFF)
        guard exponent != 0xFF else { return nil }
        // x = m · 2^(exponent − 150) for normal x (24-bit m with the implicit one); subnormals are below 2^−126
        // and round to zero here.
        guard exponent != 0 else { return 0 }
        let m = Int128(bits & 0x7F_FFFF | 0x80_0000)
        let shift = exponent - 150 + fractionBits
        let magnitude: Int128
        if shift >= 0 {
            guard shift <= 102 else { return nil }  // 24 + 102 = 126 bits: |x| < 2^62
            magnitude = m << shift
        } else if shift > -25 {
            magnitude = (m + (1 << (-shift - 1))) >> -shift
        } else {
            magnitude = 0
        }
        return bits >> 31 == 1 ? -magnitude : magnitude
    }

    /// `x · 2^64` rounded, for the few `Double` sums of a step (its loss); nil when not finite or |x| ≥ 2^62.
    public static func fixed(_ x: Double) -> Int128? {
        guard x.isFinite, abs(x) < 0x1p62 else { return nil }
        return Int128((x * 0x1p64).rounded())
    }

    /// A fixed-point value back as a `Double`.
    public static func double(_ fixed: Int128) -> Double { Double(fixed) * 0x1p-64 }
}

/// A term of a fixed-point sum that is not a finite number below 2^62: a diverged gradient.
public struct FixedPointError: Error, Sendable, Equatable, CustomStringConvertible {
    public var index: Int
    public var value: Double
    public var description: String { "element \(index) is \(value), not a finite number below 2^62" }
}
