import Foundation
import ShoalETL

/// Plans an `etl` job: reads the job file's `input`, `steps`, `output` and `aggregate` sections, checks every
/// expression against the input's schema (so a typo is reported at submit time, with a caret under it), and
/// splits the inputs into shards at record boundaries. docs/etl.md is the reference.
public struct ETLJobPlanner: JobPlanner {
    public let kind = "etl"
    public static let keys = ["input", "steps", "output", "aggregate"]
    public static let defaultShardBytes = 64 << 20

    public init() {}

    public func plan(_ job: JobFile) throws(JobFileError) -> JobPlan {
        let reader = try job.reader(keys: Self.keys)
        let (input, overrides, sampleRows) = try Self.input(reader, workingDirectory: job.workingDirectory)
        let schema: Schema
        do {
            schema = try ETLInputPlanning.schema(of: input, overrides: overrides, sampleRows: sampleRows)
        } catch {
            throw reader.error("\(error)", key: "input")
        }
        let steps = try Self.steps(reader)
        let output = try Self.output(reader, workingDirectory: job.workingDirectory)
        let aggregate = try Self.aggregate(reader, workingDirectory: job.workingDirectory)
        guard output != nil || aggregate != nil else {
            throw reader.error("an etl job writes something: give output (the rows), aggregate (a group-by), or both")
        }
        // Bind everything now: every expression and column name is checked before anything is queued.
        do {
            _ = try ETLPipeline(
                inputSchema: schema, steps: steps, aggregate: aggregate, partitionBy: output?.partitionBy ?? [])
        } catch {
            throw Self.locate(error, reader: reader)
        }
        let shards: [InputShard]
        do {
            shards = try ETLInputPlanning.shards(of: input)
        } catch {
            throw reader.error("\(error)", key: "input")
        }
        guard !shards.isEmpty else { throw reader.error("the input files hold no data", key: "input") }
        let etl = ETLJob(
            name: job.name, input: input, steps: steps, output: output, aggregate: aggregate,
            inputSchema: schema.fields, specHash: "")
        let tasks = shards.map { shard in
            PlannedTask(
                index: shard.index, label: shard.label, spec: ETLTaskSpec(job: etl, shard: shard).jsonBytes(),
                inputBytes: UInt64(shard.end - shard.start))
        }
        return JobPlan(
            tasks: tasks, outputDirectory: ETLFinalizer.workDirectory(of: etl),
            exclusiveOutputs: [aggregate?.output].compactMap { $0 },
            finish: ETLFinalizer.finishSpec(etl))
    }

    /// Puts a pipeline error at the job file key it came from.
    static func locate(_ error: ETLPipeline.PlanError, reader: YAMLMappingReader) -> JobFileError {
        if let step = error.step, let node = reader.presentValue("steps"), case .sequence(let elements) = node.content,
           elements.indices.contains(step), let stepReader = try? YAMLMappingReader(elements[step], source: reader.source, keyPath: "steps[\(step)]"),
           let name = stepReader.keys.first
        {
            if let key = error.key, let inner = stepReader.presentValue(name),
               let innerReader = try? YAMLMappingReader(inner, source: reader.source, keyPath: "steps[\(step)].\(name)"),
               innerReader.contains(key)
            {
                return innerReader.error(error.message, key: key)
            }
            return stepReader.error(error.message, key: name)
        }
        if let key = error.key, let aggregate = reader.presentValue("aggregate"),
           let aggregateReader = try? YAMLMappingReader(aggregate, source: reader.source, keyPath: "aggregate")
        {
            if key.hasPrefix("values."), let values = aggregateReader.presentValue("values"),
               let valuesReader = try? YAMLMappingReader(values, source: reader.source, keyPath: "aggregate.values")
            {
                return valuesReader.error(error.message, key: String(key.dropFirst("values.".count)))
            }
            if aggregateReader.contains(key) { return aggregateReader.error(error.message, key: key) }
        }
        if error.key == "partition_by", let output = reader.presentValue("output"),
           let outputReader = try? YAMLMappingReader(output, source: reader.source, keyPath: "output")
        {
            return outputReader.error(error.message, key: "partition_by")
        }
        return reader.error(error.message)
    }
}

extension ETLJobPlanner {
    /// Merges the shards' partial aggregates, writes the aggregate, quarantine and manifest.
    public func finish(_ spec: [UInt8], job: JobRecord) throws -> String? {
        guard let directory = job.outputDirectory else { return nil }
        let summary = try ETLFinalizer.finish(
            spec: spec,
            context: ETLFinalizer.Context(
                jobID: job.id, specHash: job.specHash, outputDirectory: directory, shardCount: job.taskCount,
                wallSeconds: Date().timeIntervalSince1970 - job.submittedAt))
        return summary.text
    }
}
