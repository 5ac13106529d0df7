import Foundation
import ShoalCore
import ShoalETL
import ShoalProtocol
import ZeroMQ

/// Commits a task's outputs exactly once: written whole under a temporary name inside the job's output
/// directory, flushed to disk, then renamed into place as `shard-NNNNN` in one `rename(2)`.
///
/// `rename` of a directory onto an existing non-empty one fails, so if a shard's directory already exists —
/// committed by an earlier attempt, possibly by a coordinator that died before recording it — the new copy is
/// discarded and the existing one stands. Readers never see a partial shard.
public struct OutputCommitter: Sendable {
    public enum Outcome: Sendable, Equatable {
        case committed(path: String)
        /// The shard was already committed; this copy was discarded.
        case alreadyCommitted(path: String)
        /// The job has no output directory; nothing was written.
        case nothingToCommit
    }

    public init() {}

    /// The directory of shard `index` under `outputDirectory`.
    public static func shardPath(_ outputDirectory: String, index: Int) -> String {
        OutputPaths.shard(outputDirectory, index: index)
    }

    /// Writes `outputs` as shard `index` of the job's output directory, from attempt `attempt`.
    /// - Parameters:
    ///   - durable: `fsync` the files and the directory (false only for outputs that can be made again:
    ///     `PlannedTask.ephemeral`).
    ///   - record: what the store will record of the attempt, written beside the shard just before its rename
    ///     (`CommitRecord`), for a coordinator that dies in between; best effort: a record that cannot be written
    ///     costs only that.
    /// - Throws: `CommitError` naming the file at fault (a bad output name, a write or rename failure).
    public func commit(
        _ outputs: [NamedFrame], index: Int, attempt: TaskRef, outputDirectory: String?, durable: Bool = true,
        record: CommitRecord? = nil
    ) throws -> Outcome {
        guard let outputDirectory else { return .nothingToCommit }
        let final = Self.shardPath(outputDirectory, index: index)
        let temporary = OutputPaths.attempt(outputDirectory, taskID: attempt.taskID, attempt: attempt.attempt)
        let files = FileManager.default
        // Files the worker wrote into `temporary` itself (`StagedOutputs`); the other outputs are written here.
        let stagedIndex = outputs.firstIndex { $0.name == StagedOutputs.name }
        if access(final, F_OK) == 0 {
            if stagedIndex != nil { try? files.removeItem(atPath: temporary) }
            return .alreadyCommitted(path: final)
        }
        // POSIX calls on the common path (a training step commits hundreds of times a second; FileManager's
        // existence checks and errors cost a millisecond here); FileManager for the rare cases.
        if stagedIndex == nil && access(temporary, F_OK) == 0 { try? files.removeItem(atPath: temporary) }
        do {
            if let stagedIndex {
                try Self.checkStaged(outputs[stagedIndex].frame, in: temporary)
            } else if mkdir(temporary, 0o755) != 0 {
                try files.createDirectory(atPath: temporary, withIntermediateDirectories: true)
            }
            for output in outputs where output.name != StagedOutputs.name {
                let path = try Self.safePath(output.name, in: temporary)
                if output.name.contains("/") {
                    try files.createDirectory(
                        atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                }
                try Self.write(output.frame, to: path, durable: durable)
            }
        } catch let error as CommitError {
            try? files.removeItem(atPath: temporary)
            throw error
        } catch {
            try? files.removeItem(atPath: temporary)
            throw CommitError(path: temporary, reason: "\(error)")
        }
        if let record, let data = try? JSONEncoder().encode(record) {
            try? data.write(to: URL(fileURLWithPath: OutputPaths.commitRecord(outputDirectory, index: index)))
        }
        if rename(temporary, final) != 0 {
            let code = errno
            try? files.removeItem(atPath: temporary)
            if code == ENOTEMPTY || code == EEXIST { return .alreadyCommitted(path: final) }
            throw CommitError(path: final, reason: String(cString: strerror(code)))
        }
        if durable { _ = SyncedFile.syncDirectory(outputDirectory) }
        return .committed(path: final)
    }

    /// Checks that a worker's staged files are in `temporary` as its list says: each one there, of its size.
    static func checkStaged(_ list: Frame, in temporary: String) throws {
        let staged: StagedOutputs
        do { staged = try StagedOutputs(list.bytes) } catch {
            throw CommitError(path: temporary, reason: "the staged outputs' list does not parse: \(error)")
        }
        for file in staged.files {
            let path = try safePath(file.name, in: temporary)
            var info = stat()
            guard stat(path, &info) == 0 else {
                throw CommitError(path: path, reason: "a staged output is missing (\(String(cString: strerror(errno))))")
            }
            guard Int(info.st_size) == file.bytes else {
                throw CommitError(path: path, reason: "a staged output holds \(info.st_size) bytes, not \(file.bytes)")
            }
        }
    }

    /// What an earlier run left in `outputDirectory`: its `shard-NNNNN` directories, `_SUCCESS` and an ETL job's
    /// `_manifest.json` and `_quarantine.jsonl`, sorted.
    /// A new job must not mix its shards with those (a shard found in place counts as committed).
    public static func earlierOutputs(in outputDirectory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: outputDirectory)) ?? []
        let markers: Set = ["_SUCCESS", "_manifest.json", "_quarantine.jsonl", "_statistics.json", PredictJobPlanner.finishedMarker]
        return names.filter {
            markers.contains($0) || ($0.hasPrefix("shard-") && Int($0.dropFirst(6)) != nil)
                || ($0.hasPrefix("_stage-") && Int($0.dropFirst(7)) != nil)
        }.sorted()
    }

    /// Removes what `earlierOutputs` lists, and the staging directory; nothing else in the directory.
    public func removeEarlierOutputs(in outputDirectory: String) throws {
        // `_training`: a training job's checkpoints, which would otherwise resume the replaced run.
        for name in Self.earlierOutputs(in: outputDirectory) + [".shoal-tmp", "_training"] {
            let path = (outputDirectory as NSString).appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: path) else { continue }
            do { try FileManager.default.removeItem(atPath: path) } catch {
                throw CommitError(path: path, reason: "cannot remove an earlier run's output: \(error)")
            }
        }
        _ = SyncedFile.syncDirectory(outputDirectory)
    }

    /// Marks a finished job's output directory with `_SUCCESS` (Hadoop's convention), holding `summary`.
    public func markSucceeded(_ outputDirectory: String, summary: Data) throws {
        let path = (outputDirectory as NSString).appendingPathComponent("_SUCCESS")
        try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        try summary.write(to: URL(fileURLWithPath: path), options: .atomic)
        try? FileManager.default.removeItem(atPath: OutputPaths.staging(outputDirectory))
    }

    /// An output name as a path inside `directory`; names that would escape it are refused.
    static func safePath(_ name: String, in directory: String) throws -> String {
        guard let path = OutputPaths.output(name, in: directory) else {
            throw CommitError(path: name, reason: "an output name must be a relative path without '.' or '..' parts")
        }
        return path
    }

    /// Writes `frame` to `path`, and with `durable` syncs it to disk before returning.
    static func write(_ frame: Frame, to path: String, durable: Bool) throws {
        do {
            try frame.withUnsafeBytes { buffer in
                try SyncedFile.write(buffer, to: path, sync: durable)
            }
        } catch let error as SyncedFileError {
            throw CommitError(path: error.path, reason: error.reason)
        }
    }

}

/// Committing a shard failed.
public struct CommitError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "cannot commit \(path): \(reason)" }
}
