extension ColumnBatch {
    /// The rows of `batches` one after another; all must have the same column names and types.
    public init(concatenating batches: [ColumnBatch]) {
        guard let first = batches.first else {
            self.init(count: 0)
            return
        }
        if batches.count == 1 {
            self = first
            return
        }
        if first.names.isEmpty {
            self.init(count: batches.reduce(0) { $0 + $1.count })
            return
        }
        let columns = first.columns.indices.map { i in
            Column(concatenating: batches.map { batch in
                precondition(batch.names == first.names, "batches must have the same columns")
                return batch.columns[i]
            })
        }
        self.init(names: first.names, columns: columns)
    }
}

extension Column {
    /// The values of `columns` one after another; all must have the same type.
    public init(concatenating columns: [Column]) {
        precondition(!columns.isEmpty, "nothing to concatenate")
        let validity: [Bool]? =
            columns.contains { $0.validity != nil }
            ? columns.flatMap { $0.validity ?? [Bool](repeating: true, count: $0.count) } : nil
        switch columns[0].data {
        case .int:
            self.init(.int(columns.flatMap { if case .int(let v) = $0.data { v } else { preconditionFailure("mixed types") } }), validity: validity)
        case .float:
            self.init(.float(columns.flatMap { if case .float(let v) = $0.data { v } else { preconditionFailure("mixed types") } }), validity: validity)
        case .bool:
            self.init(.bool(columns.flatMap { if case .bool(let v) = $0.data { v } else { preconditionFailure("mixed types") } }), validity: validity)
        case .string:
            var out = StringColumn()
            for column in columns {
                guard case .string(let s) = column.data else { preconditionFailure("mixed types") }
                let base = Int32(out.bytes.count)
                out.bytes.append(contentsOf: s.bytes)
                out.offsets.append(contentsOf: s.offsets.dropFirst().map { $0 + base })
            }
            self.init(.string(out), validity: validity)
        }
    }
}
