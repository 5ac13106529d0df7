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
    private let source: ByteSource

    init(source: ByteSource, capacity: Int, startOffset: Int) {
        self.source = source
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity + Self.padding)
        base.initialize(repeating: 0, count: self.capacity + Self.padding)
        offset = startOffset
    }

    deinit { base.deallocate() }

    /// Drops the bytes before `keep`, moves the rest to the front and reads more after them. A record longer
    /// than half the buffer doubles it, so any record fits eventually.
    /// - Returns: false when the source had no more bytes.
    @discardableResult
    func refill(keepingFrom keep: Int) throws -> Bool {
        precondition(keep <= end)
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
