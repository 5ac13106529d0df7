import Foundation

/// The statistics pass's files: each task of the pass commits `statistics.json` — its shard and the
/// statistics of every scaled column over the rows that reached the scaling step — and the coordinator merges
/// them in shard order (Chan's formula, so the result does not depend on how many workers ran the pass) into
/// the statistics the main pass applies, reported to users as `_statistics.json`.
public enum ScalingStatistics {
    public static let fileName = "statistics.json"
    public static let reportName = "_statistics.json"

    /// One shard's statistics.
    public struct ShardFile: Codable, Sendable, Equatable {
        public var shard: InputShard
        public var columns: [ColumnStatistics]

        public init(shard: InputShard, columns: [ColumnStatistics]) {
            self.shard = shard
            self.columns = columns
        }
    }

    /// JSON with sorted keys; infinities and NaN (an input holding `inf`) as strings rather than an error.
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }

    /// The statistics of every shard of the pass committed under `directory` (`shard-NNNNN/statistics.json`),
    /// merged in shard order, and the shards they cover.
    /// - Throws: `ETLFinalizer.Failure` naming a file that is missing, does not decode, or does not match
    ///   the job's scaled columns.
    public static func merge(directory: String, shardCount: Int, scalings: [Scaling]) throws
        -> (statistics: [ColumnStatistics], shards: [InputShard])
    {
        var merged = scalings.map { ColumnStatistics(name: $0.column, type: .float) }
        var shards: [InputShard] = []
        for index in 0..<shardCount {
            let path = directory + String(format: "/shard-%05d/", index) + fileName
            let file: ShardFile
            do {
                file = try decoder.decode(ShardFile.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            } catch {
                throw ETLFinalizer.Failure(description: "\(path): \(error)")
            }
            guard file.columns.map(\.name) == scalings.map(\.column) else {
                throw ETLFinalizer.Failure(description: "\(path): statistics of \(file.columns.map(\.name)), but the job scales \(scalings.map(\.column))")
            }
            for (slot, column) in file.columns.enumerated() { merged[slot].merge(column) }
            shards.append(file.shard)
        }
        return (merged, shards)
    }

    /// The merged statistics as users read them: per scaled column its step, kind, count, nulls, mean,
    /// population standard deviation, min and max — what the main pass applied.
    public static func report(_ statistics: [ColumnStatistics], scalings: [Scaling]) -> [UInt8] {
        let columns: [[String: Any]] = zip(scalings, statistics).map { scaling, column in
            let (shift, scale) = ColumnScaling.parameters(scaling.kind, column)
            var entry: [String: Any] = [
                "step": scaling.step + 1, "column": scaling.column, "kind": scaling.kind.rawValue,
                "count": column.count, "nulls": column.nulls, "shift": finite(shift), "scale": finite(scale),
                "mean": finite(column.count > 0 ? column.mean : .nan),
                "stddev": finite(column.count > 0 ? (Swift.max(0, column.m2) / Double(column.count)).squareRoot() : .nan),
            ]
            if case .float(let lo) = column.min { entry["min"] = finite(lo) }
            if case .float(let hi) = column.max { entry["max"] = finite(hi) }
            return entry
        }
        let data = try? JSONSerialization.data(withJSONObject: ["columns": columns], options: [.prettyPrinted, .sortedKeys])
        return Array(data ?? Data())
    }

    /// JSON has no infinities or NaN: they are written as strings.
    private static func finite(_ value: Double) -> Any {
        value.isFinite ? value : "\(value)"
    }
}
