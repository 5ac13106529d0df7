import Foundation

/// The spec of one ETL task — its job and the shard it reads — as TASK carries it (JSON).
public struct ETLTaskSpec: Codable, Sendable, Equatable {
    public var job: ETLJob
    public var shard: InputShard
    /// For a job with `standardize` / `min_max` steps: `.collect` on the statistics pass (the task commits
    /// `statistics.json` only), the merged statistics on the main pass. nil for other jobs.
    public var scaling: ScalingPass?
    /// Where a worker that shares the coordinator's view of the output directory writes the shard's files itself
    /// (docs/etl.md, "Outputs"); nil: they travel in the RESULT.
    public var staging: OutputStaging?

    public init(job: ETLJob, shard: InputShard, scaling: ScalingPass? = nil, staging: OutputStaging? = nil) {
        self.job = job
        self.shard = shard
        self.scaling = scaling
        self.staging = staging
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

/// A piece of input: the records of one file that start in `start..<end`, the first on line `firstLine` (0: not
/// counted). `aligned`: the cuts are nominal offsets, which the reader moves to line starts (`FileShard`).
public struct InputShard: Codable, Sendable, Equatable {
    public var index: Int
    public var path: String
    public var start: Int64
    public var end: Int64
    public var firstLine: Int
    public var aligned: Bool

    public init(index: Int, path: String, start: Int64, end: Int64, firstLine: Int, aligned: Bool = false) {
        self.index = index
        self.path = path
        self.start = start
        self.end = end
        self.firstLine = firstLine
        self.aligned = aligned
    }

    private enum CodingKeys: String, CodingKey { case index, path, start, end, firstLine, aligned }

    /// Specs stored before `aligned` existed read as exact shards.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        index = try c.decode(Int.self, forKey: .index)
        path = try c.decode(String.self, forKey: .path)
        start = try c.decode(Int64.self, forKey: .start)
        end = try c.decode(Int64.self, forKey: .end)
        firstLine = try c.decode(Int.self, forKey: .firstLine)
        aligned = try c.decodeIfPresent(Bool.self, forKey: .aligned) ?? false
    }

    /// The reader's view of it.
    public var fileShard: FileShard {
        FileShard(
            start: Int(start), end: end == Int64.max ? .max : Int(end), firstLine: firstLine, aligned: aligned)
    }

    /// For people: `clicks.csv[0..<67108864]`.
    public var label: String { "\((path as NSString).lastPathComponent)[\(start)..<\(end)]" }
}

/// The output directory a shard commits into, and the name of the probe file the coordinator put in its staging
/// area (`.shoal-tmp/`) when it accepted the job: a worker that finds the probe sees the same directory as the
/// coordinator (the same host, or a shared filesystem), and may write its files there itself.
public struct OutputStaging: Codable, Sendable, Equatable {
    public var directory: String
    public var probe: String

    public init(directory: String, probe: String) {
        self.directory = directory
        self.probe = probe
    }
}
