import ArgumentParser
import Dispatch
import Foundation
import ShoalClient
import ShoalCore
import ShoalProtocol
import ZeroMQ

/// `shoal run`: the embedded default — a local coordinator and workers, one job, then everything torn down.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a job on a local cluster started for it: a coordinator and N workers on this machine.",
        discussion: """
            Shows progress, prints a summary, and stops the cluster when the job ends (also on Ctrl-C). Exits 1 \
            if the job fails. Logs of the coordinator and workers are kept in the state directory's logs/.
            """
    )

    @Argument(help: "The job file (YAML), or a pipeline file (kind: pipeline) whose jobs run one after another.")
    var jobFile: String

    @Option(name: .long, help: "Worker processes to start.")
    var workers: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    @Option(name: .long, help: "Tasks each worker runs at once (default: its core count).")
    var slots: Int?

    @Option(name: .long, help: "State directory (default: a new temporary one).")
    var stateDir: String?

    @Flag(
        name: [.customLong("overwrite"), .customLong("restart")],
        help: "Replace the outputs of an earlier run of the job (otherwise they make it fail at submit).")
    var restart = false

    @Flag(inversion: .prefixedNo, help: "Pass bulk frames (training parameters and gradients) through shared memory (default: the cluster file's coordinator.shared_memory, true).")
    var sharedMemory: Bool?

    func validate() throws {
        guard (1...256).contains(workers) else { throw ValidationError("--workers must be 1…256, got \(workers)") }
        if let slots, !(1...4096).contains(slots) { throw ValidationError("--slots must be 1…4096") }
        guard FileManager.default.isReadableFile(atPath: jobFile) else {
            throw ValidationError("cannot read the job file \(jobFile)")
        }
    }

    func run() async throws {
        let text = try String(contentsOfFile: jobFile, encoding: .utf8)
        // A pipeline runs its jobs one after another on the same cluster; a job file is a pipeline of one.
        var jobs = [(path: jobFile, text: text)]
        if PipelineFile.isPipeline(text) {
            let pipeline: PipelineFile
            do { pipeline = try PipelineFile.parse(text: text, path: jobFile) } catch {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                throw ExitCode(1)
            }
            jobs = try pipeline.jobs.map { ($0, try String(contentsOfFile: $0, encoding: .utf8)) }
            FileHandle.standardError.write(Data(
                "pipeline \(pipeline.name): \(pipeline.jobs.map { ($0 as NSString).lastPathComponent }.joined(separator: " → "))\n".utf8))
        }
        let succeeded = try await EmbeddedRun.run(
            jobs: jobs, workers: workers, slots: slots, stateDir: stateDir, restart: restart,
            extra: sharedMemory == false ? ["--no-shared-memory"] : [])
        if !succeeded { throw ExitCode(1) }
    }
}

/// Jobs run one after another on a local cluster started for them (`shoal run`, `shoal predict --workers`).
enum EmbeddedRun {
    /// Starts a coordinator and `workers` worker processes, submits each job once the one before has succeeded,
    /// shows progress and summaries, and stops the cluster (also on Ctrl-C).
    /// - Returns: whether every job succeeded.
    static func run(
        jobs: [(path: String, text: String)], workers: Int, slots: Int?, stateDir: String?, restart: Bool,
        extra: [String] = []
    ) async throws -> Bool {
        // A fresh directory unless one is given: one named by the PID alone would, once the PID came round again
        // (a container restarted), reload an earlier aborted run's jobs.
        let state = try stateDir ?? LocalCluster.freshStateDirectory(prefix: "shoal-run-")
        let cluster = try LocalCluster(logDirectory: (state as NSString).appendingPathComponent("logs"))
        let interrupts = InterruptTrap { [pids = cluster.pids] in pids.terminateAll(grace: LocalCluster.stopGrace) }
        defer { interrupts.cancel() }
        // Whatever ends this run (an error too), the children stop with it rather than wait for their parent watch.
        defer { cluster.stop() }
        try cluster.startCoordinator([
            "--state-dir", state, "--worker-endpoint", "tcp://127.0.0.1:0", "--client-endpoint", "tcp://127.0.0.1:0",
            "--events-endpoint", "tcp://127.0.0.1:0", "--curve", "off",
        ] + extra)
        // Loopback only, started and stopped with this command: no keys to set up (docs/security.md).
        try cluster.startWorkers(workers, slots: slots, extra: ["--curve", "off"] + extra)
        FileHandle.standardError.write(Data(
            "local cluster: coordinator \(cluster.endpoints["clients"] ?? "?") and \(workers) workers; logs in \(cluster.logDirectory)\n".utf8))
        let context = try Context()
        let client = try await CoordinatorClient(endpoint: cluster.endpoints["clients"] ?? "", context: context)
        var succeeded = true
        for job in jobs where succeeded {
            do {
                let accepted = try await submit(job, restart: restart, client: client, giveUp: cluster.failureCheck)
                let final = try await JobProgress.follow(accepted.jobID, client: client, giveUp: cluster.failureCheck)
                succeeded = final.record.state == .succeeded
            } catch let error as ClientError {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                succeeded = false
            } catch let error as JobProgress.Abandoned {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                succeeded = false
            }
            if !succeeded && jobs.count > 1 {
                FileHandle.standardError.write(Data("pipeline stopped: \(job.path) did not succeed\n".utf8))
            }
        }
        await client.close()
        return succeeded
    }

    /// Submits `job`, given up as soon as `giveUp` has a reason — the local coordinator exited before it answered
    /// (it crashed planning the job, or was killed) — rather than at the request's timeout, a minute later.
    static func submit(
        _ job: (path: String, text: String), restart: Bool, client: CoordinatorClient,
        giveUp: @escaping @Sendable () -> String?
    ) async throws -> JobAccepted {
        let directory = FileManager.default.currentDirectoryPath
        return try await withThrowingTaskGroup(of: JobAccepted?.self) { group in
            group.addTask {
                try await client.submit(jobFile: job.text, source: job.path, workingDirectory: directory, restart: restart)
            }
            group.addTask {
                while true {
                    try await Task.sleep(for: .milliseconds(100))
                    if let reason = giveUp() { throw JobProgress.Abandoned(description: reason) }
                }
            }
            defer { group.cancelAll() }
            // The submission's answer, or the reason to stop waiting for it; the watch never ends otherwise.
            guard let accepted = try await group.next() ?? nil else { throw CancellationError() }
            return accepted
        }
    }
}

/// Runs `onInterrupt` on SIGINT or SIGTERM, then exits with 130 (the shell's code for Ctrl-C).
///
/// `@unchecked Sendable`: the sources are created in `init` and only cancelled after; DispatchSource is
/// thread-safe for `cancel`.
final class InterruptTrap: @unchecked Sendable {
    private let sources: [DispatchSourceSignal]

    init(_ onInterrupt: @escaping @Sendable () -> Void) {
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                FileHandle.standardError.write(Data("\ninterrupted: stopping the local cluster\n".utf8))
                onInterrupt()
                exit(130)
            }
            source.resume()
            return source
        }
    }

    func cancel() {
        for source in sources { source.cancel() }
    }
}
