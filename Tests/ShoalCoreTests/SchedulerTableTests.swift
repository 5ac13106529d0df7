@testable import ShoalCore
import ShoalProtocol
import Testing

/// The scheduler's in-place tables: `EntryTable` behaves as a dictionary through inserts, in-place changes and
/// removals (which move the last entry), and `LiveAttempts` as a dictionary of a task's attempts.
@Suite struct SchedulerTableTests {
    @Test func anEntryTableKeepsEveryKeyAtItsEntryThroughRemovals() {
        var table = EntryTable<Int, String>()
        var reference: [Int: String] = [:]
        // A fixed pseudo-random walk of inserts, changes and removals, checked against a Dictionary at each step.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for step in 0..<2_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let key = Int((state >> 33) % 64)
            switch (state >> 20) % 4 {
            case 0:
                table[key] = nil
                reference[key] = nil
            case 1:
                let changed = table.update(key) { entry -> Int in
                    entry += "+"
                    return entry.count
                }
                reference[key]? += "+"
                #expect(changed == reference[key]?.count)
            default:
                table[key] = "\(step)"
                reference[key] = "\(step)"
            }
            #expect(table.count == reference.count)
            #expect(table[key] == reference[key])
            #expect(table.read(key) { $0 } == reference[key])
        }
        for (key, value) in reference {
            let position = try! #require(table.position(of: key))
            #expect(table[at: position] == value)
        }
        #expect(Dictionary(uniqueKeysWithValues: table.map { ($0.key, $0.value) }) == reference)
        #expect(table.position(of: 1_000) == nil)
        #expect(table.update(1_000) { _ in true } == nil)
    }

    @Test func removingFromAnEntryTableKeepsTheOrderAndThePositions() {
        var table = EntryTable<String, Int>()
        for number in 0..<10 { table["k\(number)"] = number }
        table.removeAll { $0 % 3 != 0 }
        #expect(table.map(\.value) == [0, 3, 6, 9])
        #expect(table.values == [0, 3, 6, 9])
        for key in ["k0", "k3", "k6", "k9"] {
            #expect(table[at: table.position(of: key)!] == Int(key.dropFirst()))
        }
        #expect(table["k1"] == nil)
        table[at: table.position(of: "k6")!] += 100
        #expect(table["k6"] == 106)
    }

    @Test func consecutiveIdsAreFoundWhereverTheyLie() {
        var table = EntryTable<UInt64, String>()
        for id in UInt64(101)...200 { table[id] = "t\(id)" }
        for id in UInt64(101)...200 { #expect(table[at: table.position(of: id)!] == "t\(id)") }
        // A removal moves the last entry into the gap; `removeAll(where:)` closes gaps: positions no longer follow
        // the ids.
        table[150] = nil
        table.removeAll { $0 == "t120" }
        table[5] = "t5"
        for id in UInt64(101)...200 where id != 150 && id != 120 {
            #expect(table.position(of: id).map { table[at: $0] } == "t\(id)")
        }
        #expect(table[at: table.position(of: 5)!] == "t5")
        #expect(table.position(of: 150) == nil && table.position(of: 120) == nil && table.position(of: 1) == nil)
        #expect(table.position(of: 1_000) == nil)
    }

    /// Ids added in runs (a job's tasks, then another job's) are kept out of the position dictionary while at their
    /// natural position; removals move entries off it and back. Checked against a Dictionary at every step.
    @Test func anEntryTableOfConsecutiveIdsActsAsADictionary() {
        var table = EntryTable<UInt64, Int>()
        var reference: [UInt64: Int] = [:]
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        var next: UInt64 = 1_000
        for step in 0..<5_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            switch (state >> 33) % 10 {
            case 0...4:
                // The next id of the run (most adds), sometimes skipping ahead as ids go to another job.
                if (state >> 40) % 8 == 0 { next += (state >> 45) % 50 }
                table[next] = step
                reference[next] = step
                next += 1
            case 5...7:
                // A removal of some id near the end of the run, present or not.
                let id = next &- 1 &- (state >> 36) % 64
                table[id] = nil
                reference[id] = nil
            case 8:
                // A change of an entry in place.
                let id = next &- 1 &- (state >> 36) % 64
                let changed = table.update(id) { entry -> Int in
                    entry += 1_000_000
                    return entry
                }
                #expect(changed == reference[id].map { $0 + 1_000_000 })
                reference[id]? += 1_000_000
            default:
                // An old id again, out of order.
                let id = next &- (state >> 36) % 200 &- 1
                table[id] = -step
                reference[id] = -step
            }
            #expect(table.count == reference.count)
            if table.count != reference.count { break }
        }
        for (key, value) in reference {
            #expect(table.position(of: key).map { table[at: $0] } == value)
        }
        #expect(Dictionary(uniqueKeysWithValues: table.map { ($0.key, $0.value) }) == reference)
        #expect(table.position(of: next) == nil && table.position(of: 0) == nil && table.position(of: .max) == nil)
        // Emptied, the table starts again from whatever id comes next.
        for key in reference.keys { table[key] = nil }
        #expect(table.isEmpty)
        table[7] = 7
        table[8] = 8
        #expect(table[7] == 7 && table[8] == 8 && table.position(of: 8) == 1)
    }

    /// `IDSet` (a queue's membership) against a `Set`: runs of ids, strays far away and below its base, removals,
    /// and emptying, after which it starts from a new base.
    @Test func anIDSetActsAsASet() {
        var set = IDSet()
        var reference: Set<UInt64> = []
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var next: UInt64 = 5_000
        for _ in 0..<20_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let id: UInt64
            switch (state >> 33) % 16 {
            case 0: id = (state >> 20) % 1_000                          // below the base
            case 1: id = next &+ 100_000 &+ (state >> 20) % 10_000_000  // far above: a stray
            case 2: id = .max &- (state >> 40) % 4
            default:
                id = next &- (state >> 40) % 300
                next += (state >> 50) % 3
            }
            if (state >> 24) % 3 == 0 {
                let removed = set.remove(id)
                #expect(removed == (reference.remove(id) != nil))
            } else {
                let inserted = set.insert(id)
                #expect(inserted == reference.insert(id).inserted)
            }
            #expect(set.count == reference.count)
            #expect(set.contains(id) == reference.contains(id))
            if set.count != reference.count { break }
        }
        for id in reference { #expect(set.contains(id)) }
        var removedAll = true
        for id in reference where !set.remove(id) { removedAll = false }
        #expect(removedAll && set.isEmpty && !set.contains(next))
        let firstInsert = set.insert(3), secondInsert = set.insert(4), again = set.insert(3)
        #expect(firstInsert && secondInsert && !again && set.count == 2)
    }

    @Test func liveAttemptsActAsADictionaryOfAttempts() {
        let now = ContinuousClock.now
        func attempt(_ worker: String) -> LiveAttempt { LiveAttempt(worker: worker, startedAt: now, now: now) }
        var live: LiveAttempts = [:]
        #expect(live.isEmpty && live.count == 0 && live.first == nil)
        live[3] = attempt("a")
        live[5] = attempt("b")
        live[4] = attempt("c")
        #expect(live.count == 3)
        #expect(live[5]?.worker == "b")
        #expect(live[9] == nil)
        #expect(live.map(\.key).sorted() == [3, 4, 5])
        live[4] = attempt("d")
        #expect(live[4]?.worker == "d" && live.count == 3)
        #expect(live.removeValue(forKey: 3)?.worker == "a")
        #expect(live.first != nil && live.count == 2)
        live[5] = nil
        #expect(live.map(\.key) == [4])
        #expect(live.removeValue(forKey: 7) == nil)
        #expect(live.removeValue(forKey: 4)?.worker == "d")
        #expect(live.isEmpty)
    }
}
