import Foundation
import ShoalClient
import ShoalCore

/// Follows a job until it ends, showing progress: one redrawn bar on a terminal, plain lines otherwise.
enum JobProgress {
    /// How long to wait before the next status request, `elapsed` into the job: a twentieth of the time so far,
    /// between 20 and 200 ms. Polling at a fixed 200 ms added 100 ms on average to every `--wait` (a fifth of the
    /// clicks example's half second); this way the delay past a job's end stays within 5% of its time (past
    /// 0.4 s), and a long job still costs the coordinator five requests a second.
    static func pollInterval(elapsed: Duration) -> Duration {
        min(.milliseconds(200), max(.milliseconds(20), elapsed / 20))
    }

    /// Why following a job stopped before the job ended.
    struct Abandoned: Error, CustomStringConvertible {
        var description: String
    }

    /// Polls the job's status until it is finished; prints progress and a summary.
    /// - Parameters:
    ///   - silenceLimit: how long the coordinator may go unanswered (a restart on its state directory comes
    ///     back with the job) before this gives up; nil waits for ever.
    ///   - giveUp: asked before every request; a reason to stop (the local cluster's processes died) ends it.
    /// - Returns: the job's final status.
    /// - Throws: `Abandoned` when the coordinator stayed silent past `silenceLimit` or `giveUp` said why.
    static func follow(
        _ job: JobID, client: CoordinatorClient, silenceLimit: Duration? = nil,
        giveUp: () -> String? = { nil }
    ) async throws -> JobStatus {
        let terminal = isatty(STDERR_FILENO) == 1
        let started = ContinuousClock.now
        var lastLine = ""
        var lastPrinted = ContinuousClock.now - .seconds(10)
        var silentSince: ContinuousClock.Instant?
        while true {
            if let reason = giveUp() {
                if terminal { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
                throw Abandoned(description: reason)
            }
            let status: ClusterStatus
            do {
                status = try await client.status(job: job, timeout: .seconds(5))
                silentSince = nil
            } catch ClientError.noAnswer {
                // A coordinator restarting on its state directory comes back with the job: keep waiting, a while.
                let since = silentSince ?? .now
                if silentSince == nil { FileHandle.standardError.write(Data("waiting for the coordinator…\n".utf8)) }
                silentSince = since
                if let silenceLimit, since.duration(to: .now) >= silenceLimit {
                    throw Abandoned(description: "the coordinator has not answered for \(Int(silenceLimit.seconds)) s; "
                        + "stopped waiting (job \(job) may still be running: shoal status \(job))")
                }
                continue
            }
            guard let current = status.jobs.first else { throw ClientError.unexpected(.statusReport) }
            let line = progressLine(current, elapsed: started.duration(to: .now))
            if current.record.state.isTerminal {
                if terminal { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
                print(summary(current, elapsed: started.duration(to: .now)))
                return current
            }
            if terminal {
                FileHandle.standardError.write(Data("\r\u{1B}[2K\(line)".utf8))
            } else if line != lastLine, lastPrinted.duration(to: .now) >= .seconds(2) {
                FileHandle.standardError.write(Data((line + "\n").utf8))
                lastLine = line
                lastPrinted = .now
            }
            try await Task.sleep(for: pollInterval(elapsed: started.duration(to: .now)))
        }
    }

    static func progressLine(_ job: JobStatus, elapsed: Duration) -> String {
        let total = max(job.record.taskCount, 1)
        let done = job.counts.succeeded
        let fraction = Double(done) / Double(total)
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let seconds = max(elapsed.seconds, 0.001)
        let rate = Double(done) / seconds
        let eta = rate > 0 ? String(format: "%.0fs", Double(total - done) / rate) : "?"
        return String(format: "[%@] %d/%d tasks  %d running  %.1f/s  ETA %@  retries %d", bar, done, total,
                      job.counts.running, rate, eta, job.retries)
    }

    static func summary(_ job: JobStatus, elapsed: Duration) -> String {
        let record = job.record
        var text = "job \(record.id) \(record.name) \(record.state.rawValue): \(job.counts.succeeded)/\(record.taskCount) "
            + "tasks in \(String(format: "%.1f", elapsed.seconds)) s, \(job.retries) retr\(job.retries == 1 ? "y" : "ies")"
        if let output = record.outputDirectory, record.state == .succeeded { text += "; output in \(output)" }
        if let summary = record.summary { text += "\n" + summary.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") }
        if let error = record.error, record.state != .succeeded { text += "\n  error: \(error)" }
        if record.state == .failed {
            for trouble in job.troubles.prefix(3) { text += "\n  " + StatusText.attempt(trouble) }
        }
        return text
    }
}
