import Foundation
import ShoalProtocol

/// Where the committer puts a task's outputs (shared with `OutputCommitter` and the workers that stage theirs).
public enum OutputPaths {
    public static func shard(_ directory: String, index: Int) -> String {
        (directory as NSString).appendingPathComponent(String(format: "shard-%05d", index))
    }

    /// The directory's staging area: attempts' files before their commit, and the probe of `OutputStaging`.
    public static func staging(_ directory: String) -> String {
        (directory as NSString).appendingPathComponent(".shoal-tmp")
    }

    /// An output's name as a path inside `directory`, or nil for a name that would leave it (empty, absolute,
    /// or with empty, `.` or `..` parts). The one rule for names from a RESULT, sent or staged.
    public static func output(_ name: String, in directory: String) -> String? {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard !name.isEmpty, !name.hasPrefix("/"), !parts.contains(where: { $0 == ".." || $0 == "." || $0.isEmpty })
        else { return nil }
        return (directory as NSString).appendingPathComponent(name)
    }

    /// Creates the probe file `name` in `directory`'s staging area (`OutputStaging`, `JobPlan.outputProbe`): best
    /// effort — where it cannot be made, workers find nothing and send their outputs.
    public static func placeProbe(_ name: String, in directory: String) {
        let area = staging(directory)
        try? FileManager.default.createDirectory(atPath: area, withIntermediateDirectories: true)
        let descriptor = open((area as NSString).appendingPathComponent(name), O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        if descriptor >= 0 { close(descriptor) }
    }

    /// Whether two output directories are one, or one lies inside the other (by their paths, `.` and `..`
    /// resolved and trailing slashes dropped; symbolic links are not followed).
    public static func overlap(_ a: String, _ b: String) -> Bool {
        let x = (a as NSString).standardizingPath, y = (b as NSString).standardizingPath
        return x == y || x.hasPrefix(y.hasSuffix("/") ? y : y + "/") || y.hasPrefix(x.hasSuffix("/") ? x : x + "/")
    }

    /// Where the record of the attempt that commits shard `index` is written just before its rename
    /// (`CommitRecord`).
    public static func commitRecord(_ directory: String, index: Int) -> String {
        (staging(directory) as NSString).appendingPathComponent(String(format: "commit-%05d.json", index))
    }

    /// Where attempt `attempt` of task `taskID` is assembled before the commit renames it to `shard(…)`.
    public static func attempt(_ directory: String, taskID: UInt64, attempt: UInt32) -> String {
        (staging(directory) as NSString).appendingPathComponent("task-\(taskID)-attempt-\(attempt)")
    }
}

/// The attempt that commits a shard, as the store records it once the commit is written: kept in the output
/// directory's staging area (`OutputPaths.commitRecord`), written before the shard's rename. A coordinator that
/// dies after the rename but before the store's write leaves the shard in place and this record; its successor
/// finds both at reload and records the attempt as the dead one would have — its counters too, which otherwise
/// would be missing from the job's totals. Not synced: a process crash keeps it (the page cache does), a power
/// loss may not, and then the shard is recorded without its attempt, as it was before this record existed.
/// Only ever one attempt writes a shard's record: commits run one at a time and check for the shard first.
public struct CommitRecord: Codable, Sendable, Equatable {
    public var task: TaskID
    public var attempt: UInt32
    public var worker: WorkerID
    public var runtimeMs: Int64
    public var logTail: String
    /// The attempt's counters, in its order.
    public var counters: [Counter]

    public init(task: TaskRef, worker: WorkerID, runtime: Duration, logTail: String, counters: [Counter]) {
        self.task = task.taskID
        self.attempt = task.attempt
        self.worker = worker
        self.runtimeMs = runtime.milliseconds
        self.logTail = logTail
        self.counters = counters
    }

    /// The attempt's ending as the store records a commit.
    public func attemptRecord(job: JobID) -> AttemptRecord {
        AttemptRecord(
            task: TaskRef(taskID: task, attempt: attempt), job: job, worker: worker, ending: .succeeded,
            exitStatus: 0, logTail: logTail, runtime: .milliseconds(runtimeMs), counters: counters)
    }

    /// The record of the attempt that committed shard `index` of `directory`, or nil if none was written (or it
    /// does not parse: it was cut short).
    public static func read(_ directory: String, index: Int) -> CommitRecord? {
        guard let data = FileManager.default.contents(atPath: OutputPaths.commitRecord(directory, index: index)) else {
            return nil
        }
        return try? JSONDecoder().decode(CommitRecord.self, from: data)
    }
}
