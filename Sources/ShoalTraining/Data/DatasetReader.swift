import ShoalETL

/// One shard of a dataset in memory: encoded features, `rows × width` `Float`s, and a label per row.
public struct DatasetShard: Sendable, Equatable {
    public var features: Matrix
    public var labels: [Float]
    public var badRows: Int
    public var rows: Int { labels.count }
}

/// A training-data problem: a bad record under `on_bad_row: fail`, a label the model cannot take.
public struct TrainingDataError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Reads shards of a training or validation input: the statistics pass and the load into matrices.
///
/// Feature and label columns are read strictly: an empty value, a value of the wrong type, NaN or infinity is a
/// bad record (`file:line: field "f3" is empty, …`); under `on_bad_row: fail` (the default) it stops the job
/// with that message, under `skip` it is counted and left out — in both passes alike, so the counts agree.
public struct DatasetReader: Sendable {
    public let data: DataSpec
    public let model: ModelSpec

    public init(data: DataSpec, model: ModelSpec) {
        self.data = data
        self.model = model
    }

    /// Pass one over a training shard: its rows, the standardized columns' moments, one-hot categories.
    public func statistics(of shard: InputShard) throws -> ShardStatistics {
        var statistics = ShardStatistics()
        let standardized = data.features.compactMap { f -> String? in
            if case .standardize(let c) = f { return c }
            return nil
        }
        let schema = Schema(data.schema)
        statistics.columns = standardized.map { ColumnStatistics(name: $0, type: schema[$0]?.type ?? .float) }
        var categories: [String: Set<String>] = [:]
        let oneHot = data.features.compactMap { f -> String? in
            if case .oneHot(let c) = f { return c }
            return nil
        }
        // Under on_bad_row: fail the pass parses only the columns it needs statistics of (and the label): a bad
        // value in another feature stops the job at the shard's load instead, with the same file:line message,
        // and row counts cannot differ between the passes. Under skip every column is checked here, so that both
        // passes skip the same rows.
        let needed = data.train.onBadRow == .fail ? Set(standardized + oneHot + [data.label]) : nil
        statistics.badRows = try read(shard, input: data.train, only: needed) { batch, lines in
            statistics.rows += batch.count
            for i in statistics.columns.indices { statistics.columns[i].add(batch[statistics.columns[i].name]!) }
            for c in oneHot {
                let column = batch[c]!
                var seen = categories[c] ?? []
                for i in 0..<column.count { seen.insert(FeatureEncoding.text(column, i)) }
                guard seen.count <= Self.categoryLimit else {
                    throw TrainingDataError(
                        "\(shard.path): column \"\(c)\" has more than \(Self.categoryLimit) distinct values: too many for"
                            + " one_hot (hash them into buckets with an etl step first)")
                }
                categories[c] = seen
            }
        }
        statistics.categories = categories.mapValues { $0.sorted() }
        return statistics
    }

    /// The most categories a one-hot feature may have.
    public static let categoryLimit = 10_000

    /// Pass two: the shard's rows encoded, in file order.
    public func load(_ shard: InputShard, input: InputSpec, encoding: FeatureEncoding) throws -> DatasetShard {
        var features: [Float] = []
        var labels: [Float] = []
        let badRows = try read(shard, input: input) { batch, _ in
            encoding.encode(batch, features: &features, labels: &labels)
        }
        return DatasetShard(
            features: Matrix(rows: labels.count, columns: encoding.width, values: features), labels: labels,
            badRows: badRows)
    }

    /// Reads `shard` batch by batch, checking every label against the model.
    /// - Returns: the bad records skipped.
    /// - Parameter only: the columns to parse (in `columns` order), when not all of them.
    private func read(
        _ shard: InputShard, input: InputSpec, only: Set<String>? = nil, _ body: (ColumnBatch, [Int]) throws -> Void
    ) throws -> Int {
        var badRows = 0
        let policy = input.onBadRow
        let columns = data.columns.filter { only?.contains($0) ?? true }
        let reader = try CSVReader(
            path: shard.path, schema: data.schema(for: input), projection: columns,
            shard: shard.fileShard,
            options: ETLInputPlanning.csvOptions(input), strictColumns: Set(columns),
            onBadRow: { bad in
                guard policy != .fail else { throw TrainingDataError("\(bad)") }
                badRows += 1
            })
        reader.tracksLines = true
        while let batch = try reader.next() {
            try checkLabels(batch[data.label]!, lines: reader.recordLines, file: shard.path)
            try body(batch, reader.recordLines)
        }
        return badRows
    }

    /// Every label must fit the head: 0 or 1 for logistic, a class index for softmax.
    func checkLabels(_ column: Column, lines: [Int], file: String) throws {
        func fail(_ i: Int, _ expected: String) -> TrainingDataError {
            TrainingDataError(
                "\(file):\(lines[i]): label \"\(data.label)\" is \(column.value(at: i)); \(expected)")
        }
        switch model.head {
        case .linear:
            return
        case .logistic:
            try Self.forEachLabel(column) { i, y in
                if y != 0 && y != 1 { throw fail(i, "a logistic model takes labels 0 and 1 (for more classes use softmax)") }
            }
        case .softmax:
            let classes = model.classes
            try Self.forEachLabel(column) { i, y in
                if y < 0 || y != y.rounded() || y >= Double(classes) {
                    throw fail(i, "a softmax model of \(classes) classes takes labels 0 to \(classes - 1)")
                }
            }
        }
    }

    static func forEachLabel(_ column: Column, _ body: (Int, Double) throws -> Void) throws {
        switch column.data {
        case .int(let v): for i in v.indices { try body(i, Double(v[i])) }
        case .float(let v): for i in v.indices { try body(i, v[i]) }
        case .bool(let v): for i in v.indices { try body(i, v[i] ? 1 : 0) }
        case .string: throw TrainingDataError("the label must be a numeric column")
        }
    }
}
