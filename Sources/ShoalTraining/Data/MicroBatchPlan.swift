import ShoalETL

/// The fixed units of work of a training job and the order in which steps take them.
///
/// Each dataset shard's rows are cut, in order, into micro-batches of `microBatchSize` rows (the shard's last
/// one may be shorter). Micro-batches are numbered across shards (shard 0's first, then shard 1's, …) and never
/// depend on how many workers there are. Each epoch visits every micro-batch once, in a seeded permutation of
/// the epoch (Fisher–Yates over `DeterministicRandom`, seeded by the job's seed and the epoch); a step takes the
/// next `microBatchesPerStep` of them, and the epoch's last step takes what remains. Shuffling is by
/// micro-batch, not by row: a micro-batch stays a contiguous run of its shard, which is what keeps it cheap to
/// compute anywhere.
public struct MicroBatchPlan: Sendable, Equatable, Codable {
    /// Rows of each dataset shard, in shard order.
    public let shardRows: [Int]
    public let microBatchSize: Int
    public let microBatchesPerStep: Int
    public let epochs: Int
    public let seed: UInt64
    /// The first micro-batch id of each shard, and the total at the end.
    public let firstMicroBatch: [Int]

    public struct MicroBatch: Sendable, Hashable, Codable {
        public var id: Int
        public var shard: Int
        /// Rows of the shard, `start ..< end`.
        public var start: Int
        public var end: Int
        public var rows: Int { end - start }
    }

    /// - Parameters:
    ///   - batchSize: examples per step; rounded up to whole micro-batches.
    public init(shardRows: [Int], microBatchSize: Int, batchSize: Int, epochs: Int, seed: UInt64) {
        precondition(microBatchSize > 0 && batchSize > 0 && epochs > 0, "sizes and epochs are positive")
        self.shardRows = shardRows
        self.microBatchSize = microBatchSize
        microBatchesPerStep = (batchSize + microBatchSize - 1) / microBatchSize
        self.epochs = epochs
        self.seed = seed
        var first = [0]
        for rows in shardRows { first.append(first.last! + (rows + microBatchSize - 1) / microBatchSize) }
        firstMicroBatch = first
    }

    public var microBatchCount: Int { firstMicroBatch.last! }
    public var exampleCount: Int { shardRows.reduce(0, +) }
    public var stepsPerEpoch: Int { (microBatchCount + microBatchesPerStep - 1) / microBatchesPerStep }
    public var totalSteps: Int { stepsPerEpoch * epochs }

    /// Micro-batch `id`: its shard and rows.
    public func microBatch(_ id: Int) -> MicroBatch {
        precondition(id >= 0 && id < microBatchCount, "no micro-batch \(id)")
        // The last shard whose first id is ≤ id (binary search: shards can number in the thousands). An empty
        // shard shares its first id with the next one, so the last such shard is the one that holds rows.
        var low = 0, high = shardRows.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if firstMicroBatch[mid] <= id { low = mid } else { high = mid - 1 }
        }
        let shard = low
        let start = (id - firstMicroBatch[shard]) * microBatchSize
        return MicroBatch(id: id, shard: shard, start: start, end: min(start + microBatchSize, shardRows[shard]))
    }

    /// The micro-batch ids of epoch `epoch` (0-based), in the order the steps take them.
    public func order(epoch: Int) -> [Int] {
        var ids = Array(0..<microBatchCount)
        var random = DeterministicRandom(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(epoch) &+ 1)
        var i = ids.count - 1
        while i > 0 {
            let j = Int(random.below(UInt64(i + 1)))
            ids.swapAt(i, j)
            i -= 1
        }
        return ids
    }

    /// The micro-batches of global step `step` (0-based, counting through the epochs), with its epoch.
    public func step(_ step: Int, order: [Int]? = nil) -> (epoch: Int, microBatches: [Int]) {
        precondition(step >= 0 && step < totalSteps, "no step \(step)")
        let epoch = step / stepsPerEpoch
        let within = step % stepsPerEpoch
        let ids = order ?? self.order(epoch: epoch)
        let start = within * microBatchesPerStep
        return (epoch, Array(ids[start..<min(start + microBatchesPerStep, ids.count)]))
    }

    /// Whether `step` is the last of its epoch (validation runs after it).
    public func endsEpoch(_ step: Int) -> Bool { (step + 1) % stepsPerEpoch == 0 }
}
