import ShoalETL

/// A training job's `data` section, resolved at submit time: the input files, the columns that feed the model
/// and the label.
public struct DataSpec: Codable, Sendable, Equatable {
    public var train: InputSpec
    public var validation: InputSpec?
    public var features: [FeatureSpec]
    public var label: String
    /// Every column of the training files, with the types the reader parses them as (one-hot columns as
    /// strings, so that categories are their text).
    public var schema: [Field]
    /// The validation files' columns, read the same way (they need not have the training files' other columns).
    public var validationSchema: [Field]?

    public init(
        train: InputSpec, validation: InputSpec?, features: [FeatureSpec], label: String, schema: [Field],
        validationSchema: [Field]? = nil
    ) {
        self.train = train
        self.validation = validation
        self.features = features
        self.label = label
        self.schema = schema
        self.validationSchema = validationSchema
    }

    /// The schema the files of `input` are read with.
    public func schema(for input: InputSpec) -> Schema {
        Schema(input == validation && input != train ? validationSchema ?? schema : schema)
    }

    /// The columns a reader parses: the features' then the label's, once each.
    public var columns: [String] {
        var seen: Set<String> = []
        return (features.map(\.column) + [label]).filter { seen.insert($0).inserted }
    }
}

/// The statistics pass over one training shard, merged at the coordinator in shard order into the feature
/// encoding and the sizes that define micro-batches.
public struct ShardStatistics: Codable, Sendable, Equatable {
    public var rows: Int = 0
    /// Records skipped under `on_bad_row: skip`.
    public var badRows: Int = 0
    /// Of the standardized columns, in `features` order.
    public var columns: [ColumnStatistics] = []
    /// The distinct values of each one-hot column, sorted.
    public var categories: [String: [String]] = [:]

    public init() {}

    /// Adds `other`, a later shard. Means and variances merge with Chan's formula, so merging in shard order
    /// gives the same bits however the shards were spread over workers.
    public mutating func merge(_ other: ShardStatistics) {
        rows += other.rows
        badRows += other.badRows
        if columns.isEmpty {
            columns = other.columns
        } else {
            for i in columns.indices { columns[i].merge(other.columns[i]) }
        }
        for (column, values) in other.categories {
            categories[column] = Array(Set(categories[column] ?? []).union(values)).sorted()
        }
    }

    /// The encoding these statistics give `features`.
    public func encoding(features: [FeatureSpec], label: String) -> FeatureEncoding {
        FeatureEncoding(
            entries: features.map { feature in
                switch feature {
                case .numeric(let c):
                    return .init(column: c, transform: .identity)
                case .standardize(let c):
                    // Population standard deviation, as scikit-learn's StandardScaler.
                    let s = columns.first { $0.name == c }
                    let scale = s.map { $0.count > 0 ? (max(0, $0.m2) / Double($0.count)).squareRoot() : 0 } ?? 0
                    return .init(column: c, transform: .standardize(mean: s?.mean ?? 0, scale: scale))
                case .oneHot(let c):
                    return .init(column: c, transform: .oneHot(categories: categories[c] ?? []))
                }
            },
            label: label)
    }
}
