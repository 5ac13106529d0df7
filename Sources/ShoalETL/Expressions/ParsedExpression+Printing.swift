extension ParsedExpression.Node: CustomStringConvertible {
    /// The canonical spelling of the subtree (see `ParsedExpression.description`).
    public var description: String { printed(context: 0) }

    /// The node's text, parenthesised when its own level binds looser than `context` requires.
    private func printed(context: Int) -> String {
        let (text, level) = printedWithLevel()
        return level < context ? "(\(text))" : text
    }

    private func printedWithLevel() -> (String, Int) {
        switch kind {
        case .literal(let value):
            // A negative number prints with its sign, which the parser reads back as part of the literal.
            return (Self.literal(value), Precedence.primary)
        case .column(let name):
            return (Self.columnName(name), Precedence.primary)
        case .negate(let operand):
            // `-(5)` keeps a negated literal apart from the literal -5.
            if case .literal(let value) = operand.kind, value.type?.isNumeric == true {
                return ("-(\(operand.printed(context: 0)))", Precedence.negate)
            }
            return ("-" + operand.printed(context: Precedence.negate), Precedence.negate)
        case .not(let operand):
            return ("not " + operand.printed(context: Precedence.not), Precedence.not)
        case .isNull(let operand, let negated):
            return (operand.printed(context: Precedence.isNull) + (negated ? " is not null" : " is null"), Precedence.isNull)
        case .binary(let op, let left, let right):
            let level = op.precedence
            // Left-associative: the right operand needs one level more. Comparisons do not chain, so both sides do.
            let leftText = left.printed(context: op.isComparison ? level + 1 : level)
            return ("\(leftText) \(op.rawValue) \(right.printed(context: level + 1))", level)
        case .call(let name, let arguments):
            return ("\(name)(\(arguments.map { $0.printed(context: 0) }.joined(separator: ", ")))", Precedence.primary)
        }
    }

    static func literal(_ value: Value) -> String {
        switch value {
        case .null: "null"
        case .int(let v): String(v)
        case .float(let v): String(v)
        case .bool(let v): v ? "true" : "false"
        case .string(let s): quoted(s, by: "'")
        }
    }

    /// A column name bare when the lexer would read it back as the same identifier, else in back quotes.
    static func columnName(_ name: String) -> String {
        let plain =
            name.first.map { $0 == "_" || $0.isLetter } == true
            && name.allSatisfy { $0 == "_" || $0.isLetter || ($0.isASCII && $0.isWholeNumber) }
            && ExpressionKeyword(rawValue: name.lowercased()) == nil
        return plain ? name : quoted(name, by: "`")
    }

    /// `text` between `quote`s, with each `quote` inside doubled (the lexer's escape).
    static func quoted(_ text: String, by quote: Character) -> String {
        var out = String(quote)
        for c in text {
            out.append(c)
            if c == quote { out.append(quote) }
        }
        out.append(quote)
        return out
    }
}
