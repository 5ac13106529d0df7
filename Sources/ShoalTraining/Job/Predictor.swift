import Foundation
import ShoalETL

/// Applies a trained model to CSV files: `shoal predict MODEL DATA --out FILE`.
///
/// The model file's encoding turns each row into inputs exactly as training did (one-hot categories and
/// standardization from the training data); the label column is not needed. The output is CSV: the `keep`
/// columns copied from the input, then `prediction` (the value for a linear model, the class otherwise) and the
/// probabilities — `probability` (of class 1) for logistic, `p0 … pK−1` for softmax.
public struct Predictor: Sendable {
    public let model: ModelFile

    public struct Summary: Sendable, Equatable {
        public var rows: Int
        public var badRows: Int
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

    /// Predicts every row of `paths` into `output`.
    /// - Parameters:
    ///   - keep: input columns copied to the output first (an id to join on).
    ///   - skipBadRows: count and leave out rows with a missing or non-numeric feature, instead of failing.
    /// - Throws: `TrainingDataError` naming the file (and line) at fault.
    public func predict(paths: [String], keep: [String] = [], output: String, skipBadRows: Bool = false) throws -> Summary {
        let encoding = model.header.encoding
        let features = encoding.entries.map(\.column)
        let network = model.network
        let workspace = NetworkWorkspace(network: network, capacity: 4096)
        var text = (keep + outputNames()).joined(separator: ",") + "\n"
        guard FileManager.default.createFile(atPath: output, contents: nil) else {
            throw TrainingDataError("\(output): cannot create the output file")
        }
        guard let handle = FileHandle(forWritingAtPath: output) else { throw TrainingDataError("\(output): cannot open it") }
        defer { try? handle.close() }
        var summary = Summary(rows: 0, badRows: 0)
        for path in paths {
            let header = try CSVHeader.read(path: path, options: CSVOptions())
            let missing = (features + keep).filter { !header.names.contains($0) }
            guard missing.isEmpty else {
                throw TrainingDataError(
                    "\(path): no column \(missing.map { "\"\($0)\"" }.joined(separator: ", ")) (the model reads "
                        + "\(features.joined(separator: ", ")); columns: \(header.names.joined(separator: ", ")))")
            }
            var overrides: [String: DataType] = [:]
            for entry in encoding.entries { if case .oneHot = entry.transform { overrides[entry.column] = .string } }
            let schema = try SchemaInference.csv(path: path, overrides: overrides)
            for column in features where !(encoding.entries.first { $0.column == column }.map { entry in
                if case .oneHot = entry.transform { return true }
                return schema[column]!.type != .string
            } ?? true) {
                throw TrainingDataError("\(path): column \"\(column)\" holds text; the model takes a number there")
            }
            var seen: Set<String> = []
            let projection = (features + keep).filter { seen.insert($0).inserted }
            var badRows = 0
            let reader = try CSVReader(
                path: path, schema: schema, projection: projection, strictColumns: Set(features),
                onBadRow: { bad in
                    guard skipBadRows else { throw TrainingDataError("\(bad)") }
                    badRows += 1
                })
            // The label is not read: encode against a copy of the encoding whose label is a feature column.
            let rowEncoding = FeatureEncoding(entries: encoding.entries, label: features[0])
            var predictions = [Float](repeating: 0, count: workspace.capacity * network.outputs)
            while let batch = try reader.next() {
                var inputs: [Float] = []
                var ignored: [Float] = []
                rowEncoding.encode(batch, features: &inputs, labels: &ignored)
                let kept = keep.map { batch[$0]! }
                var start = 0
                while start < batch.count {
                    let rows = min(workspace.capacity, batch.count - start)
                    model.parameters.withUnsafeBufferPointer { p in
                        inputs.withUnsafeBufferPointer { x in
                            predictions.withUnsafeMutableBufferPointer { out in
                                network.predict(
                                    parameters: p.baseAddress!, features: x.baseAddress! + start * network.inputs, rows: rows,
                                    workspace: workspace, into: out.baseAddress!)
                            }
                        }
                    }
                    for i in 0..<rows {
                        var fields = kept.map { Self.text($0, start + i) }
                        fields += values(predictions, row: i)
                        text += fields.joined(separator: ",") + "\n"
                    }
                    start += rows
                }
                summary.rows += batch.count
                if text.utf8.count > 1 << 20 {
                    handle.write(Data(text.utf8))
                    text = ""
                }
            }
            summary.badRows += badRows
        }
        handle.write(Data(text.utf8))
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
