import Foundation

/// Where a reader's bytes come from: a range of a plain file, or a gzip stream inflated on the fly.
protocol ByteSource: AnyObject {
    /// Fills up to `capacity` bytes at `buffer`; 0 means the input is exhausted.
    func read(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int) throws -> Int
}

/// How an input file is compressed, from its name or, failing that, its first bytes.
public enum InputCompression: Sendable, Equatable {
    case none
    case gzip

    /// `.gzip` for a `.gz` name or a file that starts with gzip's magic bytes (1f 8b).
    public static func detect(path: String) throws -> InputCompression {
        if path.hasSuffix(".gz") { return .gzip }
        let fd = try openForReading(path)
        defer { close(fd) }
        var magic: (UInt8, UInt8) = (0, 0)
        let n = withUnsafeMutableBytes(of: &magic) { pread(fd, $0.baseAddress, 2, 0) }
        return n == 2 && magic == (0x1f, 0x8b) ? .gzip : .none
    }
}

func openForReading(_ path: String) throws -> Int32 {
    while true {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd >= 0 { return fd }
        if errno != EINTR { throw ReaderError.system(path, "cannot open", errno: errno) }
    }
}

/// `pread` of up to `count` bytes at `offset`, retried on EINTR; 0 at the end of the file.
func readRetrying(_ fd: Int32, _ buffer: UnsafeMutablePointer<UInt8>, _ count: Int, at offset: Int, path: String) throws -> Int {
    while true {
        let n = pread(fd, buffer, count, off_t(offset))
        if n >= 0 { return n }
        if errno != EINTR { throw ReaderError.system(path, "cannot read at offset \(offset)", errno: errno) }
    }
}

func fileSize(_ fd: Int32, path: String) throws -> Int {
    var st = stat()
    guard fstat(fd, &st) == 0 else { throw ReaderError.system(path, "cannot stat", errno: errno) }
    return Int(st.st_size)
}

/// Reads a plain file with `pread` from `start`. Up to `softEnd` it reads as much as asked; past it only the
/// tail of the shard's last record is wanted, so it reads small pieces instead of a whole buffer's worth.
final class FileByteSource: ByteSource {
    private let path: String
    private let fd: Int32
    private var position: Int
    private let softEnd: Int
    private static let tailRead = 64 << 10

    init(path: String, start: Int, softEnd: Int) throws {
        self.path = path
        fd = try openForReading(path)
        position = start
        self.softEnd = softEnd
    }

    deinit { close(fd) }

    func read(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int) throws -> Int {
        let want = position < softEnd ? min(capacity, softEnd - position) : min(capacity, Self.tailRead)
        let n = try readRetrying(fd, buffer, want, at: position, path: path)
        position += n
        return n
    }
}
