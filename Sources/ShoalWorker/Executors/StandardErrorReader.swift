import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a command's stderr on a thread of its own, line by line: reporter lines (`ReporterLine`) become the
/// attempt's status and counters, every other line goes to a bounded `LogTail`.
///
/// Blocking reads never run on Swift's cooperative pool; the supervisor thread waits for the end with a bound
/// (`waitForEnd`), since a process that escaped the task's process group may keep the pipe open.
final class StandardErrorReader: Sendable {
    /// Longer lines are cut (and end in "…"): a line is for a person, a reporter line is short, and a few
    /// long lines should still fit the tail's 8 KiB.
    static let maximumLineBytes = 2048

    private let tail = Mutex(LogTail())
    private let finished = DispatchSemaphore(value: 0)

    /// Starts reading `descriptor`, which the reader owns and closes at end of file.
    init(descriptor: Int32, context: TaskContext) {
        let thread = Thread { [self] in
            readLines(descriptor, context: context)
            finished.signal()
        }
        thread.name = "shoal-stderr-\(context.task.taskID).\(context.task.attempt)"
        thread.start()
    }

    /// Blocks until the pipe reached end of file (every writer closed it) or `timeout` passed.
    /// - Returns: whether the end was reached.
    func waitForEnd(timeout: Duration) -> Bool {
        let (seconds, attoseconds) = timeout.components
        let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        return finished.wait(timeout: .now() + .nanoseconds(nanoseconds)) == .success
    }

    /// The log lines kept so far.
    var logTail: String { tail.withLock { $0.text } }

    private func readLines(_ descriptor: Int32, context: TaskContext) {
        defer { close(descriptor) }
        var pending = PendingLine()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            var chunk = buffer[0..<count]
            while let newline = chunk.firstIndex(of: UInt8(ascii: "\n")) {
                pending.append(chunk[..<newline])
                handle(pending.take(), context: context)
                chunk = chunk[(newline + 1)...]
            }
            pending.append(chunk)
        }
        if !pending.isEmpty { handle(pending.take(), context: context) }
    }

    /// The line being read, up to `maximumLineBytes`.
    private struct PendingLine {
        private var bytes: [UInt8] = []
        private var truncated = false

        var isEmpty: Bool { bytes.isEmpty }

        mutating func append(_ more: ArraySlice<UInt8>) {
            let room = StandardErrorReader.maximumLineBytes - bytes.count
            if more.count > room { truncated = true }
            bytes.append(contentsOf: more.prefix(room))
        }

        /// The line so far, as text; then starts a new one.
        mutating func take() -> String {
            var line = String(decoding: bytes, as: UTF8.self)
            if line.hasSuffix("\r") { line.removeLast() }
            if truncated { line += "…" }
            bytes.removeAll(keepingCapacity: true)
            truncated = false
            return line
        }
    }

    private func handle(_ line: String, context: TaskContext) {
        switch ReporterLine(line) {
        case .status(let message): context.report(status: message)
        case .counter(let name, let amount): context.increment(counter: name, by: amount)
        case nil: tail.withLock { $0.append(line) }
        }
    }
}
