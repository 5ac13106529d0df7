/// The type of a column or an expression: the four types an ETL job's data has.
public enum DataType: UInt8, Codable, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case int = 0
    case float = 1
    case bool = 2
    case string = 3

    /// The name used in job files and error messages (`schema: { dwell_ms: int }`).
    public var description: String {
        switch self {
        case .int: "int"
        case .float: "float"
        case .bool: "bool"
        case .string: "string"
        }
    }

    /// Parses a job file's type name; accepts the common aliases.
    public init?(name: String) {
        switch name.lowercased() {
        case "int", "integer", "int64", "long": self = .int
        case "float", "double", "float64", "real": self = .float
        case "bool", "boolean": self = .bool
        case "string", "str", "text", "utf8": self = .string
        default: return nil
        }
    }

    public var isNumeric: Bool { self == .int || self == .float }
}

/// A named, typed column of a schema.
public struct Field: Codable, Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var type: DataType

    public init(_ name: String, _ type: DataType) {
        self.name = name
        self.type = type
    }

    public var description: String { "\(name): \(type)" }
}

/// The columns of a data set, in order.
public struct Schema: Sendable, Hashable {
    public var fields: [Field]

    public init(_ fields: [Field]) { self.fields = fields }

    public var names: [String] { fields.map(\.name) }

    /// The position of the column called `name`, if there is one.
    public func index(of name: String) -> Int? { fields.firstIndex { $0.name == name } }

    public subscript(name: String) -> Field? { index(of: name).map { fields[$0] } }
}
