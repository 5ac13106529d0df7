/// Evaluation a slice of rows at a time. Every operator writes a whole intermediate array, so over a batch of a
/// million rows each one would stream megabytes through memory; over 4096 rows the intermediates stay in the
/// CPU's cache and only the inputs and the result travel (on the 2-core development machine this makes simple
/// arithmetic up to three times faster).
enum ChunkedEvaluation {
    static let defaultChunkRows = 4096

    /// The value of `plan` over `batch` as a full column.
    static func column(_ plan: ExpressionPlan, on batch: ColumnBatch, chunkRows: Int) -> Column {
        let type = plan.type
        if case .constant(let value, _) = plan { return Column.repeating(value, type, count: batch.count) }
        if batch.count <= chunkRows { return plan.evaluate(in: batch).column(type, count: batch.count) }
        switch type {
        case .int:
            return fixedWidthColumn(plan, on: batch, chunkRows: chunkRows, { .int($0) }, { if case .int(let v) = $0 { v } else { nil } }) {
                Kernel.blend($0, $1, 0)
            }
        case .float:
            return fixedWidthColumn(plan, on: batch, chunkRows: chunkRows, { .float($0) }, { if case .float(let v) = $0 { v } else { nil } }) {
                Kernel.blend($0, $1, 0)
            }
        case .bool:
            return fixedWidthColumn(plan, on: batch, chunkRows: chunkRows, { .bool($0) }, { if case .bool(let v) = $0 { v } else { nil } }) {
                Kernel.bitAnd($0, $1)
            }
        case .string:
            var builder = StringColumnBuilder(capacity: batch.count)
            forEachChunk(of: batch, reading: plan, chunkRows: chunkRows) { chunk, _ in
                builder.append(plan.evaluate(in: chunk).column(type, count: chunk.count))
            }
            return builder.finish()
        }
    }

    /// An int, float or bool result written chunk by chunk straight into its final array, putting the
    /// placeholder into null slots on the way (`keep(valid, value)`), so a chunk's result is read once.
    @inline(__always)
    private static func fixedWidthColumn<T>(
        _ plan: ExpressionPlan, on batch: ColumnBatch, chunkRows: Int, _ wrap: ([T]) -> ColumnData,
        _ unwrap: (ColumnData) -> [T]?, _ keep: (Bool, T) -> T
    ) -> Column {
        let n = batch.count
        // Made only when some chunk has a null.
        var validity: [Bool]?
        let values = [T](unsafeUninitializedCapacity: n) { out, initialized in
            forEachChunk(of: batch, reading: plan, chunkRows: chunkRows) { chunk, start in
                let (data, chunkValidity) = plan.evaluate(in: chunk).vector(plan.type, count: chunk.count)
                guard let chunkValues = unwrap(data) else { preconditionFailure("a result of \(data.type), \(plan.type) planned") }
                let o = out.baseAddress! + start
                chunkValues.withUnsafeBufferPointer { v in
                    if let chunkValidity, !Kernel.allTrue(chunkValidity) {
                        if validity == nil { validity = [Bool](repeating: true, count: n) }
                        chunkValidity.withUnsafeBufferPointer { ok in
                            // Two plain loops (a copy and a blend), which vectorise; one loop doing both does not.
                            validity!.withUnsafeMutableBufferPointer { all in
                                (all.baseAddress! + start).update(from: ok.baseAddress!, count: ok.count)
                            }
                            for i in 0..<v.count { (o + i).initialize(to: keep(ok[i], v[i])) }
                        }
                    } else {
                        (o).initialize(from: v.baseAddress!, count: v.count)
                    }
                }
            }
            initialized = n
        }
        return Column(wrap(values), validity: validity)
    }


    /// The rows where the bool `plan` is true, in order.
    static func selection(_ plan: ExpressionPlan, on batch: ColumnBatch, chunkRows: Int) -> [Int32] {
        if case .constant(let value, _) = plan { return value == .bool(true) ? Array(0..<Int32(batch.count)) : [] }
        var rows: [Int32] = []
        rows.reserveCapacity(batch.count)
        forEachChunk(of: batch, reading: plan, chunkRows: chunkRows) { chunk, start in
            switch plan.evaluate(in: chunk) {
            case .constant(let value):
                if value == .bool(true) { rows.append(contentsOf: Int32(start)..<Int32(start + chunk.count)) }
            case .vector(let data, let validity):
                guard case .bool(let values) = data else { preconditionFailure("selection of \(data.type)") }
                appendTrueRows(values, validity, offset: start, to: &rows)
            }
        }
        return rows
    }

    /// Calls `body` with consecutive slices of the columns `plan` reads, and each slice's first row.
    private static func forEachChunk(
        of batch: ColumnBatch, reading plan: ExpressionPlan, chunkRows: Int, _ body: (ColumnBatch, Int) -> Void
    ) {
        var names: Set<String> = []
        plan.collectColumns(into: &names)
        let read = names.sorted()
        let columns = read.map { name in
            guard let column = batch[name] else {
                preconditionFailure("the batch has no column '\(name)', which the expression reads (columns: \(batch.names))")
            }
            return column
        }
        var start = 0
        repeat {
            let end = Swift.min(start + chunkRows, batch.count)
            let chunk =
                columns.isEmpty
                ? ColumnBatch(count: end - start) : ColumnBatch(names: read, columns: columns.map { $0.slice(start..<end) })
            body(chunk, start)
            start = end
        } while start < batch.count
    }

    /// Appends `offset + i` for each true, valid row `i`, without a branch per row.
    static func appendTrueRows(_ values: [Bool], _ validity: [Bool]?, offset: Int, to rows: inout [Int32]) {
        let n = values.count
        let base = rows.count
        rows.reserveCapacity(base + n)
        let found = [Int32](unsafeUninitializedCapacity: n) { out, initialized in
            var kept = 0
            values.withUnsafeBufferPointer { values in
                if let validity {
                    validity.withUnsafeBufferPointer { validity in
                        for i in 0..<n {
                            out[kept] = Int32(truncatingIfNeeded: offset + i)
                            kept &+= Int(bit(values[i]) & bit(validity[i]))
                        }
                    }
                } else {
                    for i in 0..<n {
                        out[kept] = Int32(truncatingIfNeeded: offset + i)
                        kept &+= Int(bit(values[i]))
                    }
                }
            }
            initialized = kept
        }
        rows.append(contentsOf: found)
    }
}
