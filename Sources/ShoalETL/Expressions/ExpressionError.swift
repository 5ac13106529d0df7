/// A mistake in an expression, found before any data is read: bad syntax, an unknown column or function, a type
/// error, a wrong number of arguments.
///
/// `description` renders the message, the expression's line and a caret under the failing part:
///
///     error: unknown column 'prise' (did you mean 'price'?)
///       prise > 1.0 and device != 'tablet'
///       ^~~~~
///
/// A caller that knows where the expression came from (a job file and line) prefixes that.
public struct ExpressionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong, in one line (`unknown column 'prise' (did you mean 'price'?)`).
    public var message: String
    /// The whole expression text as written.
    public var expression: String
    /// The failing part, in `Character` offsets into `expression`; empty at the end of the text for "expected
    /// more" errors.
    public var range: Range<Int>

    public init(_ message: String, in expression: String, at range: Range<Int>) {
        self.message = message
        self.expression = expression
        self.range = range
    }

    /// The 1-based line and column (in characters) where the failing part starts, for callers that map an
    /// expression back to its place in a job file.
    public var location: (line: Int, column: Int) {
        let (line, column, _) = lineContainingStart()
        return (line + 1, column + 1)
    }

    public var description: String { rendered() }

    /// The message, the line of the expression holding the failure, and the caret line under it, each line
    /// after the first indented by `indent`.
    public func rendered(indent: String = "  ") -> String {
        let (_, column, lineText) = lineContainingStart()
        let width = max(1, min(range.count, lineText.count - column))
        // Tabs stay tabs under the caret so it lines up whatever the terminal's tab width.
        let padding = String(lineText.prefix(column).map { $0 == "\t" ? "\t" : " " })
        let marker = "^" + String(repeating: "~", count: width - 1)
        return "error: \(message)\n\(indent)\(lineText)\n\(indent)\(padding)\(marker)"
    }

    /// The 0-based line index, the column in that line, and the line's text for `range.lowerBound`.
    private func lineContainingStart() -> (line: Int, column: Int, text: String) {
        let characters = Array(expression)
        let start = min(max(range.lowerBound, 0), characters.count)
        var lineStart = 0
        var line = 0
        for i in 0..<start where characters[i] == "\n" || characters[i] == "\r\n" {
            lineStart = i + 1
            line += 1
        }
        var lineEnd = start
        while lineEnd < characters.count, characters[lineEnd] != "\n", characters[lineEnd] != "\r\n" { lineEnd += 1 }
        return (line, start - lineStart, String(characters[lineStart..<lineEnd]))
    }
}
