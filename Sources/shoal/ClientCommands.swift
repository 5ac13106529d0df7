import ArgumentParser
import Foundation
import ShoalClient
import ShoalCore
import ZeroMQ

/// Opens a client to the coordinator, runs `body`, closes it, and turns client errors into exit status 1 with
/// their message on stderr.
func withCoordinator<Result>(
    _ address: CoordinatorAddressOptions, _ body: (CoordinatorClient) async throws -> Result
) async throws -> Result {
    let context = try Context()
    let client = try await CoordinatorClient(
        endpoint: try address.endpoint(), context: context, security: try address.security())
    do {
        let result = try await body(client)
        await client.close()
        return result
    } catch let error as ClientError {
        await client.close()
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode(1)
    }
}

/// Prints `value` as sorted, indented JSON.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// `shoal submit`: sends a job file to the coordinator.
struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit a job file; prints the job id. With --wait, shows progress and fails if the job fails.",
        discussion: """
            Relative paths in the job file are resolved against the current directory. Submitting the same file \
            again from the same directory while its job is unfinished resumes that job, unless --restart.
            """
    )

    @Argument(help: "The job file (YAML).")
    var jobFile: String

    @Flag(name: .long, help: "Wait for the job to finish, showing progress; exit 1 if it fails.")
    var wait = false

    @Flag(
        name: [.customLong("restart"), .customLong("overwrite")],
        help: "Start anew instead of resuming an unfinished run of the same job, replacing an earlier run's outputs.")
    var restart = false

    @Option(name: .long, help: "With --wait: seconds the coordinator may not answer (a restart) before giving up, exit 1.")
    var maxSilence: Double = 300

    @OptionGroup var address: CoordinatorAddressOptions

    func run() async throws {
        let text: String
        do {
            text = try String(contentsOfFile: jobFile, encoding: .utf8)
        } catch {
            throw ValidationError("cannot read \(jobFile): \(error.localizedDescription)")
        }
        try await withCoordinator(address) { client in
            let accepted = try await client.submit(
                jobFile: text, source: jobFile, workingDirectory: FileManager.default.currentDirectoryPath,
                restart: restart, timeout: max(address.deadline, .seconds(60)))
            print(accepted.resumed ? "job \(accepted.jobID) (resumed)" : "job \(accepted.jobID)")
            guard wait else { return }
            let final = try await JobProgress.follow(
                accepted.jobID, client: client, silenceLimit: .milliseconds(Int64(max(maxSilence, 1) * 1000)))
            if final.record.state != .succeeded { throw ExitCode(1) }
        }
    }
}

/// `shoal status`: one job, or the cluster.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show a job's progress, retries and errors, or every job and worker.")

    @Argument(help: "A job id; none for the whole cluster.")
    var job: UInt64?

    @Flag(name: .long, help: "Print the coordinator's status document as JSON.")
    var json = false

    @OptionGroup var address: CoordinatorAddressOptions

    func run() async throws {
        let status = try await withCoordinator(address) { try await $0.status(job: job ?? 0, timeout: address.deadline) }
        if json { return try printJSON(status) }
        if job != nil, let one = status.jobs.first {
            print(StatusText.job(one, detailed: true))
        } else {
            print(StatusText.jobsTable(status.jobs))
            print("")
            print(StatusText.workersTable(status.workers))
        }
    }
}

/// `shoal jobs`: the recent jobs.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "jobs", abstract: "List recent jobs.")

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    @OptionGroup var address: CoordinatorAddressOptions

    func run() async throws {
        let status = try await withCoordinator(address) { try await $0.status(timeout: address.deadline) }
        if json { return try printJSON(status.jobs) }
        print(StatusText.jobsTable(status.jobs))
    }
}

/// `shoal workers`: the registered workers.
struct WorkersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "workers", abstract: "List registered workers.")

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    @OptionGroup var address: CoordinatorAddressOptions

    func run() async throws {
        let status = try await withCoordinator(address) { try await $0.status(timeout: address.deadline) }
        if json { return try printJSON(status.workers) }
        print(StatusText.workersTable(status.workers))
    }
}

/// `shoal logs`: a job's failed attempts, or one task's attempts, with their errors and log tails.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "Show the errors and log tails of a job's failed attempts, or of one task.")

    @Argument(help: "The job id.")
    var job: UInt64

    @Option(name: .long, help: "A task id (as `shoal status JOB` shows it): every attempt of that task.")
    var task: UInt64?

    @OptionGroup var address: CoordinatorAddressOptions

    func run() async throws {
        let status = try await withCoordinator(address) {
            try await $0.status(job: job, task: task ?? 0, timeout: address.deadline)
        }
        if let detail = status.task {
            print("task \(detail.id) (\(detail.label)): \(detail.state.rawValue), \(detail.failures) failure(s)")
            for attempt in detail.attempts { print(StatusText.attempt(attempt)) }
        } else if let one = status.jobs.first {
            if one.troubles.isEmpty { print("job \(job): no failed attempts") }
            for attempt in one.troubles { print(StatusText.attempt(attempt)) }
        }
    }
}

/// `shoal cancel`: cancels a job.
struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel a job.")

    @Argument(help: "The job id.")
    var job: UInt64

    @OptionGroup var address: CoordinatorAddressOptions

    func run() async throws {
        let status = try await withCoordinator(address) {
            try await $0.cancel(job: job, reason: "cancelled by shoal cancel", timeout: address.deadline)
        }
        print("job \(job): \(status.jobs.first?.record.state.rawValue ?? "unknown")")
    }
}

/// `shoal drain`: asks a worker to finish what it runs and leave.
struct DrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drain", abstract: "Ask a worker to take no more tasks, finish its running ones, and leave.")

    @Argument(help: "The worker id (see `shoal workers`).")
    var worker: String

    @OptionGroup var address: CoordinatorAddressOptions

    func run() async throws {
        _ = try await withCoordinator(address) { try await $0.drain(worker: worker, timeout: address.deadline) }
        print("worker \(worker): draining")
    }
}
