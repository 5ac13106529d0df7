/// The scheduler's tables (jobs, tasks, workers): a dictionary whose entries lie in one array, so that an entry's
/// fields are read and changed where it lies.
///
/// Written instead of using `Dictionary` because of what `Dictionary` costs on the scheduler's per-task path:
/// reading a field through `dictionary[key]` or `dictionary.values[index]` copies the whole entry first (a task's
/// entry holds strings, frames and collections: a dozen retains and releases), and a statement that reads one
/// entry while changing another (`workers.values[i].attempts[ref] = workers.values[i].leases`) keeps that copy
/// alive across the change, so copy-on-write copied the worker's whole attempt table on every lease. Here
/// `subscript(at:)` reads and modifies in place (`_read` / `_modify`), as does `update`, and a position
/// found once serves every access of an operation.
///
/// Positions stay valid until an entry is removed (the last entry moves into its place) or the table is
/// emptied of some (`removeAll(where:)`); inserting never moves an entry.
///
/// Keys handed out consecutively (task and job ids, `TableKey.offset`) mostly lie at their distance from the
/// table's first key: such a key is found by that distance, checked against the key stored there, and kept out
/// of the position dictionary, which holds only the keys that lie elsewhere (moved by a removal, or added out of
/// order). Adding a 20,000-task job to the dictionary was two fifths of accepting it, and a million-task job's
/// dictionary took 40 MB.
struct EntryTable<Key: TableKey, Entry: Sendable>: Sendable {
    private var keys: ContiguousArray<Key> = []
    private var entries: ContiguousArray<Entry> = []
    /// The keys not at their natural position (`natural(_:)`), and only those.
    private var positions: [Key: Int] = [:]
    /// The key natural positions count from: the first key added to the empty table.
    private var base: Key?

    init() {}

    var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }
    /// Every position, in table order.
    var indices: Range<Int> { 0..<entries.count }

    /// Where `key` lies if it follows the base in order (nil for keys without an order, or before the base).
    @inline(__always)
    private func natural(_ key: Key) -> Int? {
        guard let base else { return nil }
        return key.offset(from: base)
    }

    /// Where `key`'s entry lies, or nil when the table has none.
    func position(of key: Key) -> Int? {
        if let guess = natural(key), guess < keys.count, keys[guess] == key { return guess }
        return positions.isEmpty ? nil : positions[key]
    }

    /// The entry at `position`, read or changed in place.
    subscript(at position: Int) -> Entry {
        _read { yield entries[position] }
        _modify { yield &entries[position] }
    }

    /// A copy of `key`'s entry, or nil; setting nil removes it. Changes through it (`table[key]?.field = x`)
    /// copy the entry out and back: on the per-task path, use `update` or a position.
    subscript(key: Key) -> Entry? {
        get { position(of: key).map { entries[$0] } }
        set {
            if let newValue {
                add(key, newValue)
            } else {
                removeValue(forKey: key)
            }
        }
    }

    /// Reads `key`'s entry where it lies (no copy of it); nil when there is none.
    func read<Result>(_ key: Key, _ body: (Entry) throws -> Result) rethrows -> Result? {
        guard let position = position(of: key) else { return nil }
        return try body(entries[position])
    }

    /// Changes `key`'s entry in place; nil (and `body` not called) when there is none.
    @discardableResult
    mutating func update<Result>(_ key: Key, _ body: (inout Entry) throws -> Result) rethrows -> Result? {
        guard let position = position(of: key) else { return nil }
        return try body(&entries[position])
    }

    /// Adds or replaces `key`'s entry. A key added at its natural position (the next id of a job's run) costs no
    /// hashing at all.
    mutating func add(_ key: Key, _ entry: consuming Entry) {
        if let existing = position(of: key) {
            entries[existing] = entry
            return
        }
        if entries.isEmpty { base = key }
        if natural(key) != entries.count { positions[key] = entries.count }
        keys.append(key)
        entries.append(entry)
    }

    mutating func reserveCapacity(_ capacity: Int) {
        keys.reserveCapacity(capacity)
        entries.reserveCapacity(capacity)
    }

    @discardableResult
    mutating func removeValue(forKey key: Key) -> Entry? {
        guard let position = position(of: key) else { return nil }
        let entry = entries[position]
        remove(at: position)
        return entry
    }

    /// Removes the entries `shouldRemove` accepts, keeping the others in their order. In place: the kept
    /// entries are moved, not copied (a filter into a new table copied each, which showed in `perf` when a
    /// finished job's tasks were dropped).
    mutating func removeAll(where shouldRemove: (Entry) -> Bool) {
        var kept = 0
        for position in entries.indices where !shouldRemove(entries[position]) {
            if kept != position {
                entries.swapAt(kept, position)
                keys.swapAt(kept, position)
            }
            kept += 1
        }
        guard kept < entries.count else { return }
        entries.removeSubrange(kept...)
        keys.removeSubrange(kept...)
        base = keys.first
        positions = [:]
        for (position, key) in keys.enumerated() where natural(key) != position { positions[key] = position }
    }

    /// The entries, in table order.
    var values: ContiguousArray<Entry> { entries }

    /// Removes the entry at `position`: the last entry moves into its place.
    private mutating func remove(at position: Int) {
        let last = entries.count - 1
        if natural(keys[position]) != position { positions[keys[position]] = nil }
        if position != last {
            entries.swapAt(position, last)
            keys.swapAt(position, last)
            let moved = keys[position]
            if natural(moved) == position { positions[moved] = nil } else { positions[moved] = position }
        }
        entries.removeLast()
        keys.removeLast()
        if entries.isEmpty {
            base = nil
            positions = [:]
        }
    }
}

extension EntryTable: Sequence {
    typealias Element = (key: Key, value: Entry)

    struct Iterator: IteratorProtocol {
        let table: EntryTable
        var position = 0

        mutating func next() -> Element? {
            guard position < table.entries.count else { return nil }
            defer { position += 1 }
            return (table.keys[position], table.entries[position])
        }
    }

    func makeIterator() -> Iterator { Iterator(table: self) }
    var underestimatedCount: Int { entries.count }
}

/// A key of an `EntryTable`: `offset(from:)` says how far it follows another in the order keys are handed out,
/// for keys that come in consecutive runs (ids); nil when it does not follow it or keys have no such order.
protocol TableKey: Hashable, Sendable {
    func offset(from base: Self) -> Int?
}

extension UInt64: TableKey {
    @inline(__always)
    func offset(from base: UInt64) -> Int? {
        self >= base && self &- base <= UInt64(Int.max) ? Int(self &- base) : nil
    }
}

extension Int: TableKey {
    @inline(__always)
    func offset(from base: Int) -> Int? {
        let (distance, overflow) = subtractingReportingOverflow(base)
        return !overflow && distance >= 0 ? distance : nil
    }
}

extension String: TableKey {
    /// Worker ids: no order.
    func offset(from base: String) -> Int? { nil }
}
