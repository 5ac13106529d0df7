/// A group-by in progress: one shard's partial result on a worker, or the merge of every shard's partials at the
/// coordinator. `add` takes already-evaluated columns (keys, arguments), so it knows nothing of expressions.
///
/// Partials merge in shard order at the coordinator, so the result is the same for any number of workers,
/// bit for bit. Results come out sorted by key (`ValueOrdering`, nulls first).
public final class GroupedAggregate {
    /// What one output value aggregates: its function and the type of its argument (nil for `count()`).
    public struct ValueKind: Sendable, Equatable {
        public var function: AggregateFunction
        public var argumentType: DataType?
        public init(_ function: AggregateFunction, argumentType: DataType?) {
            self.function = function
            self.argumentType = argumentType
        }
    }

    public let keyTypes: [DataType]
    public let kinds: [ValueKind]
    var table = GroupKeyTable()
    let accumulators: [Accumulator]
    private var groupIDs: [Int32] = []

    public init(keyTypes: [DataType], kinds: [ValueKind]) {
        self.keyTypes = keyTypes
        self.kinds = kinds
        accumulators = kinds.map { makeAccumulator($0.function, argumentType: $0.argumentType) }
    }

    public var groupCount: Int { table.count }

    /// The result type of each value.
    public var resultTypes: [DataType] { accumulators.map(\.resultType) }

    /// Adds `rows` rows: `keys` has one column per group-by column; `arguments` and `orders` one entry per value
    /// (nil where the function takes none).
    public func add(keys: [Column], arguments: [Column?], orders: [Column?], rows: Int) {
        precondition(keys.count == keyTypes.count && arguments.count == kinds.count && orders.count == kinds.count)
        // The table and the id buffer leave the object for the loop: a class's stored properties are checked
        // for exclusive access at run time, once per access, which would be once per row.
        var table = GroupKeyTable()
        swap(&table, &self.table)
        var groupIDs: [Int32] = []
        swap(&groupIDs, &self.groupIDs)
        defer {
            swap(&table, &self.table)
            swap(&groupIDs, &self.groupIDs)
        }
        groupIDs.removeAll(keepingCapacity: true)
        groupIDs.reserveCapacity(rows)
        if keys.isEmpty {
            // No group-by: one group, the whole input (it exists even for zero rows; see `result`).
            let group = table.groupID(for: UnsafeRawBufferPointer(start: nil, count: 0))
            groupIDs.append(contentsOf: repeatElement(group, count: rows))
        } else {
            GroupKeyEncoding.forEachKey(keys, rows: rows) { _, key in groupIDs.append(table.groupID(for: key)) }
        }
        for accumulator in accumulators { accumulator.grow(to: table.count) }
        for (index, accumulator) in accumulators.enumerated() {
            accumulator.add(groups: groupIDs, argument: arguments[index], order: orders[index])
        }
    }

    /// Folds `other` (a later shard's partial) into this one.
    /// - Throws: when `other` has another shape (a partial of some other job).
    public func merge(_ other: GroupedAggregate) throws(BinaryReader.Malformed) {
        guard other.keyTypes == keyTypes, other.kinds == kinds else {
            throw BinaryReader.Malformed(description: "partial aggregate of another shape: keys \(other.keyTypes), values \(other.kinds.map(\.function))")
        }
        var mapping: [Int32] = []
        mapping.reserveCapacity(other.table.count)
        for group in 0..<other.table.count {
            let key = other.table.key(group)
            mapping.append(Array(key).withUnsafeBytes { table.groupID(for: $0) })
        }
        for accumulator in accumulators { accumulator.grow(to: table.count) }
        for (mine, theirs) in zip(accumulators, other.accumulators) { mine.merge(theirs, mapping: mapping) }
    }

    static let magic: [UInt8] = Array("SHOALAGG".utf8)
    /// 2: an int sum is 128 bits (`IntSumAccumulator`).
    static let version: UInt8 = 2

    /// The partial as bytes (docs/etl.md, "Partial aggregates"): what a worker sends the coordinator.
    public func encode() -> [UInt8] {
        var w = BinaryWriter()
        for byte in Self.magic { w.u8(byte) }
        w.u8(Self.version)
        w.count(keyTypes.count)
        for type in keyTypes { w.u8(type.rawValue) }
        w.count(kinds.count)
        for kind in kinds {
            w.string(kind.function.rawValue)
            w.u8(kind.argumentType.map { $0.rawValue + 1 } ?? 0)
        }
        w.count(table.count)
        for group in 0..<table.count { w.data(table.key(group)) }
        for accumulator in accumulators { accumulator.encode(into: &w) }
        return w.bytes
    }

    /// Reads what `encode` wrote.
    /// - Throws: `BinaryReader.Malformed` for anything else (never traps on bad bytes).
    public static func decode(_ bytes: [UInt8]) throws(BinaryReader.Malformed) -> GroupedAggregate {
        var r = BinaryReader(bytes)
        for byte in magic {
            guard try r.u8() == byte else { throw .init(description: "not a Shoal partial aggregate") }
        }
        let version = try r.u8()
        guard version == Self.version else { throw .init(description: "partial aggregate version \(version), expected \(Self.version)") }
        var keyTypes: [DataType] = []
        for _ in 0..<(try r.count()) {
            let raw = try r.u8()
            guard let type = DataType(rawValue: raw) else { throw .init(description: "unknown key type \(raw)") }
            keyTypes.append(type)
        }
        var kinds: [ValueKind] = []
        for _ in 0..<(try r.count()) {
            let name = try r.string()
            guard let function = AggregateFunction(rawValue: name) else { throw .init(description: "unknown aggregate '\(name)'") }
            let raw = try r.u8()
            let argumentType: DataType?
            if raw == 0 { argumentType = nil } else {
                guard let type = DataType(rawValue: raw - 1) else { throw .init(description: "unknown argument type \(raw)") }
                argumentType = type
            }
            kinds.append(ValueKind(function, argumentType: argumentType))
        }
        let aggregate = GroupedAggregate(keyTypes: keyTypes, kinds: kinds)
        let groups = try r.count()
        for _ in 0..<groups {
            let key = try r.data()
            guard GroupKeyEncoding.decode(key[...], types: keyTypes) != nil else {
                throw .init(description: "a group key does not match the key columns \(keyTypes)")
            }
            let id = key.withUnsafeBytes { aggregate.table.groupID(for: $0) }
            guard id == aggregate.table.count - 1 else { throw .init(description: "a group key appears twice") }
        }
        for accumulator in aggregate.accumulators { try accumulator.decode(from: &r, groups: groups) }
        guard r.isAtEnd else { throw .init(description: "\(bytes.count - r.offset) bytes after the partial aggregate") }
        return aggregate
    }

    /// The result: key columns then value columns, one row per group, sorted by key. With no group-by there is
    /// exactly one row, even over no input (`count()` is then 0 and the others null, as in SQL).
    public func result(keyNames: [String], valueNames: [String]) -> ColumnBatch {
        if keyTypes.isEmpty && table.count == 0 {
            _ = [UInt8]().withUnsafeBytes { table.groupID(for: $0) }
            for accumulator in accumulators { accumulator.grow(to: 1) }
        }
        // Encoded here, or checked by `decode`: always readable.
        let keys = (0..<table.count).map { GroupKeyEncoding.decode(table.key($0), types: keyTypes)! }
        let order = keys.indices.sorted { ValueOrdering.compare(keys[$0], keys[$1]) < 0 }
        var builders = keyTypes.map { ColumnBuilder(type: $0) }
        var valueBuilders = accumulators.map { ColumnBuilder(type: $0.resultType) }
        for group in order {
            for (c, value) in keys[group].enumerated() { builders[c].append(value) }
            for (v, accumulator) in accumulators.enumerated() { valueBuilders[v].append(accumulator.result(group)) }
        }
        let columns = (builders + valueBuilders).map { $0.build() }
        return ColumnBatch(names: keyNames + valueNames, columns: columns)
    }
}
