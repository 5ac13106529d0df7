extension Column {
    /// The positions of the rows that are true (not false, not null), in order: a filter's selection vector,
    /// for `ColumnBatch.gather`. The column must be bool.
    public func rowsWhereTrue() -> [Int32] {
        guard case .bool(let values) = data else { preconditionFailure("rowsWhereTrue needs a bool column, not \(type)") }
        var rows: [Int32] = []
        ChunkedEvaluation.appendTrueRows(values, validity, offset: 0, to: &rows)
        return rows
    }
}
