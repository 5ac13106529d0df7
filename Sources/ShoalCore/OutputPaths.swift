import Foundation

/// Where the committer puts a task's outputs (shared with `OutputCommitter` and the workers that stage theirs).
public enum OutputPaths {
    public static func shard(_ directory: String, index: Int) -> String {
        (directory as NSString).appendingPathComponent(String(format: "shard-%05d", index))
    }

    /// The directory's staging area: attempts' files before their commit, and the probe of `OutputStaging`.
    public static func staging(_ directory: String) -> String {
        (directory as NSString).appendingPathComponent(".shoal-tmp")
    }

    /// Where attempt `attempt` of task `taskID` is assembled before the commit renames it to `shard(…)`.
    public static func attempt(_ directory: String, taskID: UInt64, attempt: UInt32) -> String {
        (staging(directory) as NSString).appendingPathComponent("task-\(taskID)-attempt-\(attempt)")
    }
}
