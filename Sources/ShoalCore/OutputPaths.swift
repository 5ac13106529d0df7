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

    /// Where attempt `attempt` of task `taskID` is assembled before the commit renames it to `shard(…)`.
    public static func attempt(_ directory: String, taskID: UInt64, attempt: UInt32) -> String {
        (staging(directory) as NSString).appendingPathComponent("task-\(taskID)-attempt-\(attempt)")
    }
}
