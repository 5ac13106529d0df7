import Foundation

/// Validation metrics of some shards, mergeable exactly: examples, summed loss (fixed point), correct
/// predictions and, for a binary model, score histograms from which the AUC follows.
///
/// AUC without gathering every score: each shard counts positives and negatives per bin of the predicted
/// probability (`aucBins` equal bins over [0, 1]). Pairs in different bins are ordered exactly; pairs that share
/// a bin count one half, as ties do. The result is within `aucErrorBound` — half the share of positive–negative
/// pairs that share a bin — of the exact AUC, and the bound is reported with it.
public struct EvaluationMetrics: Codable, Sendable, Equatable {
    public static let aucBins = 1 << 14

    public var metrics: StepMetrics
    public var positives: [Int]
    public var negatives: [Int]
    /// The epoch after which, and the validation shard on which, these were measured (as a task reports them).
    public var epoch: Int?
    public var shard: Int?

    public init(binary: Bool) {
        metrics = StepMetrics()
        positives = binary ? [Int](repeating: 0, count: Self.aucBins) : []
        negatives = binary ? [Int](repeating: 0, count: Self.aucBins) : []
    }

    /// Counts one scored example of a binary model.
    public mutating func addScore(_ probability: Float, label: Float) {
        let bin = min(max(Int(probability * Float(Self.aucBins)), 0), Self.aucBins - 1)
        if label > 0.5 { positives[bin] += 1 } else { negatives[bin] += 1 }
    }

    public mutating func add(_ other: EvaluationMetrics) {
        metrics.add(other.metrics)
        for i in positives.indices {
            positives[i] += other.positives[i]
            negatives[i] += other.negatives[i]
        }
    }

    /// The area under the ROC curve and its error bound; nil unless both classes occur.
    public var auc: (value: Double, errorBound: Double)? {
        let p = positives.reduce(0, +), n = negatives.reduce(0, +)
        guard p > 0, n > 0 else { return nil }
        var below = 0.0, area = 0.0, tied = 0.0
        for i in positives.indices {
            let pos = Double(positives[i]), neg = Double(negatives[i])
            area += pos * below + 0.5 * pos * neg
            tied += pos * neg
            below += neg
        }
        let pairs = Double(p) * Double(n)
        return (area / pairs, tied / (2 * pairs))
    }
}

extension EvaluationMetrics {
    enum CodingKeys: String, CodingKey {
        case metrics, positives, negatives, epoch, shard
    }

    /// The two histograms travel as base64 of little-endian `Int64`s rather than JSON arrays: 2 × 16,384 numbers per
    /// validation shard per epoch, which as JSON took the coordinator tens of milliseconds to decode each.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(metrics, forKey: .metrics)
        try container.encode(Self.packed(positives), forKey: .positives)
        try container.encode(Self.packed(negatives), forKey: .negatives)
        try container.encodeIfPresent(epoch, forKey: .epoch)
        try container.encodeIfPresent(shard, forKey: .shard)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        metrics = try container.decode(StepMetrics.self, forKey: .metrics)
        positives = try Self.unpacked(container.decode(String.self, forKey: .positives), key: .positives, in: container)
        negatives = try Self.unpacked(container.decode(String.self, forKey: .negatives), key: .negatives, in: container)
        guard positives.count == negatives.count, positives.isEmpty || positives.count == Self.aucBins else {
            throw DecodingError.dataCorruptedError(
                forKey: .positives, in: container,
                debugDescription: "histograms of \(positives.count) and \(negatives.count) bins, not \(Self.aucBins)")
        }
        epoch = try container.decodeIfPresent(Int.self, forKey: .epoch)
        shard = try container.decodeIfPresent(Int.self, forKey: .shard)
    }

    static func packed(_ counts: [Int]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 * counts.count)
        for count in counts { withUnsafeBytes(of: Int64(count).littleEndian) { bytes += $0 } }
        return Data(bytes).base64EncodedString()
    }

    static func unpacked(_ text: String, key: CodingKeys, in container: KeyedDecodingContainer<CodingKeys>) throws -> [Int] {
        guard let data = Data(base64Encoded: text), data.count % 8 == 0 else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "not base64 of Int64s")
        }
        return data.withUnsafeBytes { raw in
            (0..<(raw.count / 8)).map { Int(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self))) }
        }
    }
}

extension Network {
    /// Validation metrics of `shard` under `parameters`, in chunks of the workspace's capacity.
    /// - Throws: `DivergenceError` when the loss is not finite (parameters that diverged).
    public func evaluate(parameters: [Float], shard: DatasetShard, workspace: NetworkWorkspace) throws(DivergenceError)
        -> EvaluationMetrics
    {
        let result = parameters.withUnsafeBufferPointer { p in
            Result { () throws(DivergenceError) in try evaluate(parameters: p, shard: shard, workspace: workspace) }
        }
        return try result.get()
    }

    /// `evaluate` from parameters held elsewhere (an attached frame, read in place).
    public func evaluate(parameters: UnsafeBufferPointer<Float>, shard: DatasetShard, workspace: NetworkWorkspace)
        throws(DivergenceError) -> EvaluationMetrics
    {
        var result = EvaluationMetrics(binary: spec.head == .logistic)
        let width = shard.features.columns
        var start = 0
        var diverged: DivergenceError?
        let p = parameters
        shard.features.values.withUnsafeBufferPointer { x in
            shard.labels.withUnsafeBufferPointer { y in
                while start < shard.rows && diverged == nil {
                    let rows = min(workspace.capacity, shard.rows - start)
                    let features = x.baseAddress! + start * width
                    let labels = y.baseAddress! + start
                    let loss = self.loss(
                        parameters: p.baseAddress!, features: features, labels: labels, rows: rows,
                        workspace: workspace)
                    guard let lossSum = FixedPointVector.fixed(loss.lossSum) else {
                        diverged = DivergenceError(microBatch: nil, what: "the validation loss is \(loss.lossSum)")
                        break
                    }
                    result.metrics.add(StepMetrics(examples: rows, lossSum: lossSum, correct: loss.correct))
                    if spec.head == .logistic {
                        // The logits of the pass just made: no second forward pass for the scores.
                        let logits = workspace.outputs[layerCount - 1]
                        for i in 0..<rows {
                            result.addScore(Float(Self.sigmoid(Double(logits[i]))), label: labels[i])
                        }
                    }
                    start += rows
                }
            }
        }
        if let diverged { throw diverged }
        return result
    }
}
