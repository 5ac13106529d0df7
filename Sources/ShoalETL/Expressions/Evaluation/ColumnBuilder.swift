/// Collects a result column chunk by chunk; validity appears only once some chunk has a null.
struct ColumnBuilder {
    let type: DataType
    private var ints: [Int64] = []
    private var floats: [Double] = []
    private var bools: [Bool] = []
    private var strings = StringColumn()
    private var validity: [Bool]?
    private var count = 0
    private let capacity: Int

    init(type: DataType, capacity: Int) {
        self.type = type
        self.capacity = capacity
        switch type {
        case .int: ints.reserveCapacity(capacity)
        case .float: floats.reserveCapacity(capacity)
        case .bool: bools.reserveCapacity(capacity)
        case .string: strings.offsets.reserveCapacity(capacity + 1)
        }
    }

    mutating func append(_ column: Column) {
        switch column.data {
        case .int(let v): ints.append(contentsOf: v)
        case .float(let v): floats.append(contentsOf: v)
        case .bool(let v): bools.append(contentsOf: v)
        case .string(let s):
            let base = Int32(truncatingIfNeeded: strings.bytes.count)
            strings.bytes.append(contentsOf: s.bytes)
            strings.offsets.append(contentsOf: Kernel.map(Array(s.offsets.dropFirst())) { $0 &+ base })
        }
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

    func finish() -> Column {
        let data: ColumnData =
            switch type {
            case .int: .int(ints)
            case .float: .float(floats)
            case .bool: .bool(bools)
            case .string: .string(strings)
            }
        return Column(data, validity: validity)
    }
}
