import Foundation

extension Kernel {
    /// A built-in function over evaluated arguments, already of the types the binder planned.
    static func call(_ function: ExpressionFunction, _ arguments: [Operand], type: DataType, count n: Int) -> Operand {
        if function.propagatesNull, arguments.contains(where: \.isNullConstant) { return .constant(.null) }
        switch function {
        case .abs:
            let x = arguments[0]
            switch type {
            case .int: return .vector(.int(zip(x.ints, .scalar(()), count: n) { v, _ in v < 0 ? 0 &- v : v }), validity: x.validity)
            default: return .vector(.float(zip(x.floats, .scalar(()), count: n) { v, _ in Swift.abs(v) }), validity: x.validity)
            }
        case .log: return floatFunction(arguments[0], count: n, Foundation.log) { $0 > 0 }
        case .exp: return floatFunction(arguments[0], count: n, Foundation.exp, defined: nil)
        case .sqrt: return floatFunction(arguments[0], count: n, Foundation.sqrt) { $0 >= 0 }
        case .pow: return power(arguments[0], arguments[1], count: n)
        case .min, .max:
            var result = arguments[0]
            for next in arguments.dropFirst() { result = extreme(result, next, smallest: function == .min, type: type, count: n) }
            return result
        case .coalesce: return coalesce(arguments, type: type, count: n)
        case .if: return ifThenElse(arguments[0], arguments[1], arguments[2], type: type, count: n)
        case .lower: return mapASCII(arguments[0], count: n) { $0 &- 65 < 26 ? $0 | 0x20 : $0 }
        case .upper: return mapASCII(arguments[0], count: n) { $0 &- 97 < 26 ? $0 & 0xDF : $0 }
        case .length: return length(arguments[0], count: n)
        }
    }

    /// `f` of a float operand; rows where `defined` is false (a logarithm of a non-positive number) are null.
    @inline(__always)
    private static func floatFunction(
        _ x: Operand, count n: Int, _ f: (Double) -> Double, defined: ((Double) -> Bool)?
    ) -> Operand {
        let values = x.floats
        let result = zip(values, .scalar(()), count: n) { v, _ in f(v) }
        guard let defined else { return .vector(.float(result), validity: x.validity) }
        return .vector(.float(result), validity: restrict(x.validity, values, count: n, defined))
    }

    /// `pow(a, b)`, null where the real result does not exist: a negative base with a fractional exponent, or a
    /// zero base with a negative exponent.
    private static func power(_ a: Operand, _ b: Operand, count n: Int) -> Operand {
        let x = a.floats
        let y = b.floats
        let values = zip(x, y, count: n) { Foundation.pow($0, $1) }
        let defined = zip(x, y, count: n) { base, exponent in
            !((base < 0 && exponent.rounded(.towardZero) != exponent) || (base == 0 && exponent < 0))
        }
        let validity = both(both(a.validity, b.validity), defined)
        return .vector(.float(values), validity: validity)
    }

    /// The smaller (or larger) of two operands per row, null if either is. Ties keep the first.
    private static func extreme(_ l: Operand, _ r: Operand, smallest: Bool, type: DataType, count n: Int) -> Operand {
        if l.isNullConstant || r.isNullConstant { return .constant(.null) }
        let validity = both(l.validity, r.validity)
        switch type {
        case .int:
            let values = smallest ? zip(l.ints, r.ints, count: n) { $1 < $0 ? $1 : $0 } : zip(l.ints, r.ints, count: n) { $1 > $0 ? $1 : $0 }
            return .vector(.int(values), validity: validity)
        case .float:
            let values =
                smallest ? zip(l.floats, r.floats, count: n) { $1 < $0 ? $1 : $0 } : zip(l.floats, r.floats, count: n) { $1 > $0 ? $1 : $0 }
            return .vector(.float(values), validity: validity)
        case .bool:
            let values = smallest ? zip(l.bools, r.bools, count: n) { bitAnd($0, $1) } : zip(l.bools, r.bools, count: n) { bitOr($0, $1) }
            return .vector(.bool(values), validity: validity)
        case .string:
            let takeRight = compare(smallest ? .less : .greater, r, l, type: .string, count: n)
            guard case .vector(.bool(let mask), _) = takeRight else { preconditionFailure("string comparison") }
            let chosen = select(mask, r, l, type: .string, count: n)
            guard case .vector(let data, _) = chosen else { preconditionFailure("string selection") }
            return .vector(data, validity: validity)
        }
    }

    /// The first non-null argument per row; null if all are.
    private static func coalesce(_ arguments: [Operand], type: DataType, count n: Int) -> Operand {
        var result = arguments[arguments.count - 1]
        for argument in arguments.dropLast().reversed() {
            switch argument {
            case .constant(.null): continue
            case .constant: result = argument
            case .vector(_, nil): result = argument
            case .vector(_, let validity?): result = select(validity, argument, result, type: type, count: n)
            }
        }
        return result
    }

    /// `if(c, a, b)`: `a` where `c` is true, `b` where it is false or null.
    private static func ifThenElse(_ condition: Operand, _ a: Operand, _ b: Operand, type: DataType, count n: Int) -> Operand {
        let mask: [Bool]
        switch condition {
        case .constant(let value): return value == .bool(true) ? a : b
        case .vector(.bool(let values), nil): mask = values
        case .vector(.bool(let values), let validity?): mask = zip(.array(values), .array(validity), count: n) { bitAnd($0, $1) }
        case .vector(let data, _): preconditionFailure("'if' condition of \(data.type)")
        }
        return select(mask, a, b, type: type, count: n)
    }

    /// Row by row, `a` where `mask` is true and `b` elsewhere, values and validity both.
    static func select(_ mask: [Bool], _ a: Operand, _ b: Operand, type: DataType, count n: Int) -> Operand {
        let va = a.validityLane
        let vb = b.validityLane
        let validity: [Bool]?
        if case .scalar(true) = va, case .scalar(true) = vb { validity = nil } else { validity = select(mask, va, vb, blend) }
        switch type {
        case .int: return .vector(.int(select(mask, a.ints, b.ints, blend)), validity: validity)
        case .float: return .vector(.float(select(mask, a.floats, b.floats, blend)), validity: validity)
        case .bool: return .vector(.bool(select(mask, a.bools, b.bools, blend)), validity: validity)
        case .string: return .vector(.string(selectStrings(mask, a.strings, b.strings)), validity: validity)
        }
    }

    private static func selectStrings(_ mask: [Bool], _ a: StringLane, _ b: StringLane) -> StringColumn {
        // A scalar lane is a one-string column read at row 0 for every row.
        func source(_ lane: StringLane) -> (StringColumn, Bool) {
            switch lane {
            case .array(let column): (column, false)
            case .scalar(let column): (column, true)
            }
        }
        let (x, xScalar) = source(a)
        let (y, yScalar) = source(b)
        var out = StringColumn()
        out.reserveCapacity(strings: mask.count, bytes: Swift.max(x.bytes.count, y.bytes.count))
        x.bytes.withUnsafeBytes { xb in
            y.bytes.withUnsafeBytes { yb in
                for i in 0..<mask.count {
                    if mask[i] {
                        out.append(UnsafeRawBufferPointer(rebasing: xb[x.range(xScalar ? 0 : i)]))
                    } else {
                        out.append(UnsafeRawBufferPointer(rebasing: yb[y.range(yScalar ? 0 : i)]))
                    }
                }
            }
        }
        return out
    }

    /// `lower`/`upper`: a byte map over the whole buffer. ASCII letters only; every other byte (and so every
    /// multi-byte UTF-8 sequence) is kept, and the offsets are shared.
    @inline(__always)
    private static func mapASCII(_ x: Operand, count n: Int, _ f: (UInt8) -> UInt8) -> Operand {
        let (data, validity) = x.vector(.string, count: n)
        guard case .string(let strings) = data else { preconditionFailure("string function of \(data.type)") }
        return .vector(.string(StringColumn(bytes: map(strings.bytes, f), offsets: strings.offsets)), validity: validity)
    }

    /// `length`: Unicode code points per string, counted as the bytes that do not continue a UTF-8 sequence.
    private static func length(_ x: Operand, count n: Int) -> Operand {
        let (data, validity) = x.vector(.string, count: n)
        guard case .string(let strings) = data else { preconditionFailure("length of \(data.type)") }
        let lengths = strings.bytes.withUnsafeBufferPointer { bytes in
            strings.offsets.withUnsafeBufferPointer { offsets in
                [Int64](unsafeUninitializedCapacity: n) { out, initialized in
                    for i in 0..<n {
                        var count: Int64 = 0
                        for j in Int(offsets[i])..<Int(offsets[i + 1]) { count &+= (bytes[j] & 0xC0) != 0x80 ? 1 : 0 }
                        out[i] = count
                    }
                    initialized = n
                }
            }
        }
        return .vector(.int(lengths), validity: validity)
    }
}
