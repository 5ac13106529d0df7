/// The built-in functions. Names ignore case in expressions (`LOWER(x)` is `lower(x)`).
enum ExpressionFunction: String, Sendable, CaseIterable {
    case abs, log, exp, sqrt, pow, min, max, coalesce, `if`, lower, upper, length

    /// How many arguments the function takes; `nil` upper bound means any number from the lower one.
    var arity: (minimum: Int, maximum: Int?) {
        switch self {
        case .abs, .log, .exp, .sqrt, .lower, .upper, .length: (1, 1)
        case .pow: (2, 2)
        case .if: (3, 3)
        // One argument would be the argument itself; an aggregate's min/max over rows is another thing.
        case .min, .max: (2, nil)
        case .coalesce: (1, nil)
        }
    }

    /// Whether a null argument makes the result null (all but `coalesce` and `if`).
    var propagatesNull: Bool { self != .coalesce && self != .if }
}
