import Foundation
import ShoalCore

/// How status documents are printed for people.
enum StatusText {
    static func jobsTable(_ jobs: [JobStatus]) -> String {
        guard !jobs.isEmpty else { return "no jobs" }
        var lines = [pad(["JOB", "NAME", "KIND", "STATE", "DONE", "RUNNING", "RETRIES", "AGE"])]
        for job in jobs {
            let record = job.record
            lines.append(pad([
                "\(record.id)", record.name, record.kind, record.state.rawValue,
                "\(job.counts.succeeded)/\(record.taskCount)", "\(job.counts.running)", "\(job.retries)",
                age(since: record.submittedAt),
            ]))
        }
        return lines.joined(separator: "\n")
    }

    static func workersTable(_ workers: [WorkerStatus]) -> String {
        guard !workers.isEmpty else { return "no workers" }
        var lines = [pad(["WORKER", "HOST", "PID", "RUNNING", "SLOTS", "KINDS", "STATE", "SEEN", "BULK FRAMES"])]
        for worker in workers {
            lines.append(pad([
                worker.id, worker.host, "\(worker.pid)", "\(worker.running)", "\(worker.slots)",
                worker.kinds.joined(separator: ","),
                worker.unreachable == true ? "unreachable" : worker.draining ? "draining" : "ready",
                String(format: "%.1fs ago", worker.lastSeen),
                worker.sharedMemory == true ? "shared memory" : "socket",
            ]))
        }
        return lines.joined(separator: "\n")
    }

    static func job(_ job: JobStatus, detailed: Bool) -> String {
        let record = job.record
        var lines = [
            "job \(record.id) \(record.name) (\(record.kind)): \(record.state.rawValue)",
            "  tasks: \(job.counts.succeeded) done, \(job.counts.running) running, \(job.counts.queued) queued, "
                + "\(job.counts.failed) failed, \(job.counts.cancelled) cancelled of \(record.taskCount); "
                + "retries \(job.retries)"
                + (record.stage > 0 || record.moreStages
                    ? "; stage \(record.stage)" + (record.moreStages ? " (another follows)" : " (the last)") : ""),
            "  submitted \(age(since: record.submittedAt)) ago from \(record.source)",
        ]
        if let error = record.error, record.state != .succeeded { lines.append("  error: \(error)") }
        if let output = record.outputDirectory { lines.append("  output: \(output)") }
        if let summary = record.summary {
            lines.append(contentsOf: summary.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 })
        }
        if !job.counters.isEmpty {
            lines.append("  counters: " + job.counters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                .joined(separator: " "))
        }
        if detailed {
            for attempt in job.running.prefix(10) {
                lines.append(String(format: "  running task %llu attempt %u on %@ for %.1fs%@%@", attempt.task,
                                    attempt.attempt, attempt.worker, attempt.seconds,
                                    attempt.speculative ? " (speculative)" : "",
                                    attempt.status.isEmpty ? "" : ": \(attempt.status)"))
            }
            for trouble in job.troubles.prefix(10) { lines.append("  " + attempt(trouble)) }
        }
        return lines.joined(separator: "\n")
    }

    static func attempt(_ attempt: AttemptStatus) -> String {
        var text = "task \(attempt.task) attempt \(attempt.attempt) on \(attempt.worker): "
            + (attempt.ending?.rawValue ?? "running")
        if let error = attempt.error, !error.isEmpty { text += ": \(error)" }
        if let status = attempt.exitStatus, status >= 0, attempt.ending != .succeeded { text += " (exit \(status))" }
        if let signal = attempt.signal, signal > 0 { text += " (signal \(signal))" }
        if let tail = attempt.logTail, !tail.isEmpty {
            text += "\n" + tail.split(separator: "\n", omittingEmptySubsequences: false)
                .map { "    | \($0)" }.joined(separator: "\n")
        }
        return text
    }

    static func age(since unixSeconds: Double) -> String {
        let seconds = max(0, Date().timeIntervalSince1970 - unixSeconds)
        if seconds < 60 { return String(format: "%.0fs", seconds) }
        if seconds < 3600 { return String(format: "%.0fm", seconds / 60) }
        return String(format: "%.1fh", seconds / 3600)
    }

    private static func pad(_ cells: [String]) -> String {
        let widths = [8, 20, 9, 10, 13, 8, 8, 10]
        return cells.enumerated().map { index, cell in
            cell.padding(toLength: max(widths[min(index, widths.count - 1)], cell.count + 1), withPad: " ", startingAt: 0)
        }.joined().trimmingCharacters(in: .whitespaces)
    }
}
