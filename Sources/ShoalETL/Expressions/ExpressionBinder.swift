/// The type checker: resolves column names against a schema, checks operand types and arities, inserts the
/// int-to-float conversions, and folds constants. Reports the first mistake in reading order.
struct ExpressionBinder {
    typealias Node = ParsedExpression.Node

    /// A checked subexpression. `type` is nil only for a bare null (`null`, `-null`, `coalesce(null)`): its plan is
    /// a null constant that takes whatever type the context gives it.
    struct Typed {
        var plan: ExpressionPlan
        var type: DataType?

        static let null = Typed(plan: .constant(.null, .int), type: nil)
    }

    let schema: Schema
    let text: String

    func error(_ message: String, _ range: Range<Int>) -> ExpressionError {
        ExpressionError(message, in: text, at: range)
    }

    func bind(_ node: Node) throws(ExpressionError) -> Typed {
        switch node.kind {
        case .literal(let value):
            guard let type = value.type else { return .null }
            return Typed(plan: .constant(value, type), type: type)
        case .column(let name):
            guard let field = schema[name] else { throw unknownColumn(name, node.range) }
            return Typed(plan: .column(name, field.type), type: field.type)
        case .negate(let operand):
            let typed = try bind(operand)
            try requireNumeric(typed, operand, "'-'")
            guard let type = typed.type else { return .null }
            return Typed(plan: ExpressionPlan.negate(typed.plan).folded(), type: type)
        case .not(let operand):
            let typed = try bind(operand)
            try requireBool(typed, operand, "'not' needs a bool operand")
            return Typed(plan: ExpressionPlan.not(convert(typed, to: .bool)).folded(), type: .bool)
        case .isNull(let operand, let negated):
            let typed = try bind(operand)
            guard typed.type != nil else { return Typed(plan: .constant(.bool(!negated), .bool), type: .bool) }
            return Typed(plan: ExpressionPlan.isNull(typed.plan, negated: negated).folded(), type: .bool)
        case .binary(let op, let left, let right):
            switch op {
            case .and, .or: return try bindLogical(op, left, right)
            case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual:
                return try bindComparison(op, left, right, node)
            case .add, .subtract, .multiply, .divide, .floorDivide, .modulo:
                return try bindArithmetic(op, left, right)
            }
        case .call(let name, let arguments):
            return try bindCall(name, arguments, node)
        }
    }

    // MARK: Conversions

    /// `typed`'s plan as a `type` value: a bare null becomes a null of `type`, an int becomes a float.
    func convert(_ typed: Typed, to type: DataType) -> ExpressionPlan {
        guard let from = typed.type else { return .constant(.null, type) }
        if from == type { return typed.plan }
        precondition(from == .int && type == .float, "the binder converts only int to float")
        return ExpressionPlan.toFloat(typed.plan).folded()
    }

    /// The type two operands share: equal types, int with float gives float, a bare null takes the other's type.
    /// `nil` when they cannot mix; `.some(nil)` when both are bare nulls.
    static func common(_ a: DataType?, _ b: DataType?) -> DataType?? {
        guard let a else { return .some(b) }
        guard let b else { return .some(a) }
        if a == b { return .some(a) }
        if a.isNumeric && b.isNumeric { return .some(.float) }
        return nil
    }

    // MARK: Operators

    private func requireNumeric(_ typed: Typed, _ node: Node, _ op: String) throws(ExpressionError) {
        if let type = typed.type, !type.isNumeric { throw error("\(op) needs numbers, got \(type)", node.range) }
    }

    private func requireBool(_ typed: Typed, _ node: Node, _ message: String) throws(ExpressionError) {
        if let type = typed.type, type != .bool { throw error("\(message), got \(type)", node.range) }
    }

    private func bindLogical(_ op: ParsedExpression.BinaryOperator, _ left: Node, _ right: Node) throws(ExpressionError) -> Typed {
        let l = try bind(left)
        try requireBool(l, left, "'\(op.rawValue)' needs bool operands")
        let r = try bind(right)
        try requireBool(r, right, "'\(op.rawValue)' needs bool operands")
        let a = convert(l, to: .bool)
        let b = convert(r, to: .bool)
        // The operand that decides alone: false for `and`, true for `or` (three-valued logic: even against null).
        let decisive = Value.bool(op == .or)
        let neutral = Value.bool(op == .and)
        let plan: ExpressionPlan
        if a.constantValue == decisive || b.constantValue == decisive {
            plan = .constant(decisive, .bool)
        } else if a.constantValue == neutral {
            plan = b
        } else if b.constantValue == neutral {
            plan = a
        } else {
            plan = (op == .and ? ExpressionPlan.and(a, b) : .or(a, b)).folded()
        }
        return Typed(plan: plan, type: .bool)
    }

    private func bindComparison(
        _ op: ParsedExpression.BinaryOperator, _ left: Node, _ right: Node, _ node: Node
    ) throws(ExpressionError) -> Typed {
        // `x == null` is null for every row, so a filter on it keeps nothing: almost always a mistake for `is null`.
        for (side, other) in [(left, right), (right, left)] where side.kind == .literal(.null) {
            switch op {
            case .equal: throw error("comparing with null gives null, never true; write '\(other) is null'", node.range)
            case .notEqual:
                throw error("comparing with null gives null, never true; write '\(other) is not null'", node.range)
            default: throw error("comparing with null gives null, never true", node.range)
            }
        }
        let l = try bind(left)
        let r = try bind(right)
        guard let shared = Self.common(l.type, r.type) else {
            throw error("cannot compare \(l.type!) with \(r.type!)", node.range)
        }
        guard let type = shared else { return Typed(plan: .constant(.null, .bool), type: .bool) }
        let comparison: ComparisonOperator =
            switch op {
            case .equal: .equal
            case .notEqual: .notEqual
            case .less: .less
            case .lessOrEqual: .lessOrEqual
            case .greater: .greater
            default: .greaterOrEqual
            }
        let plan = ExpressionPlan.comparison(comparison, convert(l, to: type), convert(r, to: type)).folded()
        return Typed(plan: plan, type: .bool)
    }

    private func bindArithmetic(_ op: ParsedExpression.BinaryOperator, _ left: Node, _ right: Node) throws(ExpressionError) -> Typed {
        let l = try bind(left)
        try requireNumeric(l, left, "'\(op.rawValue)'")
        let r = try bind(right)
        try requireNumeric(r, right, "'\(op.rawValue)'")
        let arithmetic: ArithmeticOperator =
            switch op {
            case .add: .add
            case .subtract: .subtract
            case .multiply: .multiply
            case .divide: .divide
            case .floorDivide: .floorDivide
            default: .modulo
            }
        // `/` is always float division; the others stay int when both sides are ints.
        let shared = Self.common(l.type, r.type)!
        guard let type = arithmetic == .divide ? .float : shared else { return .null }
        let divisor = convert(r, to: type)
        if arithmetic == .divide || arithmetic == .floorDivide || arithmetic == .modulo,
            divisor.constantValue == .int(0) || divisor.constantValue?.doubleValue == 0
        {
            // Division by zero is null (see docs/etl-expressions.md), here for every row.
            return Typed(plan: .constant(.null, type), type: type)
        }
        let plan = ExpressionPlan.arithmetic(arithmetic, convert(l, to: type), divisor).folded()
        return Typed(plan: plan, type: type)
    }

    // MARK: Names

    private func unknownColumn(_ name: String, _ range: Range<Int>) -> ExpressionError {
        let names = schema.names
        if let suggestion = NameSuggestion.closest(to: name, among: names) {
            return error("unknown column '\(name)' (did you mean '\(suggestion)'?)", range)
        }
        if names.isEmpty { return error("unknown column '\(name)' (the input has no columns)", range) }
        if names.count <= 12 {
            return error("unknown column '\(name)' (the columns are \(names.map { "'\($0)'" }.joined(separator: ", ")))", range)
        }
        return error("unknown column '\(name)'", range)
    }
}
