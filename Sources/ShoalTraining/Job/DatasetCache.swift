import Foundation
import ShoalETL
import Synchronization

/// The dataset shards a worker process holds in memory, shared by its task threads: a training job parses each
/// shard once and computes every later step on the matrix. Least recently used shards go first when the
/// budget is exceeded (shards move when workers join or leave; a job's shards stay while its steps come).
public final class DatasetCache: Sendable {
    public struct Key: Hashable, Sendable {
        public var job: UInt64
        /// `TrainTaskSpec.contextKey`: the job's whole description and encoding.
        public var context: Int
        public var validation: Bool
        public var shard: Int
        public init(job: UInt64, context: Int, validation: Bool, shard: Int) {
            self.job = job
            self.context = context
            self.validation = validation
            self.shard = shard
        }
    }

    struct Entry {
        var shard: DatasetShard
        var lastUse: UInt64
        var bytes: Int { shard.features.values.count * 4 + shard.labels.count * 4 }
    }

    struct State {
        var entries: [Key: Entry] = [:]
        var clock: UInt64 = 0
        var bytes = 0
    }

    private let state = Mutex(State())
    public let budgetBytes: Int

    /// The process's cache, with a budget of half the machine's memory.
    public static let shared = DatasetCache(budgetBytes: Int(ProcessInfo.processInfo.physicalMemory / 2))

    public init(budgetBytes: Int) {
        self.budgetBytes = budgetBytes
    }

    /// The shard under `key`, loaded by `load` (outside the lock) when not held.
    /// - Returns: the shard, and the nanoseconds spent loading it (0 when it was held).
    public func shard(_ key: Key, load: () throws -> DatasetShard) throws -> (DatasetShard, UInt64) {
        let held = state.withLock { state -> DatasetShard? in
            state.clock += 1
            guard var entry = state.entries[key] else { return nil }
            entry.lastUse = state.clock
            state.entries[key] = entry
            return entry.shard
        }
        if let held { return (held, 0) }
        let start = ContinuousClock.now
        let loaded = try load()
        let elapsed = start.duration(to: .now)
        state.withLock { state in
            state.clock += 1
            let entry = Entry(shard: loaded, lastUse: state.clock)
            if let old = state.entries.updateValue(entry, forKey: key) { state.bytes -= old.bytes }
            state.bytes += entry.bytes
            while state.bytes > budgetBytes, state.entries.count > 1,
                  let oldest = state.entries.filter({ $0.key != key }).min(by: { $0.value.lastUse < $1.value.lastUse })
            {
                state.bytes -= oldest.value.bytes
                state.entries[oldest.key] = nil
            }
        }
        let nanos = UInt64(elapsed.components.seconds) * 1_000_000_000 + UInt64(elapsed.components.attoseconds / 1_000_000_000)
        return (loaded, nanos)
    }

    /// How many shards are held (tests, status).
    public var count: Int { state.withLock { $0.entries.count } }
}
