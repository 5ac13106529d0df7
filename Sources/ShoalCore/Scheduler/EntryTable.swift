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
/// filtered; inserting never moves an entry.
struct EntryTable<Key: Hashable & Sendable, Entry: Sendable>: Sendable {
    private var keys: ContiguousArray<Key> = []
    private var entries: ContiguousArray<Entry> = []
    private var positions: [Key: Int] = [:]

    init() {}

    var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }
    /// Every position, in table order.
    var indices: Range<Int> { 0..<entries.count }

    /// Where `key`'s entry lies, or nil when the table has none.
    func position(of key: Key) -> Int? { positions[key] }

    /// The entry at `position`, read or changed in place.
    subscript(at position: Int) -> Entry {
        _read { yield entries[position] }
        _modify { yield &entries[position] }
    }

    /// A copy of `key`'s entry, or nil; setting nil removes it. Changes through it (`table[key]?.field = x`)
    /// copy the entry out and back: on the per-task path, use `update` or a position.
    subscript(key: Key) -> Entry? {
        get { positions[key].map { entries[$0] } }
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
        guard let position = positions[key] else { return nil }
        return try body(entries[position])
    }

    /// Changes `key`'s entry in place; nil (and `body` not called) when there is none.
    @discardableResult
    mutating func update<Result>(_ key: Key, _ body: (inout Entry) throws -> Result) rethrows -> Result? {
        guard let position = positions[key] else { return nil }
        return try body(&entries[position])
    }

    /// Adds or replaces `key`'s entry: one hash lookup where `table[key] = entry` makes two (adding a job's
    /// tasks was a quarter of accepting it).
    mutating func add(_ key: Key, _ entry: Entry) {
        if let existing = positions.updateValue(entries.count, forKey: key) {
            positions[key] = existing
            entries[existing] = entry
        } else {
            keys.append(key)
            entries.append(entry)
        }
    }

    mutating func reserveCapacity(_ capacity: Int) {
        keys.reserveCapacity(capacity)
        entries.reserveCapacity(capacity)
        positions.reserveCapacity(capacity)
    }

    @discardableResult
    mutating func removeValue(forKey key: Key) -> Entry? {
        guard let position = positions[key] else { return nil }
        let entry = entries[position]
        remove(at: position)
        return entry
    }

    /// Keeps the entries `isIncluded` accepts, in their order.
    mutating func filter(_ isIncluded: (Entry) -> Bool) {
        var kept = EntryTable()
        kept.reserveCapacity(count)
        for (key, entry) in self where isIncluded(entry) { kept.add(key, entry) }
        self = kept
    }

    /// The entries, in table order.
    var values: ContiguousArray<Entry> { entries }

    /// Removes the entry at `position`: the last entry moves into its place.
    private mutating func remove(at position: Int) {
        let last = entries.count - 1
        positions[keys[position]] = nil
        if position != last {
            entries.swapAt(position, last)
            keys.swapAt(position, last)
            positions[keys[position]] = position
        }
        entries.removeLast()
        keys.removeLast()
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

extension EntryTable where Key == UInt64 {
    /// `position(of:)` for ids handed out consecutively and added in that order (tasks, jobs): an id's position is
    /// nearly always its distance from the first id. Checked against the key found there, that spares a lookup in
    /// a table of up to millions of entries — a cache miss each, on every result, lease and commit.
    func position(of key: UInt64) -> Int? {
        if let first = keys.first, key >= first {
            let guess = key &- first
            if guess < UInt64(keys.count), keys[Int(guess)] == key { return Int(guess) }
        }
        return positions[key]
    }
}
