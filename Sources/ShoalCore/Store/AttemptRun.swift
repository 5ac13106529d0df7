import Foundation

/// Attempts as the store keeps them in bulk: one row of `attempt_runs` holds the attempts one batch started on a
/// worker (`Started`), or the attempts of one worker that one batch committed (`Succeeded`), in one blob.
///
/// A started attempt used to be a row of `attempts`, and its ending an update of that row: two B-tree writes
/// per task, 1–2 µs each on the store's thread (`shoal-bench store`), a third of the coordinator's CPU on the
/// scheduling benchmark. Nearly every attempt starts and commits with nothing else to say, so those are encoded
/// a batch at a time; an attempt that ends otherwise (failed, lost, hung, cancelled, superseded) still gets its
/// full row in `attempts` — the rows `shoal status` lists as troubles and counts as retries.
///
/// The encoding is Shoal's own and versioned by its first byte; integers are little-endian. Started: task id
/// (i64), attempt (u32), speculative (u8). Succeeded: task id (i64), attempt (u32), runtime in milliseconds (u32,
/// saturating), log tail (u32 length + UTF-8).
enum AttemptRun {
    static let format: UInt8 = 1

    /// What a run's attempts did (`attempt_runs.kind`).
    enum Kind: Int {
        case started = 0
        case succeeded = 1
    }

    struct Started: Equatable {
        var task: Int64
        var attempt: UInt32
        var speculative: Bool
    }

    struct Succeeded: Equatable {
        var task: Int64
        var attempt: UInt32
        var runtimeMs: UInt32
        var logTail: String
    }

    /// A run being written: its blob and the range of task ids in it (kept on its row, so a task's runs are
    /// found without decoding the others).
    struct Builder {
        private(set) var bytes: [UInt8] = [AttemptRun.format]
        private(set) var firstTask = Int64.max
        private(set) var lastTask = Int64.min

        mutating func add(_ attempt: Started) {
            note(attempt.task)
            bytes.appendLittleEndian(attempt.task)
            bytes.appendLittleEndian(attempt.attempt)
            bytes.append(attempt.speculative ? 1 : 0)
        }

        mutating func add(_ attempt: Succeeded) {
            note(attempt.task)
            bytes.appendLittleEndian(attempt.task)
            bytes.appendLittleEndian(attempt.attempt)
            bytes.appendLittleEndian(attempt.runtimeMs)
            let tail = attempt.logTail.utf8
            bytes.appendLittleEndian(UInt32(tail.count))
            bytes.append(contentsOf: tail)
        }

        private mutating func note(_ task: Int64) {
            firstTask = min(firstTask, task)
            lastTask = max(lastTask, task)
        }
    }

    /// Calls `body` with each attempt of a `started` run's blob, in order.
    /// - Throws: `StoreCorruption` naming the run when the blob is not what `Builder` writes.
    static func decode(started blob: Data, run: Int64, _ body: (Started) throws -> Void) throws {
        try blob.withUnsafeBytes { raw in
            var reader = try BlobReader(raw, name: "attempt run \(run)", format: format)
            while !reader.isAtEnd {
                let task = try reader.read(Int64.self), attempt = try reader.read(UInt32.self)
                try body(Started(task: task, attempt: attempt, speculative: try reader.read(UInt8.self) != 0))
            }
        }
    }

    /// Calls `body` with each attempt of a `succeeded` run's blob, in order.
    /// - Throws: `StoreCorruption` naming the run when the blob is not what `Builder` writes.
    static func decode(succeeded blob: Data, run: Int64, _ body: (Succeeded) throws -> Void) throws {
        try blob.withUnsafeBytes { raw in
            var reader = try BlobReader(raw, name: "attempt run \(run)", format: format)
            while !reader.isAtEnd {
                let task = try reader.read(Int64.self), attempt = try reader.read(UInt32.self)
                let runtime = try reader.read(UInt32.self)
                let tail = try reader.bytes(Int(try reader.read(UInt32.self)))
                try body(Succeeded(
                    task: task, attempt: attempt, runtimeMs: runtime, logTail: String(decoding: tail, as: UTF8.self)))
            }
        }
    }
}

/// Reads a store blob's little-endian fields in order, after its format byte; errors name the blob and the byte.
struct BlobReader {
    private let raw: UnsafeRawBufferPointer
    private let name: String
    private var offset = 0

    /// - Throws: `StoreCorruption` when the blob does not start with `format`.
    init(_ raw: UnsafeRawBufferPointer, name: String, format: UInt8) throws {
        self.raw = raw
        self.name = name
        guard try read(UInt8.self) == format else { throw fail("unknown format") }
    }

    var isAtEnd: Bool { offset == raw.count }

    func fail(_ what: String) -> StoreCorruption {
        StoreCorruption(description: "\(name): \(what) at byte \(offset) of \(raw.count)")
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type) throws -> T {
        guard raw.count - offset >= MemoryLayout<T>.size else { throw fail("truncated") }
        defer { offset += MemoryLayout<T>.size }
        return T(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    mutating func bytes(_ length: Int) throws -> UnsafeRawBufferPointer {
        guard length >= 0, raw.count - offset >= length else { throw fail("truncated") }
        defer { offset += length }
        return UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + length)])
    }

    /// - Throws: unless every byte was read.
    func finish(_ what: String) throws {
        guard isAtEnd else { throw fail("\(raw.count - offset) bytes past the last \(what)") }
    }
}

extension [UInt8] {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
