import Foundation
import ShoalETL

/// Applies a trained model to CSV files: `shoal predict MODEL DATA --out FILE`, in this process or as a `predict`
/// job whose tasks each predict one shard.
///
/// The model file's encoding turns each row into inputs exactly as training did (one-hot categories and
/// standardization from the training data); the label column is not needed. The output is CSV: the `keep`
/// columns copied from the input, then `prediction` (the value for a linear model, the class otherwise) and the
/// probabilities — `probability` (of class 1) for logistic, `p0 … pK−1` for softmax.
public struct Predictor: Sendable {
    public let model: ModelFile

    public struct Summary: Codable, Sendable, Equatable {
        public var rows: Int
        public var badRows: Int
        public init(rows: Int, badRows: Int) {
            self.rows = rows
            self.badRows = badRows
        }
    }

    public init(model: ModelFile) {
        self.model = model
    }

    /// Reads a model file.
    public init(modelPath: String) throws {
        guard let data = FileManager.default.contents(atPath: modelPath) else {
            throw TrainingDataError("\(modelPath): cannot read the model file")
        }
        model = try ModelFile.decode(Array(data), path: modelPath)
    }

    var features: [String] { model.header.encoding.entries.map(\.column) }

    /// The schema `path` is read with: its header, one-hot columns as text. Checks that it has the model's
    /// feature columns (numbers where the model wants numbers) and the `keep` columns.
    /// - Throws: `TrainingDataError` naming the file and the columns at fault.
    public func schema(of path: String, keep: [String], options: CSVOptions = CSVOptions()) throws -> Schema {
        let encoding = model.header.encoding
        let header = try CSVHeader.read(path: path, options: options)
        let missing = (features + keep).filter { !header.names.contains($0) }
        guard missing.isEmpty else {
            throw TrainingDataError(
                "\(path): no column \(missing.map { "\"\($0)\"" }.joined(separator: ", ")) (the model reads "
                    + "\(features.joined(separator: ", ")); columns: \(header.names.joined(separator: ", ")))")
        }
        var overrides: [String: DataType] = [:]
        for entry in encoding.entries { if case .oneHot = entry.transform { overrides[entry.column] = .string } }
        let schema = try SchemaInference.csv(path: path, options: options, overrides: overrides)
        for entry in encoding.entries where schema[entry.column]!.type == .string {
            if case .oneHot = entry.transform { continue }
            throw TrainingDataError("\(path): column \"\(entry.column)\" holds text; the model takes a number there")
        }
        return schema
    }

    /// The output's header line (with its newline).
    public func header(keep: [String]) -> String { (keep + outputNames()).joined(separator: ",") + "\n" }

    /// Predicts the rows of one shard of a file read with `schema`: the output's lines (without the header).
    /// - Parameter skipBadRows: count and leave out rows with a missing or non-numeric feature, instead of failing.
    public func predict(
        shard: FileShard, path: String, schema: Schema, keep: [String], options: CSVOptions = CSVOptions(),
        skipBadRows: Bool = false
    ) throws -> (lines: [UInt8], summary: Summary) {
        let network = model.network
        let workspace = NetworkWorkspace(network: network, capacity: 4096)
        var seen: Set<String> = []
        let projection = (features + keep).filter { seen.insert($0).inserted }
        var badRows = 0
        let reader = try CSVReader(
            path: path, schema: schema, projection: projection, shard: shard, options: options,
            strictColumns: Set(features),
            onBadRow: { bad in
                guard skipBadRows else { throw TrainingDataError("\(bad)") }
                badRows += 1
            })
        let encoding = model.header.encoding
        var predictions = [Float](repeating: 0, count: workspace.capacity * network.outputs)
        var text = ""
        var rows = 0
        while let batch = try reader.next() {
            var inputs: [Float] = []
            encoding.encodeFeatures(batch, into: &inputs)
            let kept = keep.map { batch[$0]! }
            var start = 0
            while start < batch.count {
                let count = min(workspace.capacity, batch.count - start)
                model.parameters.withUnsafeBufferPointer { p in
                    inputs.withUnsafeBufferPointer { x in
                        predictions.withUnsafeMutableBufferPointer { out in
                            network.predict(
                                parameters: p.baseAddress!, features: x.baseAddress! + start * network.inputs,
                                rows: count, workspace: workspace, into: out.baseAddress!)
                        }
                    }
                }
                for i in 0..<count {
                    let fields = kept.map { Self.text($0, start + i) } + values(predictions, row: i)
                    text += fields.joined(separator: ",")
                    text += "\n"
                }
                start += count
            }
            rows += batch.count
        }
        return (Array(text.utf8), Summary(rows: rows, badRows: badRows))
    }

    /// Predicts every row of `paths` into `output`, in this process.
    /// - Throws: `TrainingDataError` naming the file (and line) at fault.
    public func predict(paths: [String], keep: [String] = [], output: String, skipBadRows: Bool = false) throws -> Summary {
        guard FileManager.default.createFile(atPath: output, contents: Data(header(keep: keep).utf8)) else {
            throw TrainingDataError("\(output): cannot create the output file")
        }
        guard let handle = FileHandle(forWritingAtPath: output) else { throw TrainingDataError("\(output): cannot open it") }
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        var summary = Summary(rows: 0, badRows: 0)
        for path in paths {
            let schema = try schema(of: path, keep: keep)
            let (lines, part) = try predict(
                shard: .wholeFile, path: path, schema: schema, keep: keep, skipBadRows: skipBadRows)
            handle.write(Data(lines))
            summary.rows += part.rows
            summary.badRows += part.badRows
        }
        return summary
    }

    /// The output's prediction columns.
    func outputNames() -> [String] {
        switch model.header.model.head {
        case .linear: ["prediction"]
        case .logistic: ["prediction", "probability"]
        case .softmax: ["prediction"] + (0..<model.header.model.classes).map { "p\($0)" }
        }
    }

    func values(_ predictions: [Float], row i: Int) -> [String] {
        switch model.header.model.head {
        case .linear:
            return ["\(predictions[i])"]
        case .logistic:
            return [predictions[i] > 0.5 ? "1" : "0", "\(predictions[i])"]
        case .softmax:
            let k = model.header.model.classes
            let p = Array(predictions[(i * k)..<((i + 1) * k)])
            let best = p.indices.max { p[$0] < p[$1] }!
            return ["\(best)"] + p.map { "\($0)" }
        }
    }

    /// A kept value as CSV text (quoted when it must be).
    static func text(_ column: Column, _ i: Int) -> String {
        if column.isNull(i) { return "" }
        let value = FeatureEncoding.text(column, i)
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// A `predict` job as planned at submit time, and one task of it.
public struct PredictJob: Codable, Sendable, Equatable {
    public var name: String
    /// The model file (absolute).
    public var model: String
    public var input: InputSpec
    /// The first input file's columns, one-hot columns as text.
    public var schema: [Field]
    public var keep: [String]
    /// The CSV file the job writes (absolute).
    public var output: String

    public init(name: String, model: String, input: InputSpec, schema: [Field], keep: [String], output: String) {
        self.name = name
        self.model = model
        self.input = input
        self.schema = schema
        self.keep = keep
        self.output = output
    }

    /// Where the shards' parts are committed before the job's end concatenates them into `output`: a hidden
    /// directory beside it (`.predictions.csv.parts`), which keeps the job's `_SUCCESS` marker afterwards.
    public var partsDirectory: String {
        let name = (output as NSString).lastPathComponent
        return ((output as NSString).deletingLastPathComponent as NSString).appendingPathComponent(".\(name).parts")
    }
}

public struct PredictTask: Codable, Sendable, Equatable {
    public var job: PredictJob
    public var shard: InputShard

    public init(job: PredictJob, shard: InputShard) {
        self.job = job
        self.shard = shard
    }

    /// Runs the task: the shard's prediction lines (`predictions.csv`, no header) and `summary.json`.
    public func run() throws -> [(name: String, bytes: [UInt8])] {
        let predictor = try Predictor(modelPath: job.model)
        let options = ETLInputPlanning.csvOptions(job.input)
        let (lines, summary) = try predictor.predict(
            shard: shard.fileShard,
            path: shard.path, schema: Schema(job.schema), keep: job.keep, options: options,
            skipBadRows: job.input.onBadRow == .skip)
        return [("predictions.csv", lines), ("summary.json", Array(try JSONEncoder.sorted.encode(summary)))]
    }
}

extension PredictJob {
    /// What `finish` leaves in the parts directory once `output` is written: the job and its summary. A
    /// coordinator that dies before recording the job's success finishes it again after a restart (the parts are
    /// gone by then): this says it is done.
    public static let finishedMarker = "_finished.json"

    private struct Finished: Codable {
        var job: UInt64
        var summary: String
    }

    /// The job's end: the shards' lines in shard order under one header, written to `output` atomically; the
    /// parts removed. Returns the summary. Idempotent for `jobID`: finishing again returns the same summary.
    public func finish(jobID: UInt64, shardCount: Int, wallSeconds: Double) throws -> String {
        let marker = partsDirectory + "/" + Self.finishedMarker
        if let data = FileManager.default.contents(atPath: marker),
           let finished = try? JSONDecoder().decode(Finished.self, from: data), finished.job == jobID,
           FileManager.default.fileExists(atPath: output)
        {
            removeParts(shardCount: shardCount)  // a task run again before the restart's finish left its part
            return finished.summary
        }
        let predictor = try Predictor(modelPath: model)
        var bytes = Array(predictor.header(keep: keep).utf8)
        var total = Predictor.Summary(rows: 0, badRows: 0)
        for index in 0..<shardCount {
            let directory = partsDirectory + "/" + String(format: "shard-%05d", index)
            guard let lines = FileManager.default.contents(atPath: directory + "/predictions.csv"),
                  let summary = FileManager.default.contents(atPath: directory + "/summary.json")
            else { throw TrainingDataError("\(directory): the shard's predictions are missing") }
            bytes += lines
            let part = try JSONDecoder().decode(Predictor.Summary.self, from: summary)
            total.rows += part.rows
            total.badRows += part.badRows
        }
        try AtomicFile.write(bytes, to: output)
        let summary = "predicted \(total.rows) rows with \(predictor.model.header.model.name) into \(output) in "
            + String(format: "%.2f s", wallSeconds) + (total.badRows > 0 ? "; \(total.badRows) bad rows skipped" : "")
        try AtomicFile.write(Array(JSONEncoder.sorted.encode(Finished(job: jobID, summary: summary))), to: marker)
        removeParts(shardCount: shardCount)
        return summary
    }

    private func removeParts(shardCount: Int) {
        for index in 0..<shardCount {
            try? FileManager.default.removeItem(atPath: partsDirectory + "/" + String(format: "shard-%05d", index))
        }
    }
}
