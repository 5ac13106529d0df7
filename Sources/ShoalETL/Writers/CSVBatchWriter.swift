/// The CSV writer's hot path: a batch's rows formatted through raw pointers into one buffer sized for the worst
/// case, then appended to the output in one copy.
///
/// Written by hand because this is where an ETL job's output time goes: the general path (`Array.append` per
/// value, a `switch` per value that retains the column's storage, `Double.description` per float) cost about a
/// quarter of a shard's time on the clicks benchmark. Here each column's storage is borrowed once per batch, and
/// floats with few decimals (prices, rates) take a fixed-point path that gives the same text as `description`.
enum CSVBatchWriter {
    /// Appends the rows of `columns` listed in `rows` (all when nil) as CSV lines.
    static func append(_ columns: [Column], count: Int, rows: [Int32]?, delimiter: UInt8, to out: inout [UInt8]) {
        guard count > 0 else { return }
        ColumnView.with(columns) { views in
            let bound = upperBound(views, count: count, rows: rows)
            let chunk = [UInt8](unsafeUninitializedCapacity: bound) { buffer, initialized in
                let base = buffer.baseAddress!
                var p = 0
                for r in 0..<count {
                    let row = rows.map { Int($0[r]) } ?? r
                    for (c, view) in views.enumerated() {
                        if c > 0 {
                            base[p] = delimiter
                            p += 1
                        }
                        if let validity = view.validity, !validity[row] { continue }
                        switch view.values {
                        case .int(let v): p += writeInt(v[row], to: base + p)
                        case .float(let v): p += writeFloat(v[row], to: base + p)
                        case .bool(let v): p += writeBool(v[row], to: base + p)
                        case .string(let bytes, let offsets):
                            p += writeField(
                                UnsafeBufferPointer(rebasing: bytes[Int(offsets[row])..<Int(offsets[row + 1])]),
                                delimiter: delimiter, to: base + p)
                        }
                    }
                    base[p] = UInt8(ascii: "\n")
                    p += 1
                }
                initialized = p
            }
            out.append(contentsOf: chunk)
        }
    }

    /// Bytes the rows can take at most: 20 per int, 32 per float, 5 per bool, a string's bytes twice plus its
    /// quotes, and a delimiter or newline per field.
    private static func upperBound(_ views: [ColumnView], count: Int, rows: [Int32]?) -> Int {
        var bound = count * views.count
        for view in views {
            switch view.values {
            case .int: bound += 20 * count
            case .float: bound += 32 * count
            case .bool: bound += 5 * count
            case .string(_, let offsets):
                var bytes = 0
                if let rows {
                    for row in rows { bytes += Int(offsets[Int(row) + 1] - offsets[Int(row)]) }
                } else {
                    bytes = Int(offsets[count] - offsets[0])
                }
                bound += 2 * bytes + 2 * count
            }
        }
        return bound
    }

    /// Decimal digits of `v`; returns how many bytes.
    @inline(__always)
    static func writeInt(_ v: Int64, to out: UnsafeMutablePointer<UInt8>) -> Int {
        var magnitude = v.magnitude
        var digits = 1
        var power: UInt64 = 10
        while digits < 20 && magnitude >= power {
            digits += 1
            power = power &* 10
        }
        let sign = v < 0 ? 1 : 0
        if sign == 1 { out[0] = UInt8(ascii: "-") }
        var i = sign + digits
        repeat {
            i -= 1
            out[i] = UInt8(ascii: "0") &+ UInt8(magnitude % 10)
            magnitude /= 10
        } while magnitude > 0
        return sign + digits
    }

    static let powersOfTen: [Double] = [1, 10, 100, 1e3, 1e4, 1e5, 1e6]

    /// The same text as `TextFormatting.appendFloat` (Swift's shortest round-trip `description`).
    @inline(__always)
    static func writeFloat(_ v: Double, to out: UnsafeMutablePointer<UInt8>) -> Int {
        let magnitude = v.magnitude
        if magnitude < 1e15, v == Double(Int64(v)) {
            let p = writeInt(Int64(v), to: out)
            out[p] = UInt8(ascii: ".")
            out[p + 1] = UInt8(ascii: "0")
            return p + 2
        }
        // Fixed point with up to 6 decimals, where `description` prints plain digits too (1e-4 ≤ |v| < 1e15):
        // the fewest decimals k whose integer m = |v|·10^k reads back as |v| exactly (m / 10^k == |v|, both
        // exact doubles, so the division is the correctly rounded parse of the text) give the shortest text.
        if magnitude >= 1e-4, magnitude < 1e9 {
            // Below 1e9 one test decides: |v|·10^6 is within 0.1 of an integer M, so when some k ≤ 6 fits, M is
            // m·10^(6−k) and reads back as |v| too; stripping M's trailing zeros then finds the fewest
            // decimals (a shorter text that read back would have shown as more zeros). Full-precision values
            // (rates, means) fail this one test instead of six.
            // (x + 0.5 truncated, not `rounded()`: a libm call on the baseline x86-64 target. Where it would
            // round a tie the other way, the read-back test fails and `description` decides: never wrong.)
            let scaled = Double(Int64(magnitude * 1e6 + 0.5))
            if scaled / 1e6 == magnitude {
                var m = UInt64(scaled)
                var k = 6
                while m % 10 == 0 {
                    m /= 10
                    k -= 1
                }
                return writeFixed(negative: v < 0, m, decimals: k, to: out)
            }
        } else if magnitude >= 1e9, magnitude < 1e15 {
            for k in 1...6 {
                let scaled = (magnitude * powersOfTen[k]).rounded()
                guard scaled < 9e15, scaled / powersOfTen[k] == magnitude else { continue }
                return writeFixed(negative: v < 0, UInt64(scaled), decimals: k, to: out)
            }
        }
        var text = v.description
        return text.withUTF8 { utf8 in
            out.update(from: utf8.baseAddress!, count: utf8.count)
            return utf8.count
        }
    }

    /// `m / 10^decimals` in fixed point, the fraction zero-padded on the left to `decimals` digits.
    @inline(__always)
    private static func writeFixed(negative: Bool, _ m: UInt64, decimals k: Int, to out: UnsafeMutablePointer<UInt8>) -> Int {
        var p = 0
        if negative {
            out[0] = UInt8(ascii: "-")
            p = 1
        }
        let divisor = UInt64(powersOfTen[k])
        var fraction = m % divisor
        p += writeInt(Int64(m / divisor), to: out + p)
        out[p] = UInt8(ascii: ".")
        p += 1
        var i = p + k
        for _ in 0..<k {
            i -= 1
            out[i] = UInt8(ascii: "0") &+ UInt8(fraction % 10)
            fraction /= 10
        }
        return p + k
    }

    @inline(__always)
    static func writeBool(_ v: Bool, to out: UnsafeMutablePointer<UInt8>) -> Int {
        let text: StaticString = v ? "true" : "false"
        out.update(from: text.utf8Start, count: text.utf8CodeUnitCount)
        return text.utf8CodeUnitCount
    }

    /// A field, quoted (quotes doubled) only when it holds the delimiter, a quote, CR or LF — or nothing: an empty
    /// string is `""`, so that it reads back as itself and not as null (an empty field).
    @inline(__always)
    static func writeField(_ field: UnsafeBufferPointer<UInt8>, delimiter: UInt8, to out: UnsafeMutablePointer<UInt8>) -> Int {
        let quote = UInt8(ascii: "\"")
        var needsQuotes = field.isEmpty
        for byte in field where byte == delimiter || byte == quote || byte == 10 || byte == 13 {
            needsQuotes = true
            break
        }
        guard needsQuotes else {
            if let base = field.baseAddress { out.update(from: base, count: field.count) }
            return field.count
        }
        var p = 0
        out[p] = quote
        p += 1
        for byte in field {
            if byte == quote {
                out[p] = quote
                p += 1
            }
            out[p] = byte
            p += 1
        }
        out[p] = quote
        return p + 1
    }
}
