/// Collects a string result chunk by chunk (ints, floats and bools go straight into their final array, see
/// `ChunkedEvaluation`); validity appears only once some chunk has a null.
struct StringColumnBuilder {
    private var strings = StringColumn()
    private var validity: [Bool]?
    private var count = 0
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        strings.offsets.reserveCapacity(capacity + 1)
    }

    mutating func append(_ column: Column) {
        guard case .string(let s) = column.data else { preconditionFailure("a \(column.type) chunk in a string result") }
        let base = Int32(truncatingIfNeeded: strings.bytes.count)
        strings.bytes.append(contentsOf: s.bytes)
        strings.offsets.append(contentsOf: Kernel.map(Array(s.offsets.dropFirst())) { $0 &+ base })
        if let chunkValidity = column.validity {
            if validity == nil {
                validity = [Bool](repeating: true, count: count)
                validity!.reserveCapacity(capacity)
            }
            validity!.append(contentsOf: chunkValidity)
        } else if validity != nil {
            validity!.append(contentsOf: repeatElement(true, count: column.count))
        }
        count += column.count
    }

    func finish() -> Column { Column(.string(strings), validity: validity) }
}
