extension Column {
    /// The positions of the rows that are true (not false, not null), in order: a filter's selection vector,
    /// for `ColumnBatch.gather`. The column must be bool.
    public func rowsWhereTrue() -> [Int32] {
        guard case .bool(let values) = data else { preconditionFailure("rowsWhereTrue needs a bool column, not \(type)") }
        let n = values.count
        // Branch-free: write every index, advance the end only past the true ones.
        return [Int32](unsafeUninitializedCapacity: n) { out, initialized in
            var kept = 0
            values.withUnsafeBufferPointer { values in
                if let validity {
                    validity.withUnsafeBufferPointer { validity in
                        for i in 0..<n {
                            out[kept] = Int32(truncatingIfNeeded: i)
                            kept &+= (values[i] && validity[i]) ? 1 : 0
                        }
                    }
                } else {
                    for i in 0..<n {
                        out[kept] = Int32(truncatingIfNeeded: i)
                        kept &+= values[i] ? 1 : 0
                    }
                }
            }
            initialized = kept
        }
    }
}
