/// The last lines a command wrote to stderr, bounded in lines and bytes: what a failure report shows, without
/// letting a chatty task grow the worker's memory or the RESULT message.
struct LogTail: Sendable {
    /// The most lines kept.
    var maximumLines = 40
    /// The most bytes kept, counting a newline per line; a single longer line is cut to fit.
    var maximumBytes = 8192

    private var lines: [String] = []
    private var byteCount = 0

    /// Adds `line`, dropping the oldest lines beyond the bounds.
    mutating func append(_ line: String) {
        var line = line
        if line.utf8.count + 1 > maximumBytes {
            // Room for the ellipsis, and for a character cut in half becoming U+FFFD (3 bytes).
            line = String(decoding: line.utf8.prefix(maximumBytes - 8), as: UTF8.self) + "…"
        }
        lines.append(line)
        byteCount += line.utf8.count + 1
        // Never more than 40 lines, so removing from the front of an array is cheap.
        while lines.count > maximumLines || byteCount > maximumBytes {
            byteCount -= lines.removeFirst().utf8.count + 1
        }
    }

    /// The lines kept, oldest first, one per line.
    var text: String { lines.joined(separator: "\n") }
}
