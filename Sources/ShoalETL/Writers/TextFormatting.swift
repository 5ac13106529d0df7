/// Appends values as text straight into an output byte buffer: the writers' hot path makes no `String` per
/// value for ints and bools, and floats go through Swift's shortest round-trip formatting, which stays in a
/// small inline string (no allocation) for the ≤ 15 bytes most values need.
enum TextFormatting {
    /// Decimal digits of `v`.
    @inline(__always)
    static func appendInt(_ v: Int64, to out: inout [UInt8]) {
        if v == 0 {
            out.append(UInt8(ascii: "0"))
            return
        }
        var magnitude = v.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch: 20 digits and a sign fit
        let written = withUnsafeMutableBytes(of: &digits) { raw -> Int in
            var i = raw.count
            while magnitude > 0 {
                i -= 1
                raw[i] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            }
            if v < 0 {
                i -= 1
                raw[i] = UInt8(ascii: "-")
            }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[i...]))
            return raw.count - i
        }
        _ = written
    }

    /// Shortest text that reads back as the same double; non-finite values as `nan`, `inf`, `-inf`.
    @inline(__always)
    static func appendFloat(_ v: Double, to out: inout [UInt8]) {
        if v.isFinite, v == v.rounded(.towardZero), v.magnitude < 1e15 {
            // Whole numbers print as "3.0" (Swift's description), which also keeps the column's type visible.
            appendInt(Int64(v), to: &out)
            out.append(contentsOf: [UInt8(ascii: "."), UInt8(ascii: "0")])
            return
        }
        var text = v.description
        text.withUTF8 { out.append(contentsOf: $0) }
    }

    @inline(__always)
    static func appendBool(_ v: Bool, to out: inout [UInt8]) {
        out.append(contentsOf: v ? trueBytes : falseBytes)
    }

    static let trueBytes = Array("true".utf8)
    static let falseBytes = Array("false".utf8)
}
