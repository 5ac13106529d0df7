/// One column's storage borrowed as raw buffers for the length of a batch: what the per-row hot loops (the CSV
/// writer, group keys) read, so that they neither `switch` over `ColumnData` per value (which retains the
/// column's array each time) nor pay a bounds or exclusivity check per value.
struct ColumnView {
    enum Values {
        case int(UnsafeBufferPointer<Int64>)
        case float(UnsafeBufferPointer<Double>)
        case bool(UnsafeBufferPointer<Bool>)
        case string(bytes: UnsafeBufferPointer<UInt8>, offsets: UnsafeBufferPointer<Int32>)
    }
    var values: Values
    var validity: UnsafeBufferPointer<Bool>?

    @inline(__always)
    func isNull(_ row: Int) -> Bool { validity.map { !$0[row] } ?? false }

    /// Borrows every column's storage for the length of `body` (one closure per buffer, nested).
    static func with<R>(_ columns: [Column], _ body: ([ColumnView]) -> R) -> R {
        var result: R?
        borrow(columns, index: 0, views: []) { result = body($0) }
        return result!
    }

    private static func borrow(_ columns: [Column], index: Int, views: [ColumnView], _ body: ([ColumnView]) -> Void) {
        guard index < columns.count else { return body(views) }
        let column = columns[index]
        func next(_ values: Values, _ validity: UnsafeBufferPointer<Bool>?) {
            borrow(columns, index: index + 1, views: views + [ColumnView(values: values, validity: validity)], body)
        }
        func withValidity(_ body: (UnsafeBufferPointer<Bool>?) -> Void) {
            if let validity = column.validity { validity.withUnsafeBufferPointer { body($0) } } else { body(nil) }
        }
        withValidity { validity in
            switch column.data {
            case .int(let v): v.withUnsafeBufferPointer { next(.int($0), validity) }
            case .float(let v): v.withUnsafeBufferPointer { next(.float($0), validity) }
            case .bool(let v): v.withUnsafeBufferPointer { next(.bool($0), validity) }
            case .string(let s):
                s.bytes.withUnsafeBufferPointer { bytes in
                    s.offsets.withUnsafeBufferPointer { next(.string(bytes: bytes, offsets: $0), validity) }
                }
            }
        }
    }
}
