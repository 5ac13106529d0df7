/// Builds a column one `Value` at a time: for small results (aggregates, statistics), not for the hot paths.
/// A value of another type is converted where that is lossless in meaning (int → float for a float column);
/// an int result that overflowed into a float keeps the column's type as float.
public struct ColumnBuilder: Sendable {
    public private(set) var type: DataType
    var values: [Value] = []

    public init(type: DataType) { self.type = type }

    public mutating func append(_ value: Value) {
        if type == .int, case .float = value { type = .float }
        values.append(value)
    }

    public func build() -> Column {
        let validity = values.map { !$0.isNull }
        switch type {
        case .int:
            return Column(.int(values.map { if case .int(let v) = $0 { v } else { 0 } }), validity: validity)
        case .float:
            return Column(.float(values.map { $0.doubleValue ?? 0 }), validity: validity)
        case .bool:
            return Column(.bool(values.map { if case .bool(let v) = $0 { v } else { false } }), validity: validity)
        case .string:
            return Column(.string(StringColumn(values.map { if case .string(let v) = $0 { v } else { "" } })), validity: validity)
        }
    }
}
