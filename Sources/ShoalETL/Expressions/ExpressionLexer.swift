/// One token of an expression, with its place in the text (in `Character` offsets).
struct ExpressionToken: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        /// Decimal digits only; the parser turns them into an `Int64` (it needs to see a leading minus first,
        /// so that `-9223372036854775808` is allowed).
        case integer(String)
        case float(Double)
        case string(String)
        case identifier(String)
        /// A back-quoted column name: never a keyword or a function.
        case quotedIdentifier(String)
        case keyword(ExpressionKeyword)
        case symbol(ExpressionSymbol)
        case end
    }

    var kind: Kind
    var range: Range<Int>
}

/// The reserved words, matched without regard to case.
enum ExpressionKeyword: String, Sendable, CaseIterable {
    case and, or, not, `is`, null, `true`, `false`
}

enum ExpressionSymbol: String, Sendable {
    case plus = "+"
    case minus = "-"
    case star = "*"
    case slash = "/"
    case slashSlash = "//"
    case percent = "%"
    case equal = "=="
    case notEqual = "!="
    case less = "<"
    case lessEqual = "<="
    case greater = ">"
    case greaterEqual = ">="
    case leftParenthesis = "("
    case rightParenthesis = ")"
    case comma = ","
}

/// Splits an expression into tokens. Works on `Character`s so that offsets are what a user counts on screen.
struct ExpressionLexer {
    private let text: String
    private let characters: [Character]
    private var position = 0

    init(_ text: String) {
        self.text = text
        characters = Array(text)
    }

    static func tokenize(_ text: String) throws(ExpressionError) -> [ExpressionToken] {
        var lexer = ExpressionLexer(text)
        var tokens: [ExpressionToken] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    private func peek(_ offset: Int = 0) -> Character? {
        position + offset < characters.count ? characters[position + offset] : nil
    }

    private func error(_ message: String, _ range: Range<Int>) -> ExpressionError {
        ExpressionError(message, in: text, at: range)
    }

    private mutating func next() throws(ExpressionError) -> ExpressionToken {
        while let c = peek(), c.isWhitespace { position += 1 }
        let start = position
        guard let c = peek() else { return ExpressionToken(kind: .end, range: start..<start) }
        if c.isASCIIDigit || (c == "." && peek(1)?.isASCIIDigit == true) { return try number() }
        if c.isIdentifierStart {
            while let d = peek(), d.isIdentifierContinuation { position += 1 }
            let word = String(characters[start..<position])
            let kind: ExpressionToken.Kind =
                ExpressionKeyword(rawValue: word.lowercased()).map { .keyword($0) } ?? .identifier(word)
            return ExpressionToken(kind: kind, range: start..<position)
        }
        if c == "'" || c == "\"" {
            let content = try quoted(by: c, unterminated: "unterminated string (close it with \(c))")
            return ExpressionToken(kind: .string(content), range: start..<position)
        }
        if c == "`" {
            let name = try quoted(by: c, unterminated: "unterminated column name (close it with `)")
            if name.isEmpty { throw error("empty column name", start..<position) }
            return ExpressionToken(kind: .quotedIdentifier(name), range: start..<position)
        }
        return try symbol(c)
    }

    /// A quoted string or name; the quote character doubled inside stands for itself (`'it''s'`).
    private mutating func quoted(by quote: Character, unterminated: String) throws(ExpressionError) -> String {
        let start = position
        position += 1
        var content = ""
        while true {
            guard let c = peek() else { throw error(unterminated, start..<position) }
            position += 1
            if c == quote {
                if peek() == quote {
                    content.append(quote)
                    position += 1
                } else {
                    return content
                }
            } else {
                content.append(c)
            }
        }
    }

    /// `12`, `1.5`, `.5`, `1.`, `1e-3`, `2.5E+10`. A letter or digit run glued to a number is an error rather
    /// than two tokens (`3abc`, `1e`).
    private mutating func number() throws(ExpressionError) -> ExpressionToken {
        let start = position
        var isFloat = false
        while peek()?.isASCIIDigit == true { position += 1 }
        if peek() == "." {
            isFloat = true
            position += 1
            while peek()?.isASCIIDigit == true { position += 1 }
        }
        if let e = peek(), e == "e" || e == "E" {
            var look = 1
            if let sign = peek(1), sign == "+" || sign == "-" { look = 2 }
            if peek(look)?.isASCIIDigit == true {
                isFloat = true
                position += look
                while peek()?.isASCIIDigit == true { position += 1 }
            }
        }
        if let c = peek(), c.isIdentifierContinuation || c == "." {
            while let d = peek(), d.isIdentifierContinuation || d == "." { position += 1 }
            throw error("malformed number '\(String(characters[start..<position]))'", start..<position)
        }
        let spelling = String(characters[start..<position])
        guard isFloat else { return ExpressionToken(kind: .integer(spelling), range: start..<position) }
        guard let value = Double(spelling), value.isFinite else {
            throw error("number '\(spelling)' is out of range for a float", start..<position)
        }
        return ExpressionToken(kind: .float(value), range: start..<position)
    }

    private mutating func symbol(_ c: Character) throws(ExpressionError) -> ExpressionToken {
        let start = position
        let next = peek(1)
        let symbol: ExpressionSymbol
        var length = 1
        switch c {
        case "+": symbol = .plus
        case "-": symbol = .minus
        case "*": symbol = .star
        case "%": symbol = .percent
        case "(": symbol = .leftParenthesis
        case ")": symbol = .rightParenthesis
        case ",": symbol = .comma
        case "/":
            if next == "/" { (symbol, length) = (.slashSlash, 2) } else { symbol = .slash }
        case "=":
            // `=` is accepted for `==`, as in SQL.
            if next == "=" { (symbol, length) = (.equal, 2) } else { symbol = .equal }
        case "!":
            guard next == "=" else { throw error("unexpected '!' (write 'not' for negation, '!=' for not equal)", start..<start + 1) }
            (symbol, length) = (.notEqual, 2)
        case "<":
            if next == "=" {
                (symbol, length) = (.lessEqual, 2)
            } else if next == ">" {
                // SQL's spelling of !=.
                (symbol, length) = (.notEqual, 2)
            } else {
                symbol = .less
            }
        case ">":
            if next == "=" { (symbol, length) = (.greaterEqual, 2) } else { symbol = .greater }
        case "&" where next == "&":
            throw error("unexpected '&&' (write 'and')", start..<start + 2)
        case "|" where next == "|":
            throw error("unexpected '||' (write 'or')", start..<start + 2)
        default:
            throw error("unexpected character '\(c)'", start..<start + 1)
        }
        position += length
        return ExpressionToken(kind: .symbol(symbol), range: start..<position)
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isWholeNumber }
    fileprivate var isIdentifierStart: Bool { self == "_" || isLetter }
    fileprivate var isIdentifierContinuation: Bool { self == "_" || isLetter || isASCIIDigit }
}
