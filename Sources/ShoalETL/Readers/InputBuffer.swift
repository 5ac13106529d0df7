import Foundation

/// The window of input a reader parses: a large buffer refilled from a `ByteSource`, keeping the unparsed tail
/// (a record cut by the end of a read) at the front. Parsers work on raw pointers into it.
///
/// The allocation has `padding` bytes beyond the capacity so word-at-a-time scans may load 8 bytes at any
/// position before `end` without a bounds check; bytes past `end` are stale and never taken as data.
final class InputBuffer {
    static let padding = 16
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var capacity: Int
    /// Valid bytes are `base[0 ..< end]`.
    private(set) var end = 0
    /// The stream offset of `base[0]`.
    private(set) var offset = 0
    /// The source has nothing more.
    private(set) var exhausted = false
    private let source: ByteSource?
    /// A mapped file: (the mapping, its length). `base` points into it; nothing is read or copied.
    private var mapping: (pointer: UnsafeMutableRawPointer, length: Int)?

    init(source: ByteSource, capacity: Int, startOffset: Int) {
        self.source = source
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity + Self.padding)
        base.initialize(repeating: 0, count: self.capacity + Self.padding)
        offset = startOffset
    }

    /// The rest of a plain file from `start`, mapped into memory instead of read: the kernel's page cache is
    /// parsed in place (read(2) copied every byte once more; about 10% of a shard's time). Nil when mapping does
    /// not fit — the file ends too close to a page boundary for the word-at-a-time scans' padding, or `mmap`
    /// fails — and the caller reads. (A file truncated by someone else while mapped ends the process with
    /// SIGBUS where a read would have come up short: the worker dies loudly and the task is retried.)
    init?(mapping path: String, start: Int) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        let size = Int(info.st_size)
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        // Bytes after the end up to the page's end read as zeros; a full last page has none to spare.
        guard size > start, size % page != 0, page - size % page >= Self.padding else { return nil }
        let alignedStart = start - start % page
        let length = size - alignedStart
        guard let pointer = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, off_t(alignedStart)),
              pointer != MAP_FAILED
        else { return nil }
        _ = madvise(pointer, length, MADV_SEQUENTIAL)
        mapping = (pointer, length)
        source = nil
        base = (pointer + (start - alignedStart)).assumingMemoryBound(to: UInt8.self)
        capacity = size - start
        end = size - start
        offset = start
        exhausted = true
    }

    deinit {
        if let mapping { munmap(mapping.pointer, mapping.length) } else { base.deallocate() }
    }

    /// Whether the input is a mapped file (read whole, never refilled).
    var isMapped: Bool { mapping != nil }

    /// Drops the bytes before `keep`, moves the rest to the front and reads more after them. A record longer
    /// than half the buffer doubles it, so any record fits eventually.
    /// - Returns: false when the source had no more bytes.
    @discardableResult
    func refill(keepingFrom keep: Int) throws -> Bool {
        precondition(keep <= end)
        guard let source else { return false }  // mapped: all of it is there
        let kept = end - keep
        if keep > 0 {
            if kept > 0 { memmove(base, base + keep, kept) }
            offset += keep
            end = kept
        }
        if kept > capacity / 2 {
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2 + Self.padding)
            bigger.initialize(repeating: 0, count: capacity * 2 + Self.padding)
            bigger.update(from: base, count: kept)
            base.deallocate()
            base = bigger
            capacity *= 2
        }
        let n = try source.read(into: base + end, capacity: capacity - end)
        if n == 0 { exhausted = true }
        end += n
        return n > 0
    }
}
