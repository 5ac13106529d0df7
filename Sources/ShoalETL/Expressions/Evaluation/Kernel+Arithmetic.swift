import Foundation

extension Kernel {
    /// `+ - * / // %` over two operands of the same numeric type. Ints wrap on overflow; a zero divisor gives
    /// null.
    static func arithmetic(_ op: ArithmeticOperator, _ l: Operand, _ r: Operand, type: DataType, count n: Int) -> Operand {
        if l.isNullConstant || r.isNullConstant { return .constant(.null) }
        var validity = both(l.validity, r.validity)
        let data: ColumnData
        switch type {
        case .int:
            let a = l.ints
            let b = r.ints
            switch op {
            case .add: data = .int(zip(a, b, count: n) { $0 &+ $1 })
            case .subtract: data = .int(zip(a, b, count: n) { $0 &- $1 })
            case .multiply: data = .int(zip(a, b, count: n) { $0 &* $1 })
            case .floorDivide:
                if exactInDouble(a) && exactInDouble(b) {
                    data = .int(zip(a, b, count: n) { x, y in floorQuotientInDouble(x, y) })
                } else {
                    data = .int(zip(a, b, count: n) { floorDivide($0, $1) })
                }
                validity = restrict(validity, b, count: n) { $0 != 0 }
            case .modulo:
                if exactInDouble(a) && exactInDouble(b) {
                    data = .int(zip(a, b, count: n) { x, y in x &- floorQuotientInDouble(x, y) &* y })
                } else {
                    data = .int(zip(a, b, count: n) { floorModulo($0, $1) })
                }
                validity = restrict(validity, b, count: n) { $0 != 0 }
            case .divide:
                preconditionFailure("'/' is planned on floats")
            }
        case .float:
            let a = l.floats
            let b = r.floats
            switch op {
            case .add: data = .float(zip(a, b, count: n) { $0 + $1 })
            case .subtract: data = .float(zip(a, b, count: n) { $0 - $1 })
            case .multiply: data = .float(zip(a, b, count: n) { $0 * $1 })
            case .divide:
                data = .float(zip(a, b, count: n) { $0 / $1 })
                validity = restrict(validity, b, count: n) { $0 != 0 }
            case .floorDivide:
                data = .float(zip(a, b, count: n) { floorDivide($0, $1) })
                validity = restrict(validity, b, count: n) { $0 != 0 }
            case .modulo:
                data = .float(zip(a, b, count: n) { floorModulo($0, $1) })
                validity = restrict(validity, b, count: n) { $0 != 0 }
            }
        case .bool, .string:
            preconditionFailure("arithmetic on \(type)")
        }
        return .vector(data, validity: validity)
    }

    /// Unary minus; `-Int64.min` wraps to itself.
    static func negate(_ operand: Operand, count: Int) -> Operand {
        switch operand {
        case .constant(.int(let v)): .constant(.int(0 &- v))
        case .constant(.float(let v)): .constant(.float(-v))
        case .constant: .constant(.null)
        case .vector(.int(let values), let validity): .vector(.int(map(values) { 0 &- $0 }), validity: validity)
        case .vector(.float(let values), let validity): .vector(.float(map(values) { -$0 }), validity: validity)
        case .vector(let data, _): preconditionFailure("negating \(data.type)")
        }
    }

    /// Whether every value is below 2^53 in magnitude, where `floorQuotientInDouble` is exact.
    static func exactInDouble(_ lane: Lane<Int64>) -> Bool {
        let limit: Int64 = (1 << 53) - 1
        switch lane {
        case .scalar(let v): return v >= -limit && v <= limit
        case .array(let values):
            // Branch-free so that it vectorises: a value is out of range when v + limit exceeds 2 * limit as unsigned.
            return values.withUnsafeBufferPointer { v in
                var outside: UInt64 = 0
                for x in v { outside |= UInt64(bitPattern: x &+ limit) > UInt64(2 * limit) ? 1 : 0 }
                return outside == 0
            }
        }
    }

    /// `a // b` through a float division, which is many times faster than a 64-bit integer division. Exact when
    /// |a| and |b| are below 2^53: both convert exactly, and the correctly rounded quotient cannot reach the
    /// integer next to a non-integer a/b (that takes an error of at least 1/|b|, but the error is at most
    /// |a/b| * 2^-53 < 1/|b|). A zero divisor gives 0; the row is null.
    @inline(__always)
    static func floorQuotientInDouble(_ a: Int64, _ b: Int64) -> Int64 {
        let divisor = b == 0 ? 1 : b
        let quotient = Double(a) / Double(divisor)
        // Truncate, then step down for negative non-integers: `rounded(.down)` is a libm call on baseline x86-64.
        let truncated = Int64(quotient)
        return truncated &- (Double(truncated) > quotient ? 1 : 0)
    }

    /// Python's `//`: the quotient rounded toward negative infinity. Never traps: a zero divisor gives 0 (the
    /// row is null anyway) and `Int64.min // -1` wraps to `Int64.min`.
    @inline(__always)
    static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        if b == 0 { return 0 }
        if b == -1 { return 0 &- a }
        let q = a / b
        return (a % b != 0) && ((a < 0) != (b < 0)) ? q - 1 : q
    }

    /// Python's `%`: the remainder takes the divisor's sign, so `a == (a // b) * b + a % b`.
    @inline(__always)
    static func floorModulo(_ a: Int64, _ b: Int64) -> Int64 {
        if b == 0 || b == -1 { return 0 }
        let r = a % b
        return r != 0 && ((r < 0) != (b < 0)) ? r + b : r
    }

    /// Python's float `%` (CPython's `float_divmod`): `fmod`, moved to the divisor's sign.
    @inline(__always)
    static func floorModulo(_ a: Double, _ b: Double) -> Double {
        var m = fmod(a, b)
        if m != 0 {
            if (b < 0) != (m < 0) { m += b }
        } else {
            m = (0.0 as Double).sign == b.sign ? 0.0 : -0.0
        }
        return m
    }

    /// Python's float `//` (CPython's `float_divmod`): consistent with `%`, so `1 // 0.1` is 9.0, not 10.0.
    @inline(__always)
    static func floorDivide(_ a: Double, _ b: Double) -> Double {
        let m = fmod(a, b)
        var div = (a - m) / b
        if m != 0 && ((b < 0) != (m < 0)) { div -= 1 }
        if div != 0 {
            var floored = div.rounded(.down)
            if div - floored > 0.5 { floored += 1 }
            return floored
        }
        return (a / b).sign == .minus ? -0.0 : 0.0
    }
}
