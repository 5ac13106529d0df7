import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Copies a shard's input file into the command's stdin pipe on a thread of its own, reporting the bytes
/// delivered as the attempt's progress: the honest measure of how far a streaming command has read.
final class InputFeeder: Sendable {
    private let readFailure = Mutex<String?>(nil)

    /// Starts copying `file` into `pipe`; both descriptors are the feeder's, closed when it is done. A command
    /// that exits without reading everything ends the copy (the write fails with EPIPE).
    init(file: Int32, pipe: Int32, context: TaskContext) {
        let thread = Thread { [self] in copy(file: file, pipe: pipe, context: context) }
        thread.name = "shoal-stdin-\(context.task.taskID).\(context.task.attempt)"
        thread.start()
    }

    /// Why reading the input failed, if it did. The pipe is closed only after this is set, so once the
    /// command has exited (it saw end of file, or never read that far) the answer is final.
    var failure: String? { readFailure.withLock { $0 } }

    private func copy(file: Int32, pipe: Int32, context: TaskContext) {
        defer {
            close(file)
            close(pipe)
        }
        // A write to a pipe nobody reads raises SIGPIPE, which would kill the worker. Blocked in this thread
        // only, it stays pending on this thread (a write's SIGPIPE is thread-directed), the write fails with
        // EPIPE instead, and the pending signal is discarded when the thread ends.
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)

        var buffer = [UInt8](repeating: 0, count: 65536)
        var delivered: UInt64 = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { read(file, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 {
                // Without this the command would see a short input as a complete one.
                let reason = String(cString: strerror(errno))
                readFailure.withLock { $0 = "cannot read the input: \(reason)" }
            }
            guard count > 0 else { return }
            guard writeAll(buffer[0..<count], to: pipe) else { return }
            delivered += UInt64(count)
            context.report(bytes: delivered)
        }
    }

    private func writeAll(_ bytes: ArraySlice<UInt8>, to descriptor: Int32) -> Bool {
        var rest = bytes
        while !rest.isEmpty {
            let written = rest.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return false }
            rest = rest.dropFirst(written)
        }
        return true
    }
}
