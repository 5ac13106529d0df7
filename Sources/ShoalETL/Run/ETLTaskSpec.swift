import Foundation

/// The spec of one ETL task — its job and the shard it reads — as TASK carries it (JSON).
public struct ETLTaskSpec: Codable, Sendable, Equatable {
    public var job: ETLJob
    public var shard: InputShard

    public init(job: ETLJob, shard: InputShard) {
        self.job = job
        self.shard = shard
    }

    public func jsonBytes() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array((try? encoder.encode(self)) ?? Data())
    }

    public static func decode(_ bytes: [UInt8]) throws -> ETLTaskSpec {
        try JSONDecoder().decode(ETLTaskSpec.self, from: Data(bytes))
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
