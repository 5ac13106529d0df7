/// One step of an ETL job, applied to every batch in the order written. Expressions are kept as text: each
/// worker binds them again to the schema (cheap), after the planner checked them at submit time.
public enum Step: Codable, Sendable, Equatable {
    /// Keeps the rows where the predicate is true (not false, not null).
    case filter(String)
    /// Adds (or replaces) columns, in order; a later one may use an earlier one.
    case derive([NamedExpression])
    /// Keeps these columns in this order in the written rows.
    case select([String])
    /// Renames columns of the written rows (old → new).
    case rename([Renaming])
    /// Removes columns from the written rows.
    case drop([String])
    /// Converts columns to another type; a value that does not convert becomes null and is counted.
    case cast([ColumnType])
    /// Replaces nulls in a column with a literal.
    case fillNull([ColumnFill])
    /// Leaves out rows where any of these columns is null.
    case dropNull([String])
    /// Adds `<column>_bucket`: a stable hash of the value modulo `buckets` (null stays null).
    case hashBucket(column: String, buckets: Int)
    /// Adds one 0/1 int column `<column>_<category>` per category; a null or other value sets none of them.
    case oneHot(column: String, categories: [String])
    /// Replaces numeric columns with `(x - mean) / stddev` (population standard deviation over every row that
    /// reaches the step, all shards; 0 where the deviation is 0). Needs a statistics pass first.
    case standardize([String])
    /// Replaces numeric columns with `(x - min) / (max - min)` over every row that reaches the step, all
    /// shards (0 where max = min). Needs a statistics pass first.
    case minMax([String])

    /// Whether the step needs statistics of the whole input (a first pass) before it can run.
    public var isScaling: Bool {
        switch self {
        case .standardize, .minMax: true
        default: false
        }
    }
}

public struct NamedExpression: Codable, Sendable, Equatable {
    public var name: String
    public var expression: String
    public init(_ name: String, _ expression: String) {
        self.name = name
        self.expression = expression
    }
}

public struct Renaming: Codable, Sendable, Equatable {
    public var from: String
    public var to: String
    public init(_ from: String, _ to: String) {
        self.from = from
        self.to = to
    }
}

public struct ColumnType: Codable, Sendable, Equatable {
    public var column: String
    public var type: DataType
    public init(_ column: String, _ type: DataType) {
        self.column = column
        self.type = type
    }
}

public struct ColumnFill: Codable, Sendable, Equatable {
    public var column: String
    public var value: Value
    public init(_ column: String, _ value: Value) {
        self.column = column
        self.value = value
    }
}
