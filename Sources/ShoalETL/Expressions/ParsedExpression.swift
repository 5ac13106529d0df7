/// A parsed ETL expression (`price > 1.0 and device != 'tablet'`): the syntax tree, not yet checked against a
/// schema. `bind(to:)` type-checks it and gives a `BoundExpression` that evaluates over batches.
///
/// The language is described in docs/etl-expressions.md. (Not called `Expression`: Foundation has a type of that
/// name, and a file importing both modules could not name it.)
public struct ParsedExpression: Sendable, Hashable, CustomStringConvertible {
    /// The text as written (error messages quote it).
    public let text: String
    public let root: Node

    /// Parses `text`.
    /// - Throws: `ExpressionError` for bad syntax, with the position of the mistake.
    public static func parse(_ text: String) throws(ExpressionError) -> ParsedExpression {
        let tokens = try ExpressionLexer.tokenize(text)
        var parser = ExpressionParser(text: text, tokens: tokens)
        return ParsedExpression(text: text, root: try parser.parseAll())
    }

    /// The canonical spelling: keywords in lower case, `==`/`!=`, single-quoted strings, only the parentheses
    /// that precedence needs. Parsing it gives the same tree.
    public var description: String { root.description }

    /// The names of the columns the expression mentions (before any constant folding).
    public var columnNames: Set<String> {
        var names: Set<String> = []
        root.visit { if case .column(let name) = $0.kind { names.insert(name) } }
        return names
    }
}

extension ParsedExpression {
    /// A node of the syntax tree with the part of the text it came from.
    public struct Node: Sendable, Hashable {
        public var kind: Kind
        /// `Character` offsets into the expression's text; error messages underline this.
        public var range: Range<Int>

        public init(_ kind: Kind, range: Range<Int>) {
            self.kind = kind
            self.range = range
        }

        func visit(_ body: (Node) -> Void) {
            body(self)
            switch kind {
            case .literal, .column: break
            case .negate(let operand), .not(let operand), .isNull(let operand, _): operand.visit(body)
            case .binary(_, let left, let right):
                left.visit(body)
                right.visit(body)
            case .call(_, let arguments): for argument in arguments { argument.visit(body) }
            }
        }
    }

    public indirect enum Kind: Sendable, Hashable {
        /// A number, string, boolean or `null` as written (a minus sign directly before a number is part of it).
        case literal(Value)
        case column(String)
        /// Unary minus.
        case negate(Node)
        case not(Node)
        case binary(BinaryOperator, Node, Node)
        /// `x is null`, or `x is not null` when `negated`.
        case isNull(Node, negated: Bool)
        /// A function call; the name is in lower case (function names ignore case).
        case call(String, [Node])
    }

    /// The binary operators, from the loosest binding (`or`) to the tightest (`*`, `/`, `//`, `%`).
    public enum BinaryOperator: String, Sendable, Hashable, CaseIterable {
        case or
        case and
        case equal = "=="
        case notEqual = "!="
        case less = "<"
        case lessOrEqual = "<="
        case greater = ">"
        case greaterOrEqual = ">="
        case add = "+"
        case subtract = "-"
        case multiply = "*"
        case divide = "/"
        case floorDivide = "//"
        case modulo = "%"

        /// Higher binds tighter. `not` sits between `and` and the comparisons, `is null` between the comparisons
        /// and `+`, unary minus above `*` (see `Precedence`).
        var precedence: Int {
            switch self {
            case .or: Precedence.or
            case .and: Precedence.and
            case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual: Precedence.comparison
            case .add, .subtract: Precedence.additive
            case .multiply, .divide, .floorDivide, .modulo: Precedence.multiplicative
            }
        }

        var isComparison: Bool { precedence == Precedence.comparison }
    }
}

/// Binding strength of each level of the grammar, loosest first.
enum Precedence {
    static let or = 1
    static let and = 2
    static let not = 3
    static let comparison = 4
    static let isNull = 5
    static let additive = 6
    static let multiplicative = 7
    static let negate = 8
    static let primary = 9
}
