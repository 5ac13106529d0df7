import Foundation
import ShoalETL
import ShoalTraining

/// Plans a `predict` job: a trained model applied to CSV files over the cluster, one task per shard, the parts
/// concatenated in shard order into one CSV file at the end (docs/training.md, "Using the model").
///
/// ```yaml
/// kind: predict
/// name: score-clicks
/// model: out/ctr-model/model.shoal
/// input: { paths: ["data/new-*.csv"], on_bad_row: skip }   # an input section as in etl jobs; fail or skip
/// keep: [event_id]                                         # input columns copied into the output first
/// output: predictions.csv
/// ```
public struct PredictJobPlanner: JobPlanner {
    public let kind = "predict"
    public static let keys = ["model", "input", "keep", "output"]

    public init() {}

    public func plan(_ job: JobFile) throws(JobFileError) -> JobPlan {
        let reader = try job.reader(keys: Self.keys)
        let modelPath = LexicalPath.absolute(try reader.requiredString("model"), in: job.workingDirectory)
        let predictor: Predictor
        do { predictor = try Predictor(modelPath: modelPath) } catch {
            throw reader.error("\(error)", key: "model")
        }
        let (input, _, _) = try ETLJobPlanner.input(reader, workingDirectory: job.workingDirectory)
        guard input.format == .csv else { throw reader.error("predict reads csv files", key: "input") }
        guard input.onBadRow != .quarantine else {
            throw reader.error("predict takes on_bad_row: fail or skip (skipped rows are counted)", key: "input")
        }
        let keep: [String]
        switch try reader.optionalStringOrList("keep") {
        case .string(let one): keep = [one]
        case .list(let list): keep = list
        case nil: keep = []
        }
        let output = LexicalPath.absolute(try reader.requiredString("output"), in: job.workingDirectory)
        let schema: Schema
        do {
            schema = try predictor.schema(of: input.paths[0], keep: keep, options: ETLInputPlanning.csvOptions(input))
            for path in input.paths.dropFirst() {
                let other = try CSVHeader.read(path: path, options: ETLInputPlanning.csvOptions(input))
                guard other.names == schema.names else {
                    throw TrainingDataError("\(path): its columns differ from \(input.paths[0])'s")
                }
            }
        } catch {
            throw reader.error("\(error)", key: "input")
        }
        let shards: [InputShard]
        do { shards = try ETLInputPlanning.shards(of: input) } catch { throw reader.error("\(error)", key: "input") }
        let predict = PredictJob(
            name: job.name, model: modelPath, input: input, schema: schema.fields, keep: keep, output: output)
        let tasks = shards.map { shard in
            PlannedTask(
                index: shard.index, label: "predict \(shard.label)",
                spec: (try? JSONEncoder().encode(PredictTask(job: predict, shard: shard))).map { Array($0) } ?? [],
                inputBytes: UInt64(shard.end == Int64.max ? 0 : shard.end - shard.start))
        }
        return JobPlan(
            tasks: tasks, outputDirectory: predict.partsDirectory, exclusiveOutputs: [output],
            finish: (try? JSONEncoder().encode(predict)).map { Array($0) })
    }

    /// The file a finished predict job leaves in its parts directory (`PredictJob.finish`): an earlier run's output.
    public static let finishedMarker = PredictJob.finishedMarker

    /// Concatenates the shards' predictions into the output file.
    public func finish(_ spec: [UInt8], job: JobRecord) throws -> String? {
        let predict = try JSONDecoder().decode(PredictJob.self, from: Data(spec))
        return try predict.finish(
            jobID: job.id, shardCount: job.taskCount, wallSeconds: Date().timeIntervalSince1970 - job.submittedAt)
    }
}
