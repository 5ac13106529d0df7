import Foundation
import ShoalETL

/// Plans an `etl` job: reads the job file's `input`, `steps`, `output` and `aggregate` sections, checks every
/// expression against the input's schema (so a typo is reported at submit time, with a caret under it), and
/// splits the inputs into shards (`ETLInputPlanning.shards`). docs/etl.md is the reference.
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
        let pipeline: ETLPipeline
        do {
            pipeline = try ETLPipeline(
                inputSchema: schema, steps: steps, aggregate: aggregate, partitionBy: output?.partitionBy ?? [])
        } catch {
            throw Self.locate(error, reader: reader)
        }
        // Scaling steps need statistics of the whole input: a first pass collects them (stage 0), and the
        // main pass (stage 1, `nextStage`) applies them. Its two passes read the same shards, so they are cut
        // exactly; a one-pass job's are cut at nominal offsets, and the finisher reads again any shard that began
        // inside a quoted field.
        let staged = !pipeline.scalings.isEmpty
        let shards: [InputShard]
        do {
            shards = try ETLInputPlanning.shards(of: input, aligned: !staged)
        } catch {
            throw reader.error("\(error)", key: "input")
        }
        guard !shards.isEmpty else { throw reader.error("the input files hold no data", key: "input") }
        let etl = ETLJob(
            name: job.name, input: input, steps: steps, output: output, aggregate: aggregate,
            inputSchema: schema.fields, specHash: "")
        // A one-pass job's shards commit into the output directory itself: workers that see it write there.
        let directory = ETLFinalizer.workDirectory(of: etl)
        let staging = staged ? nil : OutputStaging(directory: directory, probe: "probe-\(UUID().uuidString)")
        let tasks = Self.tasks(etl, shards: shards, scaling: staged ? .collect : nil, staging: staging)
        return JobPlan(
            tasks: tasks, outputDirectory: directory, exclusiveOutputs: [aggregate?.output].compactMap { $0 },
            finish: ETLFinalizer.finishSpec(etl), moreStages: staged, outputProbe: staging?.probe)
    }

    static func tasks(
        _ etl: ETLJob, shards: [InputShard], scaling: ScalingPass?, staging: OutputStaging? = nil
    ) -> [PlannedTask] {
        shards.map { shard in
            PlannedTask(
                index: shard.index, label: (scaling == .collect ? "statistics of " : "") + shard.label,
                spec: ETLTaskSpec(job: etl, shard: shard, scaling: scaling, staging: staging).jsonBytes(),
                inputBytes: UInt64(shard.end - shard.start))
        }
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
    /// After the statistics pass (stage 0): merges its shards' statistics in shard order, writes them as
    /// `_statistics.json`, and plans the main pass over the same shards with the merged statistics in every
    /// task's spec (and a staging probe in the output directory).
    public func nextStage(after stage: Int, spec: [UInt8], job: JobRecord) throws -> StagePlan {
        guard stage == 0, let directory = job.outputDirectory else {
            throw StageError(description: "an etl job has two stages: statistics, then the main pass")
        }
        let etl = try JSONDecoder().decode(ETLJob.self, from: Data(spec))
        let pipeline = try ETLPipeline(
            inputSchema: Schema(etl.inputSchema), steps: etl.steps, aggregate: etl.aggregate,
            partitionBy: etl.output?.partitionBy ?? [])
        let (statistics, shards) = try ScalingStatistics.merge(
            directory: job.commitDirectory(stage: 0)!, shardCount: job.taskCount, scalings: pipeline.scalings)
        try ETLFinalizer.writeAtomically(
            ScalingStatistics.report(statistics, scalings: pipeline.scalings),
            to: (directory as NSString).appendingPathComponent(ScalingStatistics.reportName))
        // The main pass commits into the output directory itself: workers that see it write there (as a one-pass
        // job's do; its probe is placed here, where the pass is planned).
        let staging = OutputStaging(directory: directory, probe: "probe-\(UUID().uuidString)")
        OutputPaths.placeProbe(staging.probe, in: directory)
        return StagePlan(tasks: Self.tasks(etl, shards: shards, scaling: .apply(statistics), staging: staging))
    }

    /// Merges the shards' partial aggregates, writes the aggregate, quarantine and manifest.
    public func finish(_ spec: [UInt8], job: JobRecord) throws -> String? {
        guard let directory = job.outputDirectory else { return nil }
        // Every stage covers the same shards: a statistics pass, then the main pass.
        let shardCount = job.taskCount / (job.stage + 1)
        let summary = try ETLFinalizer.finish(
            spec: spec,
            context: ETLFinalizer.Context(
                jobID: job.id, specHash: job.specHash, outputDirectory: directory, shardCount: shardCount,
                wallSeconds: Date().timeIntervalSince1970 - job.submittedAt))
        return summary.text
    }
}
