extension Column {
    /// `value` (or null) in each of `count` rows.
    static func repeating(_ value: Value, _ type: DataType, count: Int) -> Column {
        switch value {
        case .null: return .nulls(type, count: count)
        case .int(let v): return Column(.int(.init(repeating: v, count: count)))
        case .float(let v): return Column(.float(.init(repeating: v, count: count)))
        case .bool(let v): return Column(.bool(.init(repeating: v, count: count)))
        case .string(let s):
            let bytes = Array(s.utf8)
            var column = StringColumn()
            column.reserveCapacity(strings: count, bytes: bytes.count * count)
            bytes.withUnsafeBytes { for _ in 0..<count { column.append($0) } }
            return Column(.string(column))
        }
    }
}

extension ColumnData {
    /// Puts the placeholder (0, false, "") into every slot that `validity` marks null. The check stops at the
    /// first slot that needs it; the clearing then works in place, so only an array shared with someone else
    /// (a batch's own column) is copied, and only when it needs clearing.
    mutating func clearNullSlots(_ validity: [Bool]) {
        switch self {
        case .int(var values):
            guard Kernel.hasValueInNullSlot(values, validity, placeholder: 0) else { return }
            self = .bool([])  // drops this enum's reference, so `values` is unique if nobody else holds it
            Kernel.clear(&values, validity) { Kernel.blend($0, $1, 0) }
            self = .int(values)
        case .float(var values):
            // `!= 0` is also true for NaN, which must not stay behind either.
            guard Kernel.hasValueInNullSlot(values, validity, placeholder: 0) else { return }
            self = .bool([])
            Kernel.clear(&values, validity) { Kernel.blend($0, $1, 0) }
            self = .float(values)
        case .bool(var values):
            guard Kernel.hasValueInNullSlot(values, validity, placeholder: false) else { return }
            self = .bool([])
            Kernel.clear(&values, validity) { Kernel.bitAnd($0, $1) }
            self = .bool(values)
        case .string(let strings):
            let offsets = strings.offsets
            guard validity.indices.contains(where: { !validity[$0] && offsets[$0] != offsets[$0 + 1] }) else { return }
            var out = StringColumn()
            out.reserveCapacity(strings: strings.count, bytes: strings.bytes.count)
            strings.bytes.withUnsafeBytes { raw in
                for i in 0..<strings.count {
                    if validity[i] { out.append(UnsafeRawBufferPointer(rebasing: raw[strings.range(i)])) } else { out.appendEmpty() }
                }
            }
            self = .string(out)
        }
    }
}

extension Column {
    /// Rows `range` as a column of their own (string offsets rebased to 0).
    func slice(_ range: Range<Int>) -> Column {
        let valid = validity.map { Array($0[range]) }
        switch data {
        case .int(let v): return Column(.int(Array(v[range])), validity: valid)
        case .float(let v): return Column(.float(Array(v[range])), validity: valid)
        case .bool(let v): return Column(.bool(Array(v[range])), validity: valid)
        case .string(let s):
            let first = s.offsets[range.lowerBound]
            let last = s.offsets[range.upperBound]
            let offsets = Kernel.map(Array(s.offsets[range.lowerBound...range.upperBound])) { $0 &- first }
            return Column(.string(StringColumn(bytes: Array(s.bytes[Int(first)..<Int(last)]), offsets: offsets)), validity: valid)
        }
    }
}
