/// One value of any column type, or SQL's null: literals, group keys, statistics. The vectorized paths never
/// hold rows as `Value`s; this is for the few values a job handles one at a time.
public enum Value: Codable, Sendable, Hashable, CustomStringConvertible {
    case null
    case int(Int64)
    case float(Double)
    case bool(Bool)
    case string(String)

    public var type: DataType? {
        switch self {
        case .null: nil
        case .int: .int
        case .float: .float
        case .bool: .bool
        case .string: .string
        }
    }

    public var isNull: Bool { if case .null = self { true } else { false } }

    /// The value as a double, for numeric values (ints widen); nil otherwise.
    public var doubleValue: Double? {
        switch self {
        case .int(let v): Double(v)
        case .float(let v): v
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .null: "null"
        case .int(let v): String(v)
        case .float(let v): String(v)
        case .bool(let v): v ? "true" : "false"
        case .string(let v): v
        }
    }
}
