/// The order of values in results and in `min`/`max`/`first`/`last`: null first, then numbers by value (ints
/// and floats compare as numbers; NaN after every number), strings by UTF-8 bytes, false before true.
public enum ValueOrdering {
    /// -1, 0 or 1.
    public static func compare(_ a: Value, _ b: Value) -> Int {
        switch (a, b) {
        case (.null, .null): return 0
        case (.null, _): return -1
        case (_, .null): return 1
        case (.int(let x), .int(let y)): return x < y ? -1 : (x == y ? 0 : 1)
        case (.string(let x), .string(let y)):
            // Bytes both ways: String's `==` is canonical equivalence ("é" as one scalar equals "e" + U+0301),
            // which made the order depend on which came first.
            if x.utf8.lexicographicallyPrecedes(y.utf8) { return -1 }
            return x.utf8.elementsEqual(y.utf8) ? 0 : 1
        case (.bool(let x), .bool(let y)): return x == y ? 0 : (x ? 1 : -1)
        default:
            if let x = a.doubleValue, let y = b.doubleValue {
                if x.isNaN || y.isNaN { return x.isNaN ? (y.isNaN ? 0 : 1) : -1 }
                return x < y ? -1 : (x == y ? 0 : 1)
            }
            // Mixed kinds never meet in one column; order them by type so the order stays total.
            return Int(a.type?.rawValue ?? 0) < Int(b.type?.rawValue ?? 0) ? -1 : 1
        }
    }

    public static func compare(_ a: [Value], _ b: [Value]) -> Int {
        for (x, y) in zip(a, b) {
            let c = compare(x, y)
            if c != 0 { return c }
        }
        return a.count - b.count
    }
}
