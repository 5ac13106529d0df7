/// The loops every operator is built from. Each is generic over element types and takes the per-element work
/// as a closure; they are always inlined, so every call site compiles to its own specialised loop over raw
/// buffers, with no per-row allocation, enum switch or `Value`.
enum Kernel {
    /// `f` of each element.
    @inline(__always)
    static func map<T, R>(_ a: [T], _ f: (T) -> R) -> [R] {
        let n = a.count
        return [R](unsafeUninitializedCapacity: n) { out, initialized in
            if let o = out.baseAddress {
                a.withUnsafeBufferPointer { a in
                    for i in 0..<n { (o + i).initialize(to: f(a[i])) }
                }
            }
            initialized = n
        }
    }

    /// `f` of each row's pair; a scalar lane stands for every row. The loop for each shape of operands is
    /// separate, so `x > 1.0` reads one array and a register.
    @inline(__always)
    static func zip<T, U, R>(_ a: Lane<T>, _ b: Lane<U>, count n: Int, _ f: (T, U) -> R) -> [R] {
        [R](unsafeUninitializedCapacity: n) { out, initialized in
            if let o = out.baseAddress {
                switch (a, b) {
                case (.array(let a), .array(let b)):
                    a.withUnsafeBufferPointer { a in
                        b.withUnsafeBufferPointer { b in
                            for i in 0..<n { (o + i).initialize(to: f(a[i], b[i])) }
                        }
                    }
                case (.array(let a), .scalar(let b)):
                    a.withUnsafeBufferPointer { a in
                        for i in 0..<n { (o + i).initialize(to: f(a[i], b)) }
                    }
                case (.scalar(let a), .array(let b)):
                    b.withUnsafeBufferPointer { b in
                        for i in 0..<n { (o + i).initialize(to: f(a, b[i])) }
                    }
                case (.scalar(let a), .scalar(let b)):
                    let value = f(a, b)
                    for i in 0..<n { (o + i).initialize(to: value) }
                }
            }
            initialized = n
        }
    }

    /// `mask[i] ? a[i] : b[i]`, through `blend` (one of the branch-free `blend` functions below: a `?:`
    /// compiles to a branch per row, which mispredicts on irregular nulls).
    @inline(__always)
    static func select<T>(_ mask: [Bool], _ a: Lane<T>, _ b: Lane<T>, _ blend: (Bool, T, T) -> T) -> [T] {
        let n = mask.count
        return [T](unsafeUninitializedCapacity: n) { out, initialized in
            if let o = out.baseAddress {
                mask.withUnsafeBufferPointer { m in
                    switch (a, b) {
                    case (.array(let a), .array(let b)):
                        a.withUnsafeBufferPointer { a in
                            b.withUnsafeBufferPointer { b in
                                for i in 0..<n { (o + i).initialize(to: blend(m[i], a[i], b[i])) }
                            }
                        }
                    case (.array(let a), .scalar(let b)):
                        a.withUnsafeBufferPointer { a in
                            for i in 0..<n { (o + i).initialize(to: blend(m[i], a[i], b)) }
                        }
                    case (.scalar(let a), .array(let b)):
                        b.withUnsafeBufferPointer { b in
                            for i in 0..<n { (o + i).initialize(to: blend(m[i], a, b[i])) }
                        }
                    case (.scalar(let a), .scalar(let b)):
                        for i in 0..<n { (o + i).initialize(to: blend(m[i], a, b)) }
                    }
                }
            }
            initialized = n
        }
    }

    /// `a && b` without a branch (see `bit`).
    @inline(__always)
    static func bitAnd(_ a: Bool, _ b: Bool) -> Bool { unsafeBitCast(bit(a) & bit(b), to: Bool.self) }

    /// `a || b` without a branch.
    @inline(__always)
    static func bitOr(_ a: Bool, _ b: Bool) -> Bool { unsafeBitCast(bit(a) | bit(b), to: Bool.self) }

    /// `choose ? a : b` with masks instead of a branch.
    @inline(__always)
    static func blend(_ choose: Bool, _ a: Int64, _ b: Int64) -> Int64 {
        let mask = 0 &- Int64(bit(choose))
        return (a & mask) | (b & ~mask)
    }

    @inline(__always)
    static func blend(_ choose: Bool, _ a: Double, _ b: Double) -> Double {
        let mask = 0 &- UInt64(bit(choose))
        return Double(bitPattern: (a.bitPattern & mask) | (b.bitPattern & ~mask))
    }

    @inline(__always)
    static func blend(_ choose: Bool, _ a: Bool, _ b: Bool) -> Bool {
        bitOr(bitAnd(choose, a), bitAnd(!choose, b))
    }

    /// Valid where both are valid; `nil` means no nulls.
    static func both(_ a: [Bool]?, _ b: [Bool]?) -> [Bool]? {
        guard let a else { return b }
        guard let b else { return a }
        return zip(.array(a), .array(b), count: a.count) { bitAnd($0, $1) }
    }

    /// `validity` further restricted to rows where `keep` holds (a divisor that is not zero, a logarithm's
    /// positive argument).
    @inline(__always)
    static func restrict<T>(_ validity: [Bool]?, _ values: Lane<T>, count: Int, _ keep: (T) -> Bool) -> [Bool]? {
        switch (validity, values) {
        case (nil, .scalar(let v)): return keep(v) ? nil : [Bool](repeating: false, count: count)
        case (let validity?, .scalar(let v)): return keep(v) ? validity : [Bool](repeating: false, count: count)
        case (nil, let values): return zip(values, .scalar(()), count: count) { v, _ in keep(v) }
        case (let validity?, let values): return zip(.array(validity), values, count: count) { bitAnd($0, keep($1)) }
        }
    }

    /// Whether some slot that `validity` marks null holds something other than `placeholder`. Checks a block
    /// at a time, branch-free inside a block, and stops at the first block with one.
    static func hasValueInNullSlot<T: Equatable>(_ values: [T], _ validity: [Bool], placeholder: T) -> Bool {
        values.withUnsafeBufferPointer { v in
            validity.withUnsafeBufferPointer { valid in
                var start = 0
                while start < v.count {
                    let end = Swift.min(start + 256, v.count)
                    var found: UInt8 = 0
                    for i in start..<end { found |= bit(!valid[i]) & bit(v[i] != placeholder) }
                    if found != 0 { return true }
                    start = end
                }
                return false
            }
        }
    }

    /// Whether every element is true; a block at a time, stopping at the first block with a false.
    static func allTrue(_ flags: [Bool]) -> Bool {
        flags.withUnsafeBufferPointer { f in
            var start = 0
            while start < f.count {
                let end = Swift.min(start + 256, f.count)
                var all: UInt8 = 1
                for i in start..<end { all &= bit(f[i]) }
                if all == 0 { return false }
                start = end
            }
            return true
        }
    }

    /// `values[i] = keep(validity[i], values[i])` in place (`keep` gives the placeholder for invalid slots).
    @inline(__always)
    static func clear<T>(_ values: inout [T], _ validity: [Bool], _ keep: (Bool, T) -> T) {
        values.withUnsafeMutableBufferPointer { v in
            validity.withUnsafeBufferPointer { valid in
                for i in 0..<v.count { v[i] = keep(valid[i], v[i]) }
            }
        }
    }
}

/// A bool as 0 or 1 without a conditional: written as `b ? 1 : 0`, the compiler may emit a branch, which
/// mispredicts on data that is true about half the time.
@inline(__always)
func bit(_ b: Bool) -> UInt8 { unsafeBitCast(b, to: UInt8.self) }
