/// What running the steps on one batch gives.
public struct PipelineOutput: Sendable {
    /// The written rows: the visible columns after the last step.
    public var rows: ColumnBatch
    /// Values the cast step could not convert (now null).
    public var castFailures: Int
}

extension ETLPipeline {
    /// Whether the job has an `aggregate:` section.
    public var hasAggregate: Bool { aggregate != nil }

    /// An empty partial aggregate of this job's shape, for `run` to add to.
    public func makePartialAggregate() -> GroupedAggregate? { aggregate?.makePartial() }

    /// The aggregate's result column names (keys, then values).
    public var aggregateNames: (keys: [String], values: [String])? {
        aggregate.map { ($0.keys.map(\.name), $0.valueNames) }
    }

    /// Empty statistics for a statistics pass to add to: one per `scalings` entry.
    public func makeStatistics() -> [ColumnStatistics] {
        scalings.map { ColumnStatistics(name: $0.column, type: .float) }
    }

    /// Runs every step on `batch` (which holds at least `inputColumns`, by name) and adds the surviving rows
    /// to `partial`, the shard's aggregate.
    public func run(_ batch: ColumnBatch, into partial: GroupedAggregate?) -> PipelineOutput {
        var statistics: [ColumnStatistics] = []
        return run(batch, into: partial, statistics: &statistics)
    }

    /// `run`, adding the values that reach each scaling step to `statistics` on a statistics pass
    /// (`ScalingPass.collect`; `statistics` from `makeStatistics`).
    public func run(
        _ batch: ColumnBatch, into partial: GroupedAggregate?, statistics: inout [ColumnStatistics]
    ) -> PipelineOutput {
        var columns = [Column?](repeating: nil, count: wide.count)
        for (index, field) in inputSchema.fields.enumerated() {
            if let column = batch[field.name] { columns[index] = column }
        }
        var count = batch.count
        var castFailures = 0
        func view(_ reads: [(name: String, wide: Int)]) -> ColumnBatch {
            guard !reads.isEmpty else { return ColumnBatch(count: count) }
            return ColumnBatch(names: reads.map(\.name), columns: reads.map { columns[$0.wide]! })
        }
        func keep(_ selection: [Int32], live: Set<Int>) {
            guard selection.count != count else { return }
            for index in columns.indices {
                guard let column = columns[index] else { continue }
                columns[index] = live.contains(index) ? column.gather(selection) : nil
            }
            count = selection.count
        }
        for (index, operation) in operations.enumerated() {
            let live = liveAfter[index]
            switch operation {
            case .filter(let bound):
                keep(bound.evaluate(on: view(inputs[index])).rowsWhereTrue(), live: live)
            case .derive(let bound, let target):
                columns[target] = bound.evaluate(on: view(inputs[index]))
            case .cast(let source, let type, let target):
                let (column, failures) = ColumnCast.cast(columns[source]!, to: type)
                columns[target] = column
                castFailures += failures
            case .fill(let source, let value, let target):
                columns[target] = ColumnCast.fillNulls(columns[source]!, with: value)
            case .dropNull(let sources):
                let selection = (0..<count).filter { row in sources.allSatisfy { !columns[$0]!.isNull(row) } }.map { Int32($0) }
                keep(selection, live: live)
            case .hashBucket(let source, let buckets, let target):
                columns[target] = ColumnCast.hashBuckets(columns[source]!, buckets: buckets)
            case .oneHot(let source, let categories, let targets):
                for (category, target) in zip(categories, targets) {
                    columns[target] = ColumnCast.indicator(columns[source]!, equals: category)
                }
            case .scale(let source, let slot, let target):
                switch scalingPass {
                case .apply(let merged):
                    columns[target] = ColumnScaling.apply(
                        scalings[slot].kind, to: columns[source]!, statistics: merged[slot])
                case .collect:
                    let values = ColumnScaling.asFloat(columns[source]!)
                    statistics[slot].add(values)
                    columns[target] = values
                case nil:
                    preconditionFailure("a pipeline with scaling steps runs with a ScalingPass")
                }
            }
            for dead in columns.indices where columns[dead] != nil && !live.contains(dead) { columns[dead] = nil }
        }
        if let aggregate, let partial {
            let rows = view(aggregate.reads)
            let keys = aggregate.keys.map { columns[$0.wide]! }
            let arguments = aggregate.values.map { $0.argument?.evaluate(on: rows) }
            let orders = aggregate.values.map { $0.order?.evaluate(on: rows) }
            partial.add(keys: keys, arguments: arguments, orders: orders, rows: count)
        }
        let rows = output.isEmpty || !writesRows
            ? ColumnBatch(count: count)
            : ColumnBatch(names: output.map(\.name), columns: output.map { columns[$0.wide]! })
        return PipelineOutput(rows: rows, castFailures: castFailures)
    }
}
