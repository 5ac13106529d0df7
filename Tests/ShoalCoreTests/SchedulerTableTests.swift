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

    @Test func filteringAnEntryTableKeepsTheOrderAndThePositions() {
        var table = EntryTable<String, Int>()
        for number in 0..<10 { table["k\(number)"] = number }
        table.filter { $0 % 3 == 0 }
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
        // A removal moves the last entry into the gap; a filter closes gaps: positions no longer follow the ids.
        table[150] = nil
        table.filter { $0 != "t120" }
        table[5] = "t5"
        for id in UInt64(101)...200 where id != 150 && id != 120 {
            #expect(table.position(of: id).map { table[at: $0] } == "t\(id)")
        }
        #expect(table[at: table.position(of: 5)!] == "t5")
        #expect(table.position(of: 150) == nil && table.position(of: 120) == nil && table.position(of: 1) == nil)
        #expect(table.position(of: 1_000) == nil)
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
