import Foundation

/// A stage's planned tasks as the store keeps them: up to `capacity` tasks with consecutive ids, in planning order,
/// in one blob (one row of `plans`). What a task *is* (shard index, label, spec, input bytes) never changes once
/// planned, so it is written once per chunk instead of once per task: a 20,000-task job used to be 20,000 rows in
/// two B-trees (a table and its unique index) before its first lease — a fifth of its run at 90,000 tasks/s — and is
/// now five rows. What changes lives in the task's attempts (`AttemptRun`; a committed attempt: the task
/// succeeded) and in `task_states`, a row per task written when it fails, is cancelled or queued again
/// (`StateStore.write`).
///
/// The encoding is Shoal's own and versioned by its first byte: per task, the shard index (i64), input bytes
/// (u64), label (u32 length + UTF-8) and spec (u32 length + bytes, or `sameSpec` for "as the task before": a
/// million `noop` tasks store one spec). Integers are little-endian. Written by hand because it is a flat
/// sequence of a few fields per task that must stay cheap at a million tasks; a general serializer (JSON,
/// property lists) costs more than the rows it replaces.
struct PlanChunk {
    static let capacity = 4096
    static let format: UInt8 = 1
    /// A spec length meaning "the same bytes as the task before".
    static let sameSpec = UInt32.max

    /// One planned task, as a chunk gives it back.
    struct Entry: Equatable {
        var index: Int
        var label: String
        var spec: [UInt8]
        var inputBytes: UInt64
    }

    /// The blob for `tasks` (at most `capacity`); ephemeral tasks' specs are not kept (`PlannedTask.ephemeral`).
    static func encode(_ tasks: some Collection<PlannedTask>) -> [UInt8] {
        var bytes: [UInt8] = [format]
        bytes.reserveCapacity(1 + tasks.count * 32)
        var previous: [UInt8]?
        for task in tasks {
            let spec = task.ephemeral ? [] : task.spec
            bytes.appendLittleEndian(Int64(task.index))
            bytes.appendLittleEndian(task.inputBytes)
            let label = task.label.utf8
            bytes.appendLittleEndian(UInt32(label.count))
            bytes.append(contentsOf: label)
            if spec == previous {
                bytes.appendLittleEndian(sameSpec)
            } else {
                bytes.appendLittleEndian(UInt32(spec.count))
                bytes.append(contentsOf: spec)
                previous = spec
            }
        }
        return bytes
    }

    /// Calls `body` with each of the `count` tasks of `blob`, in order, and its id (`first`, `first + 1`, …). With
    /// `labels: false` labels are skipped (left empty), for readers that want only the numbers.
    /// - Throws: `StoreCorruption` naming the chunk (its first task, and `job` when given) when the blob is not
    ///   what `encode` writes.
    static func decode(
        _ blob: Data, first: Int64, count: Int, job: JobID? = nil, labels: Bool = true,
        _ body: (Int64, Entry) throws -> Void
    ) throws {
        let chunk = "\(first)" + (job.map { " of job \($0)" } ?? "")
        try blob.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var reader = try BlobReader(raw, name: "plan chunk \(chunk)", format: format)
            var spec: [UInt8] = []
            for id in first..<(first + Int64(count)) {
                let index = try reader.read(Int64.self)
                let inputBytes = try reader.read(UInt64.self)
                let labelBytes = try reader.bytes(Int(try reader.read(UInt32.self)))
                let label = labels ? String(decoding: labelBytes, as: UTF8.self) : ""
                let specLength = try reader.read(UInt32.self)
                if specLength != sameSpec { spec = Array(try reader.bytes(Int(specLength))) }
                guard let index = Int(exactly: index) else { throw reader.fail("shard index out of range") }
                try body(id, Entry(index: index, label: label, spec: spec, inputBytes: inputBytes))
            }
            try reader.finish("task")
        }
    }
}

/// The state database holds something Shoal did not write (or a disk damaged it).
public struct StoreCorruption: Error, CustomStringConvertible {
    public var description: String
}
