/// Maps group keys to dense group ids (0, 1, 2, … in order of first appearance) without a `String` or an
/// array per row: each row's key is encoded into a reused scratch buffer (`GroupKeyEncoding`), hashed, and
/// looked up in an open-addressing table whose keys live back to back in one byte buffer.
struct GroupKeyTable {
    /// Encoded keys of all groups, back to back; group `g` is `keyBytes[keyOffsets[g] ..< keyOffsets[g + 1]]`.
    private(set) var keyBytes: [UInt8] = []
    private(set) var keyOffsets: [Int] = [0]
    private var hashes: [UInt64] = []
    /// Group id + 1 per slot; 0 is empty. Capacity is a power of two, at most half full.
    private var slots: [Int32] = .init(repeating: 0, count: 64)

    var count: Int { hashes.count }

    func key(_ group: Int) -> ArraySlice<UInt8> { keyBytes[keyOffsets[group]..<keyOffsets[group + 1]] }

    /// The id of the group whose encoded key is `key`, adding it if new.
    mutating func groupID(for key: UnsafeRawBufferPointer) -> Int32 {
        let hash = StableHash.hash(key)
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { break }
            let group = Int(entry - 1)
            if hashes[group] == hash && matches(group, key) { return Int32(group) }
            slot = (slot + 1) & mask
        }
        let group = hashes.count
        hashes.append(hash)
        keyBytes.append(contentsOf: key)
        keyOffsets.append(keyBytes.count)
        slots[slot] = Int32(group + 1)
        if hashes.count * 2 > slots.count { grow() }
        return Int32(group)
    }

    private func matches(_ group: Int, _ key: UnsafeRawBufferPointer) -> Bool {
        let start = keyOffsets[group]
        let length = keyOffsets[group + 1] - start
        guard length == key.count else { return false }
        return keyBytes.withUnsafeBufferPointer { stored in
            length == 0 || memcmpBytes(stored.baseAddress! + start, key.baseAddress!.assumingMemoryBound(to: UInt8.self), length) == 0
        }
    }

    private mutating func grow() {
        slots = .init(repeating: 0, count: slots.count * 2)
        let mask = slots.count - 1
        for (group, hash) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: hash) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(group + 1)
        }
    }
}

/// How a row's group key is encoded: per key column a presence byte (0 null, 1 value), then an int or float as
/// 8 little-endian bytes (floats canonical: one zero, one NaN), a bool as 1 byte, a string as a 4-byte length
/// and its bytes. Equal keys give equal bytes, so the table compares bytes; the encoding also travels in
/// partial aggregates.
enum GroupKeyEncoding {
    /// Calls `body` with each of the first `rows` rows' encoded key over `columns` (one key column each), from
    /// one scratch buffer reused row after row: the group-by's and `count_distinct`'s hot path.
    @inline(__always)
    static func forEachKey(_ columns: [Column], rows: Int, _ body: (_ row: Int, _ key: UnsafeRawBufferPointer) -> Void) {
        ColumnView.with(columns) { views in
            let scratch = UnsafeMutableRawPointer.allocate(byteCount: max(maxWidth(views, rows: rows), 1), alignment: 8)
            defer { scratch.deallocate() }
            for row in 0..<rows {
                body(row, UnsafeRawBufferPointer(start: scratch, count: encode(views, row, to: scratch)))
            }
        }
    }

    /// The most bytes `encode` writes for any of the first `rows` rows of `views`.
    static func maxWidth(_ views: [ColumnView], rows: Int) -> Int {
        var width = 0
        for view in views {
            switch view.values {
            case .int, .float: width += 9
            case .bool: width += 2
            case .string(_, let offsets):
                var longest: Int32 = 0
                for row in 0..<rows { longest = max(longest, offsets[row + 1] - offsets[row]) }
                width += 5 + Int(longest)
            }
        }
        return width
    }

    /// Writes row `row`'s key into `out` (`maxWidth` bytes at least); returns the length. Borrowed buffers: no
    /// `Array` growth and no retain per row.
    @inline(__always)
    static func encode(_ views: [ColumnView], _ row: Int, to out: UnsafeMutableRawPointer) -> Int {
        var p = 0
        for view in views {
            if view.isNull(row) {
                out.storeBytes(of: 0, toByteOffset: p, as: UInt8.self)
                p += 1
                continue
            }
            out.storeBytes(of: 1, toByteOffset: p, as: UInt8.self)
            p += 1
            switch view.values {
            case .int(let v):
                out.storeBytes(of: v[row].littleEndian, toByteOffset: p, as: Int64.self)
                p += 8
            case .float(let v):
                var x = v[row]
                if x == 0 { x = 0 }
                if x.isNaN { x = .nan }
                out.storeBytes(of: x.bitPattern.littleEndian, toByteOffset: p, as: UInt64.self)
                p += 8
            case .bool(let v):
                out.storeBytes(of: v[row] ? 1 : 0, toByteOffset: p, as: UInt8.self)
                p += 1
            case .string(let bytes, let offsets):
                let start = Int(offsets[row])
                let count = Int(offsets[row + 1]) - start
                out.storeBytes(of: UInt32(count).littleEndian, toByteOffset: p, as: UInt32.self)
                p += 4
                if count > 0 { (out + p).copyMemory(from: bytes.baseAddress! + start, byteCount: count) }
                p += count
            }
        }
        return p
    }

    /// The values of an encoded key, one per key column; nil unless `key` is one key of `types` exactly (a
    /// presence byte of 0 or 1 per column, then its value's bytes, and nothing after). A partial aggregate's keys
    /// come from another process: `GroupedAggregate.decode` refuses one this cannot read.
    static func decode(_ key: ArraySlice<UInt8>, types: [DataType]) -> [Value]? {
        var values: [Value] = []
        var i = key.startIndex
        func take(_ n: Int) -> ArraySlice<UInt8>? {
            guard n >= 0, key.endIndex - i >= n else { return nil }
            defer { i += n }
            return key[i..<i + n]
        }
        func u64(_ bytes: ArraySlice<UInt8>) -> UInt64 { bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) } }
        for type in types {
            guard let presence = take(1)?.first, presence <= 1 else { return nil }
            guard presence == 1 else {
                values.append(.null)
                continue
            }
            switch type {
            case .int, .float:
                guard let bytes = take(8) else { return nil }
                values.append(type == .int ? .int(Int64(bitPattern: u64(bytes))) : .float(Double(bitPattern: u64(bytes))))
            case .bool:
                guard let byte = take(1)?.first, byte <= 1 else { return nil }
                values.append(.bool(byte == 1))
            case .string:
                guard let length = take(4), let bytes = take(Int(u64(length))) else { return nil }
                values.append(.string(String(decoding: bytes, as: UTF8.self)))
            }
        }
        return i == key.endIndex ? values : nil
    }
}
