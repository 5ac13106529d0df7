/// Recursive descent over the tokens, one function per precedence level (docs/etl-expressions.md has the
/// grammar).
struct ExpressionParser {
    typealias Node = ParsedExpression.Node

    private let text: String
    private let tokens: [ExpressionToken]
    private var index = 0
    /// The depth of the tree so far: parentheses, arguments, prefix operators and each operator of a chain
    /// (`a + b + c` is two levels) open a level each. The limit keeps a pathological expression from
    /// overflowing the stack, since binding, printing and evaluation recurse over the tree.
    private var depth = 0
    static let maximumDepth = 256

    init(text: String, tokens: [ExpressionToken]) {
        self.text = text
        self.tokens = tokens
    }

    mutating func parseAll() throws(ExpressionError) -> Node {
        if current.kind == .end { throw error("empty expression", current.range) }
        let node = try parseOr()
        switch current.kind {
        case .end: return node
        case .symbol(.rightParenthesis): throw error("unmatched ')'", current.range)
        default: throw error("expected an operator or the end of the expression, found \(spelling(current))", current.range)
        }
    }

    // MARK: Tokens

    private var current: ExpressionToken { tokens[index] }

    private mutating func advance() -> ExpressionToken {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    private mutating func take(_ keyword: ExpressionKeyword) -> ExpressionToken? {
        if case .keyword(keyword) = current.kind { return advance() }
        return nil
    }

    private mutating func take(_ symbol: ExpressionSymbol) -> ExpressionToken? {
        if case .symbol(symbol) = current.kind { return advance() }
        return nil
    }

    private func error(_ message: String, _ range: Range<Int>) -> ExpressionError {
        ExpressionError(message, in: text, at: range)
    }

    /// How a token is named in messages: its text in quotes, or "the end of the expression".
    private func spelling(_ token: ExpressionToken) -> String {
        if token.kind == .end { return "the end of the expression" }
        let characters = Array(text)
        return "'\(String(characters[token.range]))'"
    }

    // MARK: Levels

    /// Enters one level of nesting at `token`.
    private mutating func descend(at token: ExpressionToken) throws(ExpressionError) {
        depth += 1
        if depth > Self.maximumDepth {
            throw error(
                "expression nests too deeply (more than \(Self.maximumDepth) levels of parentheses and operators)", token.range)
        }
    }

    private mutating func parseOr() throws(ExpressionError) -> Node {
        try descend(at: current)
        defer { depth -= 1 }
        var left = try parseAnd()
        var chain = 0
        defer { depth -= chain }
        while let op = take(.or) {
            try descend(at: op)
            chain += 1
            let right = try parseAnd()
            left = Node(.binary(.or, left, right), range: left.range.lowerBound..<right.range.upperBound)
        }
        return left
    }

    private mutating func parseAnd() throws(ExpressionError) -> Node {
        var left = try parseNot()
        var chain = 0
        defer { depth -= chain }
        while let op = take(.and) {
            try descend(at: op)
            chain += 1
            let right = try parseNot()
            left = Node(.binary(.and, left, right), range: left.range.lowerBound..<right.range.upperBound)
        }
        return left
    }

    private mutating func parseNot() throws(ExpressionError) -> Node {
        if let not = take(.not) {
            try descend(at: not)
            defer { depth -= 1 }
            let operand = try parseNot()
            return Node(.not(operand), range: not.range.lowerBound..<operand.range.upperBound)
        }
        return try parseComparison()
    }

    private mutating func parseComparison() throws(ExpressionError) -> Node {
        let left = try parseIsNull()
        guard let op = comparisonOperator() else { return left }
        _ = advance()
        let right = try parseIsNull()
        if comparisonOperator() != nil {
            // `a < b < c` means something different in Python and in SQL; neither is likely what was meant.
            throw error("comparisons do not chain; combine them with 'and' (a < b and b < c)", current.range)
        }
        return Node(.binary(op, left, right), range: left.range.lowerBound..<right.range.upperBound)
    }

    private func comparisonOperator() -> ParsedExpression.BinaryOperator? {
        guard case .symbol(let symbol) = current.kind else { return nil }
        switch symbol {
        case .equal: return .equal
        case .notEqual: return .notEqual
        case .less: return .less
        case .lessEqual: return .lessOrEqual
        case .greater: return .greater
        case .greaterEqual: return .greaterOrEqual
        default: return nil
        }
    }

    private mutating func parseIsNull() throws(ExpressionError) -> Node {
        var operand = try parseAdditive()
        var chain = 0
        defer { depth -= chain }
        while let isToken = take(.is) {
            try descend(at: isToken)
            chain += 1
            let negated = take(.not) != nil
            guard let null = take(.null) else {
                throw error(
                    "expected 'null' or 'not null' after 'is', found \(spelling(current))",
                    current.kind == .end ? current.range : isToken.range.lowerBound..<current.range.upperBound)
            }
            operand = Node(.isNull(operand, negated: negated), range: operand.range.lowerBound..<null.range.upperBound)
        }
        return operand
    }

    private mutating func parseAdditive() throws(ExpressionError) -> Node {
        var left = try parseMultiplicative()
        var chain = 0
        defer { depth -= chain }
        while true {
            let token = current
            let op: ParsedExpression.BinaryOperator
            if take(.plus) != nil { op = .add } else if take(.minus) != nil { op = .subtract } else { return left }
            try descend(at: token)
            chain += 1
            let right = try parseMultiplicative()
            left = Node(.binary(op, left, right), range: left.range.lowerBound..<right.range.upperBound)
        }
    }

    private mutating func parseMultiplicative() throws(ExpressionError) -> Node {
        var left = try parseNegate()
        var chain = 0
        defer { depth -= chain }
        while true {
            let token = current
            let op: ParsedExpression.BinaryOperator
            if take(.star) != nil {
                op = .multiply
            } else if take(.slash) != nil {
                op = .divide
            } else if take(.slashSlash) != nil {
                op = .floorDivide
            } else if take(.percent) != nil {
                op = .modulo
            } else {
                return left
            }
            try descend(at: token)
            chain += 1
            let right = try parseNegate()
            left = Node(.binary(op, left, right), range: left.range.lowerBound..<right.range.upperBound)
        }
    }

    private mutating func parseNegate() throws(ExpressionError) -> Node {
        guard let minus = take(.minus) else { return try parsePrimary() }
        // A minus directly before a number is part of the literal, which is how Int64.min can be written.
        switch current.kind {
        case .integer(let digits):
            let token = advance()
            let range = minus.range.lowerBound..<token.range.upperBound
            if digits.drop(while: { $0 == "0" }) == "9223372036854775808" { return Node(.literal(.int(.min)), range: range) }
            guard let value = Int64(digits) else { throw tooLarge(token) }
            return Node(.literal(.int(0 &- value)), range: range)
        case .float(let value):
            let token = advance()
            return Node(.literal(.float(-value)), range: minus.range.lowerBound..<token.range.upperBound)
        default:
            try descend(at: minus)
            defer { depth -= 1 }
            let operand = try parseNegate()
            return Node(.negate(operand), range: minus.range.lowerBound..<operand.range.upperBound)
        }
    }

    private func tooLarge(_ token: ExpressionToken) -> ExpressionError {
        error("integer \(spelling(token)) does not fit in an int (64 bits); write it as a float (1e19)", token.range)
    }

    /// A literal, column, call or parenthesised expression.
    private mutating func parsePrimary() throws(ExpressionError) -> Node {
        let token = current
        switch token.kind {
        case .integer(let digits):
            _ = advance()
            guard let value = Int64(digits) else { throw tooLarge(token) }
            return Node(.literal(.int(value)), range: token.range)
        case .float(let value):
            _ = advance()
            return Node(.literal(.float(value)), range: token.range)
        case .string(let value):
            _ = advance()
            return Node(.literal(.string(value)), range: token.range)
        case .keyword(.true):
            _ = advance()
            return Node(.literal(.bool(true)), range: token.range)
        case .keyword(.false):
            _ = advance()
            return Node(.literal(.bool(false)), range: token.range)
        case .keyword(.null):
            _ = advance()
            return Node(.literal(.null), range: token.range)
        case .quotedIdentifier(let name):
            _ = advance()
            return Node(.column(name), range: token.range)
        case .identifier(let name):
            _ = advance()
            if let open = take(.leftParenthesis) { return try parseCall(name, nameToken: token, open: open) }
            return Node(.column(name), range: token.range)
        case .symbol(.leftParenthesis):
            let open = advance()
            let inner = try parseOr()
            guard take(.rightParenthesis) != nil else { throw missingClose(open, what: "'('") }
            return inner
        default:
            throw expectedValue()
        }
    }

    private mutating func parseCall(_ name: String, nameToken: ExpressionToken, open: ExpressionToken) throws(ExpressionError) -> Node {
        var arguments: [Node] = []
        if let close = take(.rightParenthesis) {
            return Node(.call(name.lowercased(), []), range: nameToken.range.lowerBound..<close.range.upperBound)
        }
        while true {
            arguments.append(try parseOr())
            if let close = take(.rightParenthesis) {
                return Node(.call(name.lowercased(), arguments), range: nameToken.range.lowerBound..<close.range.upperBound)
            }
            guard take(.comma) != nil else { throw missingClose(open, what: "'(' of \(name)(…)", orComma: true) }
        }
    }

    private func missingClose(_ open: ExpressionToken, what: String, orComma: Bool = false) -> ExpressionError {
        if current.kind == .end { return error("unclosed \(what): expected ')'", open.range) }
        return error("expected \(orComma ? "',' or " : "")')', found \(spelling(current))", current.range)
    }

    private func expectedValue() -> ExpressionError {
        if current.kind == .end {
            if index > 0 { return error("expected a value after \(spelling(tokens[index - 1]))", current.range) }
            return error("expected a value", current.range)
        }
        return error("expected a value, found \(spelling(current))", current.range)
    }
}
