/// Reads the protocol's primitive encodings from a body, checking every length against what is left and
/// against `ProtocolLimits`, so no input can make it trap or allocate more than the body justifies.
public struct WireReader {
    private let bytes: [UInt8]
    private var offset = 0
    /// The message type being decoded, for error messages.
    let type: String
    let limits: ProtocolLimits

    public init(_ bytes: [UInt8], type: String, limits: ProtocolLimits = .standard) {
        self.bytes = bytes
        self.type = type
        self.limits = limits
    }

    /// Bytes not read yet. Version rules let a newer peer append fields; a decoder ignores what it does not know.
    public var remaining: Int { bytes.count - offset }

    public mutating func u8(_ field: String) throws(ProtocolError) -> UInt8 { try integer(field) }
    public mutating func u16(_ field: String) throws(ProtocolError) -> UInt16 { try integer(field) }
    public mutating func u32(_ field: String) throws(ProtocolError) -> UInt32 { try integer(field) }
    public mutating func u64(_ field: String) throws(ProtocolError) -> UInt64 { try integer(field) }
    public mutating func i32(_ field: String) throws(ProtocolError) -> Int32 { try integer(field) }
    public mutating func i64(_ field: String) throws(ProtocolError) -> Int64 { try integer(field) }
    public mutating func f64(_ field: String) throws(ProtocolError) -> Double {
        Double(bitPattern: try integer(field))
    }

    public mutating func bool(_ field: String) throws(ProtocolError) -> Bool {
        switch try u8(field) {
        case 0: return false
        case 1: return true
        case let other: throw .invalidValue(field: field, reason: "boolean must be 0 or 1, got \(other)")
        }
    }

    public mutating func string(_ field: String) throws(ProtocolError) -> String {
        let length = Int(try u32(field))
        // Most strings of a result are empty (no error, no log tail): validating an empty slice still costs a call
        // into the generic UTF-8 validator, a measurable share of decoding a batch of no-op results.
        if length == 0 { return "" }
        guard length <= limits.maxStringBytes else {
            throw .tooLarge(field: field, size: length, limit: limits.maxStringBytes)
        }
        guard length <= remaining else { throw .truncated(type: type, field: field) }
        let slice = bytes[offset..<(offset + length)]
        offset += length
        guard let text = String(validating: slice, as: UTF8.self) else { throw .invalidUTF8(field: field) }
        return text
    }

    /// A u32 count, then `count` elements. `minimumElementBytes` bounds the count by what is left, so a forged
    /// count cannot reserve gigabytes.
    public mutating func list<Element>(
        _ field: String, minimumElementBytes: Int,
        _ element: (inout WireReader) throws(ProtocolError) -> Element
    ) throws(ProtocolError) -> [Element] {
        let count = Int(try u32(field))
        guard count <= limits.maxListCount else {
            throw .tooLarge(field: field, size: count, limit: limits.maxListCount)
        }
        guard count * max(minimumElementBytes, 1) <= remaining else { throw .truncated(type: type, field: field) }
        var elements: [Element] = []
        elements.reserveCapacity(count)
        for _ in 0..<count { elements.append(try element(&self)) }
        return elements
    }

    private mutating func integer<T: FixedWidthInteger>(_ field: String) throws(ProtocolError) -> T {
        let size = MemoryLayout<T>.size
        guard size <= remaining else { throw .truncated(type: type, field: field) }
        var value: T = 0
        for index in 0..<size { value |= T(bytes[offset + index]) << (8 * index) }
        offset += size
        return value
    }
}
