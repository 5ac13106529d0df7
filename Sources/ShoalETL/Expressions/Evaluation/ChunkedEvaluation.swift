/// Evaluation a slice of rows at a time. Every operator writes a whole intermediate array, so over a batch of a
/// million rows each one would stream megabytes through memory; over 4096 rows the intermediates stay in the
/// CPU's cache and only the inputs and the result travel (on the 2-core test machine this makes
/// `price / (dwell_ms / 1000)` several times faster).
enum ChunkedEvaluation {
    static let defaultChunkRows = 4096

    /// The value of `plan` over `batch` as a full column.
    static func column(_ plan: ExpressionPlan, on batch: ColumnBatch, chunkRows: Int) -> Column {
        let type = plan.type
        if case .constant(let value, _) = plan { return Column.repeating(value, type, count: batch.count) }
        if batch.count <= chunkRows { return plan.evaluate(in: batch).column(type, count: batch.count) }
        var builder = ColumnBuilder(type: type, capacity: batch.count)
        forEachChunk(of: batch, reading: plan, chunkRows: chunkRows) { chunk, _ in
            builder.append(plan.evaluate(in: chunk).column(type, count: chunk.count))
        }
        return builder.finish()
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
