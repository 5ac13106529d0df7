/// A little-endian byte writer for partial aggregates and statistics: the frames workers send the coordinator.
/// Hand-written because ShoalETL carries no networking module, and the format is a handful of fixed-width
/// numbers and length-prefixed bytes (docs/etl.md, "Partial aggregates").
public struct BinaryWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    public mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    public mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
    public mutating func f64(_ v: Double) { u64(v.bitPattern) }
    public mutating func bool(_ v: Bool) { u8(v ? 1 : 0) }
    public mutating func count(_ n: Int) { u64(UInt64(n)) }
    public mutating func data(_ v: some Collection<UInt8>) {
        count(v.count)
        bytes.append(contentsOf: v)
    }
    public mutating func string(_ v: String) { data(Array(v.utf8)) }

    public mutating func value(_ v: Value) {
        switch v {
        case .null: u8(0)
        case .int(let x): u8(1); i64(x)
        case .float(let x): u8(2); f64(x)
        case .bool(let x): u8(3); bool(x)
        case .string(let x): u8(4); string(x)
        }
    }
}

/// Reads what `BinaryWriter` wrote; every read checks the bounds, so a damaged frame is an error, never a crash.
public struct BinaryReader: Sendable {
    public struct Malformed: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    let bytes: [UInt8]
    public private(set) var offset = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var isAtEnd: Bool { offset == bytes.count }

    mutating func take(_ n: Int) throws(Malformed) -> ArraySlice<UInt8> {
        guard n >= 0, bytes.count - offset >= n else {
            throw Malformed(description: "truncated at byte \(offset): \(n) more bytes expected")
        }
        defer { offset += n }
        return bytes[offset..<offset + n]
    }

    public mutating func u8() throws(Malformed) -> UInt8 { try take(1).first! }
    public mutating func u32() throws(Malformed) -> UInt32 {
        try take(4).reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }
    public mutating func u64() throws(Malformed) -> UInt64 {
        try take(8).reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }
    public mutating func i64() throws(Malformed) -> Int64 { Int64(bitPattern: try u64()) }
    /// A number of rows: 0 to 2^53, so that merging any number of partials cannot overflow (a damaged count
    /// near Int64.max trapped the coordinator's merge).
    public mutating func rowCount() throws(Malformed) -> Int64 {
        let n = try i64()
        guard n >= 0, n <= 1 << 53 else { throw Malformed(description: "row count \(n) at byte \(offset - 8) is impossible") }
        return n
    }
    public mutating func f64() throws(Malformed) -> Double { Double(bitPattern: try u64()) }
    public mutating func bool() throws(Malformed) -> Bool { try u8() != 0 }
    /// A count of elements each at least `minimumBytes` long: refuses counts the remaining bytes cannot hold.
    public mutating func count(minimumBytes: Int = 1) throws(Malformed) -> Int {
        let n = try u64()
        guard n <= UInt64(bytes.count - offset) / UInt64(max(minimumBytes, 1)) else {
            throw Malformed(description: "count \(n) at byte \(offset - 8) exceeds the data")
        }
        return Int(n)
    }
    public mutating func data() throws(Malformed) -> [UInt8] { Array(try take(try count())) }
    public mutating func string() throws(Malformed) -> String { String(decoding: try data(), as: UTF8.self) }

    /// A value that must be null or of `type`: a partial's min, max, first or last of a column of that type.
    public mutating func value(of type: DataType) throws(Malformed) -> Value {
        let at = offset
        let value = try value()
        guard value.isNull || value.type == type else {
            throw Malformed(description: "a \(value.type.map { "\($0)" } ?? "?") value at byte \(at) where a \(type) belongs")
        }
        return value
    }

    public mutating func value() throws(Malformed) -> Value {
        switch try u8() {
        case 0: return .null
        case 1: return .int(try i64())
        case 2: return .float(try f64())
        case 3: return .bool(try bool())
        case 4: return .string(try string())
        case let tag: throw Malformed(description: "unknown value tag \(tag) at byte \(offset - 1)")
        }
    }
}
