/// The RESULT output that stands for files a worker wrote into its attempt's staging directory itself
/// (`OutputPaths.attempt`), instead of sending them: one line per file, `<bytes> <name>\n`, in UTF-8.
/// The coordinator checks each file is there at its size, then commits the directory with one `rename`, as it
/// does the files it writes (docs/protocol.md, RESULT).
public struct StagedOutputs: Sendable, Equatable {
    /// The output's name in the RESULT (no other output starts with a dot).
    public static let name = ".staged"

    public var files: [(name: String, bytes: Int)]

    public init(files: [(name: String, bytes: Int)]) {
        self.files = files
    }

    /// Parses the list; throws on a line that is not `<bytes> <name>`.
    public init(_ bytes: [UInt8]) throws {
        var files: [(String, Int)] = []
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            guard let space = line.firstIndex(of: UInt8(ascii: " ")),
                  let size = Int(String(decoding: line[line.startIndex..<space], as: UTF8.self)), size >= 0,
                  space + 1 < line.endIndex
            else { throw StagedOutputsError(line: String(decoding: line, as: UTF8.self)) }
            files.append((String(decoding: line[(space + 1)...], as: UTF8.self), size))
        }
        self.files = files
    }

    public var bytes: [UInt8] { Array(files.map { "\($0.bytes) \($0.name)\n" }.joined().utf8) }

    public static func == (a: StagedOutputs, b: StagedOutputs) -> Bool {
        a.files.elementsEqual(b.files) { $0.name == $1.name && $0.bytes == $1.bytes }
    }
}

public struct StagedOutputsError: Error, CustomStringConvertible {
    public var line: String
    public var description: String { "not a staged output (<bytes> <name>): \"\(line.prefix(80))\"" }
}
