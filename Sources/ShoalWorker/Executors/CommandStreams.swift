#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The descriptors of one command attempt: what becomes the child's stdin, stdout and stderr, and the
/// worker's ends of the pipes.
///
/// Every descriptor is opened close-on-exec, so no other task's child inherits it: a stray copy of a pipe's
/// write end in another process would keep its reader from ever seeing end of file. posix_spawn's dup2 onto
/// 0, 1 and 2 clears the flag on the child's copies only.
struct CommandStreams {
    /// The child's stdin: the read end of the input pipe, or /dev/null.
    var childInput: Int32
    /// The child's stdout: the output file, or /dev/null.
    var childOutput: Int32
    /// The child's stderr: the write end of the stderr pipe.
    var childError: Int32
    /// The input file and the write end of the stdin pipe, for the `InputFeeder`; `nil` without input.
    var feed: (file: Int32, pipe: Int32)?
    /// The read end of the stderr pipe, for the `StandardErrorReader`.
    var errorPipe: Int32

    /// Why the streams could not be set up, for the attempt's error.
    struct OpenError: Error, CustomStringConvertible {
        var description: String
    }

    /// Opens `input` (if any) for the child's stdin and `outputFile` (if any, created or truncated) for its
    /// stdout, and a pipe for its stderr.
    static func prepare(input: String?, outputFile: String?) throws(OpenError) -> CommandStreams {
        var opened: [Int32] = []
        func fail(_ what: String) -> OpenError {
            let reason = String(cString: strerror(errno))
            for descriptor in opened { close(descriptor) }
            return OpenError(description: "\(what): \(reason)")
        }
        func openFile(_ path: String, _ flags: Int32, _ what: String) throws(OpenError) -> Int32 {
            let descriptor = open(path, flags | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw fail("\(what) \(path)") }
            opened.append(descriptor)
            return descriptor
        }
        func makePipe() throws(OpenError) -> (read: Int32, write: Int32) {
            var ends: [Int32] = [0, 0]
            #if os(Linux)
            let code = GlibcExtensions.pipe2(&ends, flags: O_CLOEXEC)
            guard code == 0 else {
                errno = code
                throw fail("cannot create a pipe")
            }
            #else
            // No pipe2 here; CommandProcess spawns with POSIX_SPAWN_CLOEXEC_DEFAULT instead.
            guard pipe(&ends) == 0 else { throw fail("cannot create a pipe") }
            #endif
            opened += ends
            return (ends[0], ends[1])
        }

        var streams = CommandStreams(childInput: -1, childOutput: -1, childError: -1, feed: nil, errorPipe: -1)
        if let input {
            let file = try openFile(input, O_RDONLY, "cannot open the input")
            let inputPipe = try makePipe()
            streams.childInput = inputPipe.read
            streams.feed = (file, inputPipe.write)
        } else {
            streams.childInput = try openFile("/dev/null", O_RDONLY, "cannot open")
        }
        if let outputFile {
            streams.childOutput = try openFile(outputFile, O_WRONLY | O_CREAT | O_TRUNC, "cannot create")
        } else {
            streams.childOutput = try openFile("/dev/null", O_WRONLY, "cannot open")
        }
        let errorPipe = try makePipe()
        streams.childError = errorPipe.write
        streams.errorPipe = errorPipe.read
        return streams
    }

    /// Closes the child's descriptors in the worker once the child has its copies (or will never start).
    func closeChildEnds() {
        for descriptor in [childInput, childOutput, childError] { close(descriptor) }
    }

    /// Closes everything, when the child could not be started.
    func closeAll() {
        closeChildEnds()
        if let feed {
            close(feed.file)
            close(feed.pipe)
        }
        close(errorPipe)
    }
}

