/// One column a `standardize` or `min_max` step scales.
public struct Scaling: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case standardize
        case minMax = "min_max"
    }

    /// The step's position in the job's steps.
    public var step: Int
    public var column: String
    public var kind: Kind

    public init(step: Int, column: String, kind: Kind) {
        self.step = step
        self.column = column
        self.kind = kind
    }
}

/// What a pipeline's scaling steps do on this pass.
public enum ScalingPass: Codable, Sendable, Equatable {
    /// The statistics pass: scaling steps pass their columns through (as float) and `run` adds every value
    /// that reaches them to the statistics, one per `ETLPipeline.scalings` entry.
    case collect
    /// The main pass: each scaling step applies the merged statistics of the whole input, one per
    /// `ETLPipeline.scalings` entry.
    case apply([ColumnStatistics])
}

/// The arithmetic of `standardize` and `min_max` — a loop per column; the statistics come from
/// `ColumnStatistics` (Welford per shard, Chan's formula across shards, merged in shard order).
enum ColumnScaling {
    /// `column` (int or float) as float, nulls kept.
    static func asFloat(_ column: Column) -> Column {
        switch column.data {
        case .float: return column
        case .int(let values): return Column(.float(values.map { Double($0) }), validity: column.validity)
        case .bool(let values): return Column(.float(values.map { $0 ? 1 : 0 }), validity: column.validity)
        case .string: return Column.nulls(.float, count: column.count)
        }
    }

    /// `column` scaled as `kind` says with `statistics` of the whole input; nulls stay null.
    static func apply(_ kind: Scaling.Kind, to column: Column, statistics: ColumnStatistics) -> Column {
        let (shift, scale) = parameters(kind, statistics)
        guard case .float(let values) = asFloat(column).data else { return column }
        var out = [Double](repeating: 0, count: values.count)
        for i in values.indices { out[i] = scale == 0 ? 0 : (values[i] - shift) / scale }
        if let validity = column.validity {
            for i in out.indices where !validity[i] { out[i] = 0 }
        }
        return Column(.float(out), validity: column.validity)
    }

    /// (x - shift) / scale; a zero scale (one distinct value, or no values at all) maps every value to 0.
    static func parameters(_ kind: Scaling.Kind, _ statistics: ColumnStatistics) -> (shift: Double, scale: Double) {
        guard statistics.count > 0 else { return (0, 0) }
        switch kind {
        case .standardize:
            // One distinct value: a zero scale, whatever rounding left in m2 (ten rows of 0.1 have a batch mean of
            // 0.09999999999999999 and an m2 of ~2e-33, which would scale every value to 1).
            if statistics.min == statistics.max { return (statistics.mean, 0) }
            return (statistics.mean, (Swift.max(0, statistics.m2) / Double(statistics.count)).squareRoot())
        case .minMax:
            guard case .float(let lo) = statistics.min, case .float(let hi) = statistics.max else { return (0, 0) }
            return (lo, hi - lo)
        }
    }
}
