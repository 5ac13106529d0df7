/// A dense row-major matrix of `Float`: a dataset shard's features (one row per example) or a layer's weights
/// (one row per output unit, so each unit's weights are contiguous for the dot products of the forward pass).
public struct Matrix: Sendable, Equatable {
    public private(set) var rows: Int
    public let columns: Int
    /// `rows * columns` values, row after row.
    public var values: [Float]

    public init(rows: Int, columns: Int, values: [Float]) {
        precondition(rows >= 0 && columns >= 0 && values.count == rows * columns, "values must fill rows × columns")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    public init(rows: Int, columns: Int) {
        self.init(rows: rows, columns: columns, values: [Float](repeating: 0, count: rows * columns))
    }

    public subscript(row: Int, column: Int) -> Float {
        get { values[row * columns + column] }
        set { values[row * columns + column] = newValue }
    }

    /// Appends the rows of `other`, which has as many columns.
    public mutating func append(rowsOf other: Matrix) {
        precondition(other.columns == columns, "appending rows of another width")
        values.append(contentsOf: other.values)
        rows += other.rows
    }
}
