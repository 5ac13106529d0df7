/// Computes the gradient partial of micro-batches on one thread: the worker's side of a step.
///
/// Each micro-batch's gradient is computed on its own — from the parameters and its rows only — in `Float`,
/// then turned into fixed point and added. Its bits therefore never depend on which other micro-batches the
/// same worker happened to get, which is what makes the step's sum independent of the world size.
public final class GradientComputer {
    public let network: Network
    private let workspace: NetworkWorkspace
    private var scratch: [Float]

    public init(network: Network, microBatchSize: Int) {
        self.network = network
        workspace = NetworkWorkspace(network: network, capacity: microBatchSize)
        scratch = []
    }

    /// The partial of `microBatches`, each given as its shard and rows.
    /// - Throws: `DivergenceError` when a gradient or loss is not finite (or beyond fixed point's range).
    public func partial(
        parameters: UnsafeBufferPointer<Float>, microBatches: [(shard: DatasetShard, rows: Range<Int>, id: Int)]
    ) throws(DivergenceError) -> GradientPartial {
        var partial = GradientPartial(parameterCount: network.parameterCount)
        for batch in microBatches {
            let loss = compute(parameters: parameters, shard: batch.shard, rows: batch.rows)
            guard let lossFixed = FixedPointVector.fixed(loss.lossSum) else {
                throw DivergenceError(microBatch: batch.id, what: "the loss is \(loss.lossSum)")
            }
            do {
                try partial.gradient.add(scratch)
            } catch {
                throw DivergenceError(microBatch: batch.id, what: "gradient \(error)")
            }
            partial.metrics.add(StepMetrics(examples: batch.rows.count, lossSum: lossFixed, correct: loss.correct))
        }
        return partial
    }

    public func partial(
        parameters: [Float], microBatches: [(shard: DatasetShard, rows: Range<Int>, id: Int)]
    ) throws(DivergenceError) -> GradientPartial {
        let result = parameters.withUnsafeBufferPointer { p in
            Result { () throws(DivergenceError) in try partial(parameters: p, microBatches: microBatches) }
        }
        return try result.get()
    }

    /// The `Float` sum of the micro-batches' gradients, added in the order given (`deterministic: false`), written
    /// into `sum` (room for the model's parameters; what it held is overwritten): a worker computes straight into
    /// the frame its gradient leaves in. The first micro-batch's gradient is
    /// computed there as it is — no zeroed sum to add it to — and the others into a scratch added to it.
    public func floatPartial(
        parameters: UnsafeBufferPointer<Float>, microBatches: [(shard: DatasetShard, rows: Range<Int>, id: Int)],
        into sum: UnsafeMutableBufferPointer<Float>
    ) throws(DivergenceError) -> StepMetrics {
        precondition(sum.count == network.parameterCount, "room for \(sum.count) of \(network.parameterCount) parameters")
        var metrics = StepMetrics()
        guard !microBatches.isEmpty else {
            sum.update(repeating: 0)
            return metrics
        }
        for (index, batch) in microBatches.enumerated() {
            let loss: BatchLoss
            if index == 0 {
                loss = compute(parameters: parameters, shard: batch.shard, rows: batch.rows, into: sum)
            } else {
                loss = compute(parameters: parameters, shard: batch.shard, rows: batch.rows)
                scratch.withUnsafeBytes { DenseKernels.add($0.baseAddress!, into: sum.baseAddress!, count: sum.count) }
            }
            guard let lossFixed = FixedPointVector.fixed(loss.lossSum) else {
                throw DivergenceError(microBatch: batch.id, what: "the loss is \(loss.lossSum)")
            }
            if let bad = DenseKernels.firstNonFinite(UnsafeBufferPointer(sum)) {
                throw DivergenceError(microBatch: batch.id, what: "gradient element \(bad) is \(sum[bad])")
            }
            metrics.add(StepMetrics(examples: batch.rows.count, lossSum: lossFixed, correct: loss.correct))
        }
        return metrics
    }

    /// One micro-batch's loss, its gradient left in `scratch`.
    private func compute(parameters p: UnsafeBufferPointer<Float>, shard: DatasetShard, rows: Range<Int>) -> BatchLoss {
        if scratch.count != network.parameterCount {
            // Zeroed by `compute(…into:)`, before every micro-batch: not here too.
            scratch = [Float](unsafeUninitializedCapacity: network.parameterCount) { _, count in count = network.parameterCount }
        }
        return scratch.withUnsafeMutableBufferPointer { g in compute(parameters: p, shard: shard, rows: rows, into: g) }
    }

    /// One micro-batch's loss, its gradient written into `g` (zeroed first).
    private func compute(
        parameters p: UnsafeBufferPointer<Float>, shard: DatasetShard, rows: Range<Int>, into g: UnsafeMutableBufferPointer<Float>
    ) -> BatchLoss {
        let width = shard.features.columns
        precondition(width == network.inputs, "the shard's rows are \(width) wide; the model takes \(network.inputs)")
        precondition(p.count == network.parameterCount, "\(p.count) parameters for a model of \(network.parameterCount)")
        precondition(g.count == network.parameterCount, "room for \(g.count) of \(network.parameterCount) gradients")
        return shard.features.values.withUnsafeBufferPointer { x in
            shard.labels.withUnsafeBufferPointer { y in
                g.update(repeating: 0)
                return network.lossAndGradient(
                    parameters: p.baseAddress!, features: x.baseAddress! + rows.lowerBound * width,
                    labels: y.baseAddress! + rows.lowerBound, rows: rows.count, gradient: g.baseAddress!,
                    workspace: workspace)
            }
        }
    }
}

/// Training has diverged: a loss or gradient is NaN, infinite or too large.
public struct DivergenceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The micro-batch where it showed, when it showed in one.
    public var microBatch: Int?
    public var what: String
    public var description: String {
        "training diverged: " + (microBatch.map { "in micro-batch \($0), " } ?? "") + what
            + " (try a smaller learning rate, standardized features, or gradient-friendlier inputs)"
    }
}
