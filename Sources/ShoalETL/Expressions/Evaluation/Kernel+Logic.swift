extension Kernel {
    /// Three-valued `and`: false if either side is false (even against null), true if both are true, else null.
    static func and(_ l: Operand, _ r: Operand, count n: Int) -> Operand {
        logical(l, r, count: n, isAnd: true)
    }

    /// Three-valued `or`: true if either side is true (even against null), false if both are false, else null.
    static func or(_ l: Operand, _ r: Operand, count n: Int) -> Operand {
        logical(l, r, count: n, isAnd: false)
    }

    private static func logical(_ l: Operand, _ r: Operand, count n: Int, isAnd: Bool) -> Operand {
        let a = l.bools
        let b = r.bools
        let va = l.validityLane
        let vb = r.validityLane
        if case .scalar(true) = va, case .scalar(true) = vb {
            return .vector(.bool(isAnd ? zip(a, b, count: n) { bitAnd($0, $1) } : zip(a, b, count: n) { bitOr($0, $1) }), validity: nil)
        }
        // A side decides when it is valid and equals the decisive value (false for and, true for or). Null slots
        // may hold anything, so validity is checked before a value counts.
        let decisive = !isAnd
        let decidedA = zip(a, va, count: n) { bitAnd($1, $0 == decisive) }
        let decidedB = zip(b, vb, count: n) { bitAnd($1, $0 == decisive) }
        let decided = zip(.array(decidedA), .array(decidedB), count: n) { bitOr($0, $1) }
        let bothValid = zip(va, vb, count: n) { bitAnd($0, $1) }
        let validity = zip(.array(decided), .array(bothValid), count: n) { bitOr($0, $1) }
        // Decided rows take the decisive value; the others are valid only when both sides are, and then neither
        // side is decisive, so the value is the other one.
        let values = zip(.array(decided), .scalar(()), count: n) { d, _ in d == decisive }
        return .vector(.bool(values), validity: validity)
    }

    static func not(_ operand: Operand) -> Operand {
        switch operand {
        case .constant(.bool(let v)): .constant(.bool(!v))
        case .constant: .constant(.null)
        case .vector(.bool(let values), let validity): .vector(.bool(map(values) { !$0 }), validity: validity)
        case .vector(let data, _): preconditionFailure("'not' of \(data.type)")
        }
    }

    /// `is null` / `is not null`: never null itself; `is not null` is the validity as it stands.
    static func isNull(_ operand: Operand, negated: Bool, count n: Int) -> Operand {
        switch operand {
        case .constant(let value):
            return .constant(.bool(value.isNull != negated))
        case .vector(_, let validity):
            guard let validity else { return .vector(.bool(.init(repeating: negated, count: n)), validity: nil) }
            return .vector(.bool(negated ? validity : map(validity) { !$0 }), validity: nil)
        }
    }
}
