/// A batch of rows stored by column: what readers produce, steps transform and writers and aggregates consume.
public struct ColumnBatch: Sendable, Equatable {
    public private(set) var names: [String]
    public private(set) var columns: [Column]
    /// Rows in the batch; every column has this many values.
    public private(set) var count: Int

    public init(names: [String], columns: [Column]) {
        precondition(names.count == columns.count, "one name per column")
        let count = columns.first?.count ?? 0
        precondition(columns.allSatisfy { $0.count == count }, "columns must have equal lengths")
        self.names = names
        self.columns = columns
        self.count = count
    }

    /// A batch with `count` rows and no columns yet (e.g. `count()` over an empty projection).
    public init(count: Int) {
        names = []
        columns = []
        self.count = count
    }

    public var schema: Schema { Schema(zip(names, columns).map { Field($0, $1.type) }) }

    public func index(of name: String) -> Int? { names.firstIndex(of: name) }

    public subscript(name: String) -> Column? { index(of: name).map { columns[$0] } }

    /// Adds `column` as `name`, or replaces the column of that name in place.
    public mutating func set(_ name: String, _ column: Column) {
        precondition(column.count == count || (names.isEmpty && count == 0), "column length must match the batch")
        if names.isEmpty && count == 0 { count = column.count }
        if let i = index(of: name) { columns[i] = column } else {
            names.append(name)
            columns.append(column)
        }
    }

    /// Keeps only the named columns, in the order given; unknown names are a programming error (checked at
    /// plan time).
    public func selecting(_ wanted: [String]) -> ColumnBatch {
        var out = ColumnBatch(count: count)
        for name in wanted {
            guard let i = index(of: name) else { preconditionFailure("no column \(name)") }
            out.names.append(name)
            out.columns.append(columns[i])
        }
        return out
    }

    public mutating func rename(_ old: String, to new: String) {
        if let i = index(of: old) { names[i] = new }
    }

    public mutating func remove(_ name: String) {
        if let i = index(of: name) {
            names.remove(at: i)
            columns.remove(at: i)
        }
    }

    /// The rows at `indices` (a filter's survivors), in that order.
    public func gather(_ indices: [Int32]) -> ColumnBatch {
        var out = ColumnBatch(count: indices.count)
        out.names = names
        out.columns = columns.map { $0.gather(indices) }
        return out
    }
}
