/// An expression checked against a schema and ready to evaluate over batches of that schema.
///
///     let predicate = try ParsedExpression.parse("price > 1.0 and device != 'tablet'").bind(to: schema, expecting: .bool)
///     let kept = predicate.filter(batch)
///
/// Evaluation looks the columns up in the batch by name, once per batch, so a batch needs the columns in
/// `columns` (with the schema's types) and may hold others in any order. It runs 4096 rows at a time so that
/// intermediate results stay in the CPU cache.
public struct BoundExpression: Sendable {
    /// The expression as parsed.
    public let expression: ParsedExpression
    /// The type of every value the expression gives.
    public let type: DataType
    /// The input columns evaluation reads (after constant folding), for projection pushdown.
    public let columns: Set<String>
    let plan: ExpressionPlan

    init(expression: ParsedExpression, plan: ExpressionPlan) {
        self.expression = expression
        self.plan = plan
        type = plan.type
        var names: Set<String> = []
        plan.collectColumns(into: &names)
        columns = names
    }

    /// Parses `text` and binds it to `schema` in one step (`ParsedExpression.parse(text).bind(to:expecting:)`).
    /// - Throws: `ExpressionError` for the first mistake, syntax or type.
    public init(_ text: String, schema: Schema, expecting: DataType? = nil) throws(ExpressionError) {
        self = try ParsedExpression.parse(text).bind(to: schema, expecting: expecting)
    }

    /// The value of every row when the expression does not depend on the data (`1 + 2`, `x > 1 and false`):
    /// a filter that is constantly false need not read anything.
    public var constantValue: Value? { plan.constantValue }

    /// The expression's value for each row of `batch`: a column of `type` with `batch.count` values.
    ///
    /// The batch must hold every column in `columns` with its schema type; anything else is a programming
    /// error and stops the process.
    public func evaluate(on batch: ColumnBatch) -> Column {
        ChunkedEvaluation.column(plan, on: batch, chunkRows: ChunkedEvaluation.defaultChunkRows)
    }

    /// `evaluate(on:)` with the rows taken `chunkRows` at a time (tests use small chunks to cross boundaries).
    func evaluate(on batch: ColumnBatch, chunkRows: Int) -> Column {
        ChunkedEvaluation.column(plan, on: batch, chunkRows: chunkRows)
    }

    /// The rows of `batch` where the expression is true (neither false nor null), in order: a filter's selection
    /// vector for `ColumnBatch.gather`. The expression must be bool.
    public func selection(on batch: ColumnBatch) -> [Int32] {
        selection(on: batch, chunkRows: ChunkedEvaluation.defaultChunkRows)
    }

    func selection(on batch: ColumnBatch, chunkRows: Int) -> [Int32] {
        precondition(type == .bool, "a selection needs a bool expression, this one is \(type)")
        return ChunkedEvaluation.selection(plan, on: batch, chunkRows: chunkRows)
    }

    /// The rows of `batch` where the expression is true: a filter step.
    public func filter(_ batch: ColumnBatch) -> ColumnBatch {
        if constantValue == .bool(true) { return batch }
        return batch.gather(selection(on: batch))
    }
}

extension ParsedExpression {
    /// Checks the expression against `schema`: every column exists, operand and argument types fit, functions
    /// get the right number of arguments. Constant parts are computed here.
    /// - Parameters:
    ///   - schema: the columns the expression may read.
    ///   - expecting: the type the caller needs (`.bool` for a filter); an int expression is widened when a float
    ///     is expected. With `nil` any type goes, and a bare `null` expression is an int.
    /// - Throws: `ExpressionError` for the first mistake, with its position in the text.
    public func bind(to schema: Schema, expecting: DataType? = nil) throws(ExpressionError) -> BoundExpression {
        let binder = ExpressionBinder(schema: schema, text: text)
        let typed = try binder.bind(root)
        let type: DataType
        switch (typed.type, expecting) {
        case (nil, let expected): type = expected ?? .int
        case (let actual?, nil): type = actual
        case (let actual?, let expected?):
            guard actual == expected || (actual == .int && expected == .float) else {
                throw ExpressionError("expected a \(expected) expression, got \(actual)", in: text, at: root.range)
            }
            type = expected
        }
        return BoundExpression(expression: self, plan: binder.convert(typed, to: type))
    }
}
