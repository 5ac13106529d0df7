import Foundation

extension Kernel {
    /// `== != < <= > >=` over two operands of the same type. Numbers compare as numbers (NaN compares false),
    /// strings by their UTF-8 bytes, bools with false < true.
    static func compare(_ op: ComparisonOperator, _ l: Operand, _ r: Operand, type: DataType, count n: Int) -> Operand {
        if l.isNullConstant || r.isNullConstant { return .constant(.null) }
        let validity = both(l.validity, r.validity)
        let result: [Bool]
        switch type {
        case .int: result = compare(op, l.ints, r.ints, count: n)
        case .float: result = compare(op, l.floats, r.floats, count: n)
        case .bool:
            let a = l.bools
            let b = r.bools
            switch op {
            case .equal: result = zip(a, b, count: n) { $0 == $1 }
            case .notEqual: result = zip(a, b, count: n) { $0 != $1 }
            case .less: result = zip(a, b, count: n) { bitAnd(!$0, $1) }
            case .lessOrEqual: result = zip(a, b, count: n) { bitOr(!$0, $1) }
            case .greater: result = zip(a, b, count: n) { bitAnd($0, !$1) }
            case .greaterOrEqual: result = zip(a, b, count: n) { bitOr($0, !$1) }
            }
        case .string: result = compareStrings(op, l.strings, r.strings, count: n)
        }
        return .vector(.bool(result), validity: validity)
    }

    @inline(__always)
    private static func compare<T: Comparable>(_ op: ComparisonOperator, _ a: Lane<T>, _ b: Lane<T>, count n: Int) -> [Bool] {
        switch op {
        case .equal: zip(a, b, count: n) { $0 == $1 }
        case .notEqual: zip(a, b, count: n) { $0 != $1 }
        case .less: zip(a, b, count: n) { $0 < $1 }
        case .lessOrEqual: zip(a, b, count: n) { $0 <= $1 }
        case .greater: zip(a, b, count: n) { $0 > $1 }
        case .greaterOrEqual: zip(a, b, count: n) { $0 >= $1 }
        }
    }

    private static func compareStrings(
        _ op: ComparisonOperator, _ a: StringLane, _ b: StringLane, count n: Int
    ) -> [Bool] {
        switch (a, b) {
        case (.array(let column), .scalar(let literal)):
            return compareStrings(op, column, literal: literal.bytes, count: n)
        case (.scalar(let literal), .array(let column)):
            return compareStrings(op.swapped, column, literal: literal.bytes, count: n)
        case (.array(let x), .array(let y)):
            return x.bytes.withUnsafeBufferPointer { xb in
                x.offsets.withUnsafeBufferPointer { xo in
                    y.bytes.withUnsafeBufferPointer { yb in
                        y.offsets.withUnsafeBufferPointer { yo in
                            orderedStrings(op, count: n) { i in
                                let xs = Int(xo[i])
                                let ys = Int(yo[i])
                                return compareBytes(
                                    xb.baseAddress.map { $0 + xs }, Int(xo[i + 1]) - xs,
                                    yb.baseAddress.map { $0 + ys }, Int(yo[i + 1]) - ys)
                            }
                        }
                    }
                }
            }
        case (.scalar(let x), .scalar(let y)):
            let order = compareBytesOf(x.bytes, y.bytes)
            return [Bool](repeating: holds(op, order), count: n)
        }
    }

    /// A string column against one literal: `==`/`!=` check the length first and compare bytes only when
    /// it matches; no `String` is made.
    private static func compareStrings(_ op: ComparisonOperator, _ column: StringColumn, literal: [UInt8], count n: Int) -> [Bool] {
        column.bytes.withUnsafeBufferPointer { bytes in
            column.offsets.withUnsafeBufferPointer { offsets in
                literal.withUnsafeBufferPointer { literal in
                    let length = literal.count
                    let base = bytes.baseAddress
                    switch op {
                    case .equal, .notEqual:
                        return equalStrings(bytes, offsets, literal, count: n, wanted: op == .equal)
                    default:
                        return orderedStrings(op, count: n) { i in
                            let start = Int(offsets[i])
                            return compareBytes(base.map { $0 + start }, Int(offsets[i + 1]) - start, literal.baseAddress, length)
                        }
                    }
                }
            }
        }
    }

    /// Whether each string equals `literal` (or not, when `wanted` is false). Literals up to 16 bytes are
    /// compared as two masked 8-byte words read straight from the buffer, with no call and no branch per row;
    /// longer ones call `memcmp` only where the length matches.
    private static func equalStrings(
        _ bytes: UnsafeBufferPointer<UInt8>, _ offsets: UnsafeBufferPointer<Int32>, _ literal: UnsafeBufferPointer<UInt8>,
        count n: Int, wanted: Bool
    ) -> [Bool] {
        let length = literal.count
        let total = bytes.count
        return [Bool](unsafeUninitializedCapacity: n) { out, initialized in
            defer { initialized = n }
            guard let base = bytes.baseAddress, length > 0 else {
                for i in 0..<n { out[i] = (offsets[i + 1] == offsets[i]) == wanted }
                return
            }
            if length <= 16 {
                // The literal's bytes as little-endian words, and masks for the bytes it has.
                var words: (UInt64, UInt64) = (0, 0)
                withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: UnsafeRawBufferPointer(literal)) }
                let low: UInt64 = length >= 8 ? ~0 : (1 << (8 * UInt64(length))) &- 1
                let high: UInt64 = length >= 16 ? ~0 : length <= 8 ? 0 : (1 << (8 * UInt64(length - 8))) &- 1
                let raw = UnsafeRawPointer(base)
                for i in 0..<n {
                    let start = Int(offsets[i])
                    var same = Int(offsets[i + 1]) - start == length
                    if start + 16 <= total {
                        let a = raw.loadUnaligned(fromByteOffset: start, as: UInt64.self)
                        let b = raw.loadUnaligned(fromByteOffset: start + 8, as: UInt64.self)
                        // Both tests always run (no short-circuit), so there is no branch to mispredict.
                        let bytesMatch = ((a ^ words.0) & low) | ((b ^ words.1) & high) == 0
                        same = (UInt8(same ? 1 : 0) & UInt8(bytesMatch ? 1 : 0)) != 0
                    } else if same {
                        // Near the end of the buffer: a 16-byte read would run past it.
                        same = memcmp(base + start, literal.baseAddress!, length) == 0
                    }
                    out[i] = same == wanted
                }
            } else {
                for i in 0..<n {
                    let start = Int(offsets[i])
                    var same = Int(offsets[i + 1]) - start == length
                    if same { same = memcmp(base + start, literal.baseAddress!, length) == 0 }
                    out[i] = same == wanted
                }
            }
        }
    }

    /// Applies `op` to the three-way order `order(i)` of each row.
    @inline(__always)
    private static func orderedStrings(_ op: ComparisonOperator, count n: Int, _ order: (Int) -> Int) -> [Bool] {
        [Bool](unsafeUninitializedCapacity: n) { out, initialized in
            for i in 0..<n { out[i] = holds(op, order(i)) }
            initialized = n
        }
    }

    @inline(__always)
    static func holds(_ op: ComparisonOperator, _ order: Int) -> Bool {
        switch op {
        case .equal: order == 0
        case .notEqual: order != 0
        case .less: order < 0
        case .lessOrEqual: order <= 0
        case .greater: order > 0
        case .greaterOrEqual: order >= 0
        }
    }

    /// Byte-wise three-way comparison: <0, 0 or >0; a prefix sorts first.
    @inline(__always)
    static func compareBytes(_ a: UnsafePointer<UInt8>?, _ aCount: Int, _ b: UnsafePointer<UInt8>?, _ bCount: Int) -> Int {
        let common = Swift.min(aCount, bCount)
        if common > 0, let a, let b {
            let c = memcmp(a, b, common)
            if c != 0 { return Int(c) }
        }
        return aCount - bCount
    }

    static func compareBytesOf(_ a: [UInt8], _ b: [UInt8]) -> Int {
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in compareBytes(a.baseAddress, a.count, b.baseAddress, b.count) }
        }
    }
}
