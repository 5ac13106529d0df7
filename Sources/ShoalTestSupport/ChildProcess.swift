import Foundation

/// A process a test started: output captured to files (no pipe can fill up and stall it), waited for with
/// deadlines, and ended by its PID only — never by name.
public final class ChildProcess: @unchecked Sendable {
    // @unchecked Sendable: `process` is a Foundation `Process`, whose methods used here (processIdentifier,
    // isRunning, terminationStatus, waitUntilExit) are thread-safe; the output URLs are immutable.
    private let process: Process
    public let stdoutURL: URL
    public let stderrURL: URL

    /// Starts `executable` with `arguments`, writing its output under `directory`.
    public init(
        _ executable: URL, _ arguments: [String], in directory: TemporaryDirectory,
        environment: [String: String]? = nil, currentDirectory: String? = nil, name: String = "child"
    ) throws {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        // A test process that crashes cannot stop its children: they end by themselves once it is gone (the
        // shoal binary's ParentWatch).
        var environment = environment ?? ProcessInfo.processInfo.environment
        if environment["SHOAL_EXIT_WITH_PARENT"] == nil { environment["SHOAL_EXIT_WITH_PARENT"] = "\(getpid())" }
        process.environment = environment
        stdoutURL = directory.url.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8)).stdout")
        stderrURL = directory.url.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8)).stderr")
        for url in [stdoutURL, stderrURL] where !FileManager.default.createFile(atPath: url.path, contents: nil) {
            throw BuiltProductsError("cannot create \(url.path)")
        }
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    /// Everything the process wrote to stdout so far.
    public var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }
    /// Everything the process wrote to stderr so far.
    public var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    /// Sends `signal` to this process (by PID).
    public func signal(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// Waits for the process to exit, up to `timeout`.
    /// - Returns: its exit status, or `nil` when it was still running at the deadline.
    public func waitForExit(timeout: Duration) async -> Int32? {
        let exited = await waitUntil(timeout: timeout) { !self.process.isRunning }
        guard exited else { return nil }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Whether the process ended because of a signal rather than by exiting.
    public var wasSignalled: Bool { process.terminationReason == .uncaughtSignal }

    deinit {
        // A test that failed half-way must not leave its children behind.
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
