/// A set of ids that mostly come in consecutive runs (a job's tasks): a bitmap from a base id, and a `Set` for
/// the ids the bitmap does not cover (below its base, or so far above it that the bitmap would be mostly empty).
///
/// Written for `TaskQueue`'s membership, which every queued task enters and leaves once: as a `Set<TaskID>`,
/// hashing a 20,000-task job's ids in and out took a tenth of accepting it, and growing the set touched fresh
/// pages all the way. The bitmap costs a bit per id of the run; it starts afresh (new base) whenever the set is
/// empty, so a training job's queue, emptied every step, never spans more than a step's ids.
struct IDSet: Sendable {
    private var base: UInt64 = 0
    private var words: [UInt64] = []
    private var others: Set<UInt64> = []
    /// Members in `words`.
    private var inBitmap = 0

    var count: Int { inBitmap + others.count }
    var isEmpty: Bool { count == 0 }

    /// The bitmap's word and bit for `id`, when the bitmap covers it (it only grows while the set is not empty).
    @inline(__always)
    private func slot(_ id: UInt64) -> (word: Int, bit: UInt64)? {
        guard id >= base, id &- base < UInt64(words.count) &* 64 else { return nil }
        let offset = id &- base
        return (Int(offset >> 6), 1 << (offset & 63))
    }

    mutating func reserveCapacity(_ capacity: Int) {
        words.reserveCapacity((capacity + 63) / 64)
    }

    /// Adds `id`; false if it was already a member.
    @discardableResult
    mutating func insert(_ id: UInt64) -> Bool {
        if isEmpty {
            // Every word is zero again: start the bitmap at this id's word.
            base = id & ~63
            words.removeAll(keepingCapacity: true)
        }
        if slot(id) == nil, id >= base {
            // Grown to cover the id if that keeps the bitmap at most 4 bits per member, or within 64 K ids: one
            // stray id cannot allocate gigabytes.
            let needed = Int((id &- base) >> 6) + 1
            if needed <= max(1_024, (count + 1) / 16) {
                words.append(contentsOf: repeatElement(0, count: needed - words.count))
            }
        }
        guard let (word, bit) = slot(id) else { return others.insert(id).inserted }
        // An id kept in `others` before the bitmap grew over it stays there.
        guard words[word] & bit == 0, others.isEmpty || !others.contains(id) else { return false }
        words[word] |= bit
        inBitmap += 1
        return true
    }

    /// Takes `id` out; false if it was not a member.
    @discardableResult
    mutating func remove(_ id: UInt64) -> Bool {
        if let (word, bit) = slot(id), word < words.count, words[word] & bit != 0 {
            words[word] &= ~bit
            inBitmap -= 1
            return true
        }
        return others.remove(id) != nil
    }

    func contains(_ id: UInt64) -> Bool {
        if let (word, bit) = slot(id), word < words.count, words[word] & bit != 0 { return true }
        return !others.isEmpty && others.contains(id)
    }
}
