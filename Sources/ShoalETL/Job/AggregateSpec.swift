import Foundation

/// `aggregate:` of an ETL job: a group-by over the rows after every filter and derive step.
public struct AggregateSpec: Codable, Sendable, Equatable {
    public var groupBy: [String]
    public var values: [AggregateValue]
    /// The result file, absolute; CSV or JSONL by its extension.
    public var output: String
    public var format: FileFormat

    public init(groupBy: [String], values: [AggregateValue], output: String, format: FileFormat) {
        self.groupBy = groupBy
        self.values = values
        self.output = output
        self.format = format
    }
}

/// One output column of an aggregate: `name: "function(argument[, key])"`.
public struct AggregateValue: Codable, Sendable, Equatable {
    public var name: String
    public var function: AggregateFunction
    /// The expression aggregated; `nil` for `count()`.
    public var argument: String?
    /// `first`/`last`: the expression whose smallest/largest value picks the row.
    public var orderBy: String?

    public init(name: String, function: AggregateFunction, argument: String?, orderBy: String? = nil) {
        self.name = name
        self.function = function
        self.argument = argument
        self.orderBy = orderBy
    }
}

public enum AggregateFunction: String, Codable, Sendable, CaseIterable {
    /// `count()` counts rows; `count(x)` counts rows where x is not null.
    case count
    case sum
    case mean
    case min
    case max
    /// Sample variance (divides by n − 1), as SQL's `var_samp` and pandas.
    case variance
    case stddev
    case countDistinct = "count_distinct"
    /// `first(x, key)`: x of the row with the smallest key; `last`: the largest.
    case first
    case last

    /// Accepts the documented aliases (`var`, `avg`, `std`).
    public init?(name: String) {
        switch name.lowercased() {
        case "var", "var_samp", "variance": self = .variance
        case "std", "stddev", "stddev_samp": self = .stddev
        case "avg", "mean": self = .mean
        default:
            guard let known = AggregateFunction(rawValue: name.lowercased()) else { return nil }
            self = known
        }
    }
}

/// `function(argument, …)` as written in `aggregate.values`, split at top-level commas (not inside
/// parentheses or quotes), so arguments may be whole expressions: `sum(price * 2)`, `first(country, ts)`.
public struct AggregateCall: Sendable, Equatable {
    public var function: String
    public var arguments: [String]

    public init(function: String, arguments: [String]) {
        self.function = function
        self.arguments = arguments
    }

    public static func parse(_ text: String) -> AggregateCall? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let open = trimmed.firstIndex(of: "("), trimmed.last == ")" else { return nil }
        let name = trimmed[..<open].trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0 == "_" }) else { return nil }
        let inner = trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)]
        var arguments: [String] = []
        var depth = 0
        var quote: Character? = nil
        var current = ""
        for character in inner {
            if let q = quote {
                if character == q { quote = nil }
            } else if character == "'" || character == "\"" || character == "`" {
                quote = character
            } else if character == "(" {
                depth += 1
            } else if character == ")" {
                depth -= 1
                if depth < 0 { return nil }
            } else if character == "," && depth == 0 {
                arguments.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
                continue
            }
            current.append(character)
        }
        guard depth == 0, quote == nil else { return nil }
        let last = current.trimmingCharacters(in: .whitespaces)
        if !last.isEmpty || !arguments.isEmpty { arguments.append(last) }
        guard !arguments.contains(where: \.isEmpty) else { return nil }
        return AggregateCall(function: name, arguments: arguments)
    }
}
