/// The values of one column of a batch, by type. Arrays, not rows: the readers fill them and the expression
/// evaluator works on them a column at a time.
public enum ColumnData: Sendable, Equatable {
    case int([Int64])
    case float([Double])
    case bool([Bool])
    case string(StringColumn)

    public var type: DataType {
        switch self {
        case .int: .int
        case .float: .float
        case .bool: .bool
        case .string: .string
        }
    }

    public var count: Int {
        switch self {
        case .int(let v): v.count
        case .float(let v): v.count
        case .bool(let v): v.count
        case .string(let v): v.count
        }
    }
}

/// One column of a batch: values plus validity. A null slot holds a placeholder value (0, false, "") that
/// nothing may read as data; `validity[i] == false` marks it.
public struct Column: Sendable, Equatable {
    public var data: ColumnData
    /// `nil` when the column has no nulls, which spares the check on the hot paths.
    public var validity: [Bool]?

    public init(_ data: ColumnData, validity: [Bool]? = nil) {
        if let validity { precondition(validity.count == data.count, "validity must match the values") }
        self.data = data
        self.validity = validity.flatMap { $0.contains(false) ? $0 : nil }
    }

    public var type: DataType { data.type }
    public var count: Int { data.count }
    public var nullCount: Int { validity.map { $0.reduce(0) { $0 + ($1 ? 0 : 1) } } ?? 0 }

    @inlinable
    public func isNull(_ i: Int) -> Bool { validity.map { !$0[i] } ?? false }

    /// A column of `count` nulls of `type`.
    public static func nulls(_ type: DataType, count: Int) -> Column {
        let validity = [Bool](repeating: false, count: count)
        switch type {
        case .int: return Column(.int(.init(repeating: 0, count: count)), validity: validity)
        case .float: return Column(.float(.init(repeating: 0, count: count)), validity: validity)
        case .bool: return Column(.bool(.init(repeating: false, count: count)), validity: validity)
        case .string:
            return Column(.string(StringColumn(bytes: [], offsets: .init(repeating: 0, count: count + 1))), validity: validity)
        }
    }

    /// The value at `i` as a `Value` (slow path: statistics, group keys, tests).
    public func value(at i: Int) -> Value {
        if isNull(i) { return .null }
        switch data {
        case .int(let v): return .int(v[i])
        case .float(let v): return .float(v[i])
        case .bool(let v): return .bool(v[i])
        case .string(let v): return .string(v.string(at: i))
        }
    }

    /// The rows at `indices`, in that order (a filter's survivors).
    public func gather(_ indices: [Int32]) -> Column {
        let valid = validity.map { v in indices.map { v[Int($0)] } }
        switch data {
        case .int(let v): return Column(.int(indices.map { v[Int($0)] }), validity: valid)
        case .float(let v): return Column(.float(indices.map { v[Int($0)] }), validity: valid)
        case .bool(let v): return Column(.bool(indices.map { v[Int($0)] }), validity: valid)
        case .string(let v): return Column(.string(v.gather(indices)), validity: valid)
        }
    }
}
