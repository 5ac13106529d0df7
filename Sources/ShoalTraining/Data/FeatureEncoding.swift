import ShoalETL

/// How rows become model inputs, fixed after the statistics pass: each feature's place in the input row and,
/// for standardized and one-hot features, the training data's statistics. Stored in the model file, so
/// `shoal predict` encodes new data exactly as training did.
public struct FeatureEncoding: Codable, Sendable, Equatable {
    public enum Transform: Codable, Sendable, Equatable {
        case identity
        /// `(x − mean) / scale`; a constant column (scale 0) encodes as 0.
        case standardize(mean: Double, scale: Double)
        case oneHot(categories: [String])
    }

    public struct Entry: Codable, Sendable, Equatable {
        public var column: String
        public var transform: Transform

        public init(column: String, transform: Transform) {
            self.column = column
            self.transform = transform
        }

        public var width: Int {
            if case .oneHot(let categories) = transform { return categories.count }
            return 1
        }
    }

    public var entries: [Entry]
    public var label: String

    public init(entries: [Entry], label: String) {
        self.entries = entries
        self.label = label
    }

    /// The width of an encoded row.
    public var width: Int { entries.reduce(0) { $0 + $1.width } }

    /// A name per input: the column, or `column=category` for one-hot inputs.
    public var inputNames: [String] {
        entries.flatMap { entry -> [String] in
            if case .oneHot(let categories) = entry.transform { return categories.map { "\(entry.column)=\($0)" } }
            return [entry.column]
        }
    }

    /// The columns to read: the features', then the label's (once each).
    public var columns: [String] {
        var seen: Set<String> = []
        return (entries.map(\.column) + [label]).filter { seen.insert($0).inserted }
    }

    /// Appends `batch`'s rows to `features` (row-major, `width` per row) and their labels to `labels`.
    /// The batch holds `columns` with no nulls (the reader's strict columns).
    public func encode(_ batch: ColumnBatch, features: inout [Float], labels: inout [Float]) {
        encodeFeatures(batch, into: &features)
        let labelColumn = batch[label]!
        labels.reserveCapacity(labels.count + batch.count)
        Self.forEachNumber(labelColumn) { _, y in labels.append(Float(y)) }
    }

    /// Appends `batch`'s rows to `features` without reading a label (prediction).
    public func encodeFeatures(_ batch: ColumnBatch, into features: inout [Float]) {
        let n = batch.count
        let width = self.width
        let base = features.count
        features.append(contentsOf: repeatElement(0, count: n * width))
        features.withUnsafeMutableBufferPointer { out in
            var offset = 0
            for entry in entries {
                let column = batch[entry.column]!
                switch entry.transform {
                case .identity:
                    Self.forEachNumber(column) { i, x in out[base + i * width + offset] = Float(x) }
                case .standardize(let mean, let scale):
                    let inverse = scale > 0 ? 1 / scale : 0
                    Self.forEachNumber(column) { i, x in out[base + i * width + offset] = Float((x - mean) * inverse) }
                case .oneHot(let categories):
                    if case .string(let strings) = column.data, categories.count <= 32 {
                        // A few categories: compare bytes in place, no String per row.
                        let literals = categories.map { Array($0.utf8) }
                        for i in 0..<n {
                            if let k = literals.firstIndex(where: { strings.equals(i, $0) }) {
                                out[base + i * width + offset + k] = 1
                            }
                        }
                    } else {
                        let index = Dictionary(uniqueKeysWithValues: categories.enumerated().map { ($1, $0) })
                        for i in 0..<n {
                            if let k = index[Self.text(column, i)] { out[base + i * width + offset + k] = 1 }
                        }
                    }
                }
                offset += entry.width
            }
        }
    }

    static func forEachNumber(_ column: Column, _ body: (Int, Double) -> Void) {
        switch column.data {
        case .int(let v): for i in v.indices { body(i, Double(v[i])) }
        case .float(let v): for i in v.indices { body(i, v[i]) }
        case .bool(let v): for i in v.indices { body(i, v[i] ? 1 : 0) }
        case .string: preconditionFailure("a numeric feature of a string column passed the plan")
        }
    }

    /// A value as category text: the string, or the number/bool as the job file would write it.
    static func text(_ column: Column, _ i: Int) -> String {
        switch column.data {
        case .string(let v): v.string(at: i)
        case .int(let v): String(v[i])
        case .float(let v): String(v[i])
        case .bool(let v): v[i] ? "true" : "false"
        }
    }
}
