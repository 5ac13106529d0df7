/// An ETL job as its planner checked it: what to read, the steps, what to write and what to aggregate.
/// Travels inside every task spec (JSON), so a worker needs nothing else; paths are absolute.
///
/// docs/etl.md is the reference for the job file that this comes from.
public struct ETLJob: Codable, Sendable, Equatable {
    public var name: String
    public var input: InputSpec
    public var steps: [Step]
    public var output: OutputSpec?
    public var aggregate: AggregateSpec?
    /// The schema of the input files as the planner settled it (header names, inferred or declared types).
    public var inputSchema: [Field]
    /// Hash of the job file's text and directory: names the job in manifests.
    public var specHash: String

    public init(
        name: String, input: InputSpec, steps: [Step], output: OutputSpec?, aggregate: AggregateSpec?,
        inputSchema: [Field], specHash: String
    ) {
        self.name = name
        self.input = input
        self.steps = steps
        self.output = output
        self.aggregate = aggregate
        self.inputSchema = inputSchema
        self.specHash = specHash
    }
}

/// What to do with a row that cannot be read (wrong field count, a value not of its column's type).
public enum BadRowPolicy: String, Codable, Sendable, CaseIterable {
    /// The job fails, naming the file, line and reason of the first bad row.
    case fail
    /// The row is left out and counted.
    case skip
    /// The row is left out, counted, and written with its file, line and reason to the quarantine file.
    case quarantine
}

public enum FileFormat: String, Codable, Sendable, CaseIterable {
    case csv
    case jsonl
}

/// `input:` of an ETL job.
public struct InputSpec: Codable, Sendable, Equatable {
    public var format: FileFormat
    /// The input files, absolute, sorted.
    public var paths: [String]
    /// CSV: whether the first line names the columns.
    public var header: Bool
    /// CSV: the field separator, one ASCII byte.
    public var delimiter: UInt8
    public var onBadRow: BadRowPolicy
    /// Files larger than this are split into byte ranges at record boundaries.
    public var shardBytes: Int

    public init(
        format: FileFormat, paths: [String], header: Bool = true, delimiter: UInt8 = UInt8(ascii: ","),
        onBadRow: BadRowPolicy = .fail, shardBytes: Int = 64 << 20
    ) {
        self.format = format
        self.paths = paths
        self.header = header
        self.delimiter = delimiter
        self.onBadRow = onBadRow
        self.shardBytes = shardBytes
    }
}

/// `output:` of an ETL job: the rows that come out of the steps.
public struct OutputSpec: Codable, Sendable, Equatable {
    /// The output directory, absolute; each shard commits `shard-NNNNN/` in it.
    public var path: String
    public var format: FileFormat
    /// Hash-partition each shard's rows by these columns into `partitions` files; empty: one file per shard.
    public var partitionBy: [String]
    public var partitions: Int

    public init(path: String, format: FileFormat = .csv, partitionBy: [String] = [], partitions: Int = 1) {
        self.path = path
        self.format = format
        self.partitionBy = partitionBy
        self.partitions = partitions
    }
}
