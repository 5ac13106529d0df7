/// Appends the protocol's primitive encodings to a body: little-endian integers, length-prefixed UTF-8,
/// count-prefixed lists (docs/protocol.md, "Field encodings").
public struct WireWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    public mutating func u8(_ value: UInt8) { bytes.append(value) }
    public mutating func bool(_ value: Bool) { bytes.append(value ? 1 : 0) }
    public mutating func u16(_ value: UInt16) { integer(value) }
    public mutating func u32(_ value: UInt32) { integer(value) }
    public mutating func u64(_ value: UInt64) { integer(value) }
    public mutating func i32(_ value: Int32) { integer(value) }
    public mutating func i64(_ value: Int64) { integer(value) }
    public mutating func f64(_ value: Double) { integer(value.bitPattern) }

    /// u32 byte length, then the UTF-8 bytes.
    public mutating func string(_ value: String) {
        let utf8 = value.utf8
        u32(UInt32(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// u32 count, then each element as `element` writes it.
    public mutating func list<Element>(_ values: [Element], _ element: (inout WireWriter, Element) -> Void) {
        u32(UInt32(values.count))
        for value in values { element(&self, value) }
    }

    private mutating func integer<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
}
