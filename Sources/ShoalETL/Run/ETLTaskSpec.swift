import Foundation

/// The spec of one ETL task — its job and the shard it reads — as TASK carries it (JSON).
public struct ETLTaskSpec: Codable, Sendable, Equatable {
    public var job: ETLJob
    public var shard: InputShard
    /// For a job with `standardize` / `min_max` steps: `.collect` on the statistics pass (the task commits
    /// `statistics.json` only), the merged statistics on the main pass. nil for other jobs.
    public var scaling: ScalingPass?

    public init(job: ETLJob, shard: InputShard, scaling: ScalingPass? = nil) {
        self.job = job
        self.shard = shard
        self.scaling = scaling
    }

    /// Whether this is a statistics pass's task.
    public var collectsStatistics: Bool { scaling == .collect }

    public func jsonBytes() -> [UInt8] {
        // Statistics may hold infinities (an input with `inf`): the encoder writes them as strings.
        Array((try? ScalingStatistics.encoder.encode(self)) ?? Data())
    }

    public static func decode(_ bytes: [UInt8]) throws -> ETLTaskSpec {
        try ScalingStatistics.decoder.decode(ETLTaskSpec.self, from: Data(bytes))
    }
}

/// A piece of input: the records of one file that start in `start..<end`, the first on line `firstLine`.
public struct InputShard: Codable, Sendable, Equatable {
    public var index: Int
    public var path: String
    public var start: Int64
    public var end: Int64
    public var firstLine: Int

    public init(index: Int, path: String, start: Int64, end: Int64, firstLine: Int) {
        self.index = index
        self.path = path
        self.start = start
        self.end = end
        self.firstLine = firstLine
    }

    /// For people: `clicks.csv[0..<67108864]`.
    public var label: String { "\((path as NSString).lastPathComponent)[\(start)..<\(end)]" }
}
