/// A type-checked expression ready to evaluate: every operand has a known type, mixed int/float operands carry
/// an explicit `toFloat`, and constant parts are folded. `BoundExpression` wraps it.
indirect enum ExpressionPlan: Sendable {
    /// A value for every row; `.null` with the type it stands in for.
    case constant(Value, DataType)
    case column(String, DataType)
    case toFloat(ExpressionPlan)
    case negate(ExpressionPlan)
    /// Both operands have the result's type (float for `divide`).
    case arithmetic(ArithmeticOperator, ExpressionPlan, ExpressionPlan)
    /// Both operands have the same type.
    case comparison(ComparisonOperator, ExpressionPlan, ExpressionPlan)
    case and(ExpressionPlan, ExpressionPlan)
    case or(ExpressionPlan, ExpressionPlan)
    case not(ExpressionPlan)
    case isNull(ExpressionPlan, negated: Bool)
    /// Arguments already converted to what the function computes on (see `ExpressionBinder.bindCall`).
    case function(ExpressionFunction, [ExpressionPlan], DataType)

    var type: DataType {
        switch self {
        case .constant(_, let type), .column(_, let type), .function(_, _, let type): type
        case .toFloat: .float
        case .negate(let operand): operand.type
        case .arithmetic(_, let left, _): left.type
        case .comparison, .and, .or, .not, .isNull: .bool
        }
    }

    var children: [ExpressionPlan] {
        switch self {
        case .constant, .column: []
        case .toFloat(let operand), .negate(let operand), .not(let operand), .isNull(let operand, _): [operand]
        case .arithmetic(_, let left, let right), .comparison(_, let left, let right), .and(let left, let right),
            .or(let left, let right):
            [left, right]
        case .function(_, let arguments, _): arguments
        }
    }

    /// Whether a null operand makes the whole result null, whatever the other operands are.
    var propagatesNull: Bool {
        switch self {
        case .constant, .column, .and, .or, .isNull: false
        case .toFloat, .negate, .arithmetic, .comparison, .not: true
        case .function(let function, _, _): function.propagatesNull
        }
    }

    var constantValue: Value? {
        if case .constant(let value, _) = self { return value }
        return nil
    }

    var isNullConstant: Bool { constantValue == .null }

    /// The column names read, after folding.
    func collectColumns(into names: inout Set<String>) {
        if case .column(let name, _) = self { names.insert(name) }
        for child in children { child.collectColumns(into: &names) }
    }

    /// The plan with constant parts computed: a null operand of a null-propagating node gives a null of the
    /// node's type, and a node whose operands are all constants becomes its value (computed by the same
    /// kernels, on one row, so folding cannot disagree with evaluation).
    func folded() -> ExpressionPlan {
        let children = children
        guard !children.isEmpty else { return self }
        if propagatesNull, children.contains(where: \.isNullConstant) { return .constant(.null, type) }
        guard children.allSatisfy({ $0.constantValue != nil }) else { return self }
        let column = evaluate(in: ColumnBatch(count: 1)).column(type, count: 1)
        return .constant(column.value(at: 0), type)
    }
}

enum ArithmeticOperator: Sendable {
    case add, subtract, multiply, divide, floorDivide, modulo
}

enum ComparisonOperator: Sendable {
    case equal, notEqual, less, lessOrEqual, greater, greaterOrEqual

    /// The operator with its operands swapped: `1 < x` is `x > 1`.
    var swapped: ComparisonOperator {
        switch self {
        case .equal, .notEqual: self
        case .less: .greater
        case .lessOrEqual: .greaterOrEqual
        case .greater: .less
        case .greaterOrEqual: .lessOrEqual
        }
    }
}
