extension ExpressionPlan {
    /// The plan's value over `batch`, one operator at a time, each over whole columns.
    func evaluate(in batch: ColumnBatch) -> Operand {
        let count = batch.count
        switch self {
        case .constant(let value, _):
            return .constant(value)
        case .column(let name, let type):
            guard let column = batch[name] else {
                preconditionFailure("the batch has no column '\(name)', which the expression reads (columns: \(batch.names))")
            }
            precondition(column.type == type, "column '\(name)' is \(column.type) in the batch, \(type) in the schema")
            return .vector(column.data, validity: column.validity)
        case .toFloat(let operand):
            switch operand.evaluate(in: batch) {
            case .constant(.int(let v)): return .constant(.float(Double(v)))
            case .vector(.int(let values), let validity): return .vector(.float(Kernel.map(values) { Double($0) }), validity: validity)
            case let other: return other
            }
        case .negate(let operand):
            return Kernel.negate(operand.evaluate(in: batch), count: count)
        case .arithmetic(let op, let left, let right):
            return Kernel.arithmetic(op, left.evaluate(in: batch), right.evaluate(in: batch), type: left.type, count: count)
        case .comparison(let op, let left, let right):
            return Kernel.compare(op, left.evaluate(in: batch), right.evaluate(in: batch), type: left.type, count: count)
        case .and(let left, let right):
            return Kernel.and(left.evaluate(in: batch), right.evaluate(in: batch), count: count)
        case .or(let left, let right):
            return Kernel.or(left.evaluate(in: batch), right.evaluate(in: batch), count: count)
        case .not(let operand):
            return Kernel.not(operand.evaluate(in: batch))
        case .isNull(let operand, let negated):
            return Kernel.isNull(operand.evaluate(in: batch), negated: negated, count: count)
        case .function(let function, let arguments, let type):
            return Kernel.call(function, arguments.map { $0.evaluate(in: batch) }, type: type, count: count)
        }
    }
}
