import Foundation

/// The strings of a column as one byte buffer plus offsets (Arrow's layout): string `i` is
/// `bytes[offsets[i] ..< offsets[i + 1]]`. Readers append without making a `String` per field, and
/// comparisons work on the bytes.
public struct StringColumn: Sendable, Equatable {
    /// The UTF-8 bytes of all strings, back to back.
    public var bytes: [UInt8]
    /// `count + 1` offsets into `bytes`; the first is 0.
    public var offsets: [Int32]

    public init() {
        bytes = []
        offsets = [0]
    }

    public init(_ strings: [String]) {
        self.init()
        for s in strings { append(s) }
    }

    public init(bytes: [UInt8], offsets: [Int32]) {
        precondition(offsets.first == 0 && Int(offsets.last ?? 0) == bytes.count, "offsets must span bytes")
        self.bytes = bytes
        self.offsets = offsets
    }

    public var count: Int { offsets.count - 1 }

    public mutating func reserveCapacity(strings: Int, bytes byteCount: Int) {
        offsets.reserveCapacity(strings + 1)
        bytes.reserveCapacity(byteCount)
    }

    @inlinable
    public mutating func append(_ buffer: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: buffer)
        offsets.append(Int32(truncatingIfNeeded: bytes.count))
    }

    public mutating func append(_ string: String) {
        var s = string
        s.withUTF8 { bytes.append(contentsOf: $0) }
        offsets.append(Int32(truncatingIfNeeded: bytes.count))
    }

    /// Removes the last string.
    public mutating func removeLast() {
        offsets.removeLast()
        bytes.removeSubrange(Int(offsets.last!)...)
    }

    /// Appends an empty string (the slot of a null).
    @inlinable
    public mutating func appendEmpty() { offsets.append(Int32(truncatingIfNeeded: bytes.count)) }

    @inlinable
    public func range(_ i: Int) -> Range<Int> { Int(offsets[i])..<Int(offsets[i + 1]) }

    public func string(at i: Int) -> String { String(decoding: bytes[range(i)], as: UTF8.self) }

    /// Whether string `i` equals `literal`'s bytes, without making a `String`.
    @inlinable
    public func equals(_ i: Int, _ literal: [UInt8]) -> Bool {
        let r = range(i)
        guard r.count == literal.count else { return false }
        return bytes.withUnsafeBufferPointer { b in
            literal.withUnsafeBufferPointer { l in
                r.count == 0 || memcmpBytes(b.baseAddress! + r.lowerBound, l.baseAddress!, r.count) == 0
            }
        }
    }

    /// Byte-wise (UTF-8 code point order) comparison of string `i` with `other`: <0, 0 or >0.
    public func compare(_ i: Int, _ other: [UInt8]) -> Int {
        let r = range(i)
        return bytes.withUnsafeBufferPointer { b in
            other.withUnsafeBufferPointer { o in
                let n = min(r.count, o.count)
                if n > 0, let base = b.baseAddress, let ob = o.baseAddress {
                    let c = memcmpBytes(base + r.lowerBound, ob, n)
                    if c != 0 { return Int(c) }
                }
                return r.count - o.count
            }
        }
    }

    /// Byte-wise comparison of strings `i` and `j` of this column: <0, 0 or >0.
    public func compare(_ i: Int, _ j: Int) -> Int {
        let a = range(i), b = range(j)
        return bytes.withUnsafeBufferPointer { p in
            let n = min(a.count, b.count)
            if n > 0, let base = p.baseAddress {
                let c = memcmpBytes(base + a.lowerBound, base + b.lowerBound, n)
                if c != 0 { return Int(c) }
            }
            return a.count - b.count
        }
    }

    /// The strings at `indices`, in that order.
    public func gather(_ indices: [Int32]) -> StringColumn {
        var out = StringColumn()
        out.offsets.reserveCapacity(indices.count + 1)
        bytes.withUnsafeBytes { raw in
            for i in indices {
                let r = range(Int(i))
                out.append(UnsafeRawBufferPointer(rebasing: raw[r]))
            }
        }
        return out
    }
}

@usableFromInline
func memcmpBytes(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Int32 {
    memcmp(a, b, n)
}
