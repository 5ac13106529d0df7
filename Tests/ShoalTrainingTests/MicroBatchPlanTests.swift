import Testing
@testable import ShoalTraining

@Suite struct MicroBatchPlanTests {
    let plan = MicroBatchPlan(shardRows: [1000, 0, 300, 257], microBatchSize: 128, batchSize: 500, epochs: 3, seed: 42)

    @Test func microBatchesCoverEveryRowOnce() {
        // 1000 → 8 (last 104 rows), 0 → none, 300 → 3 (last 44), 257 → 3 (last 1).
        #expect(plan.microBatchCount == 14)
        #expect(plan.microBatchesPerStep == 4)
        var covered = [[Bool]](repeating: [], count: 4)
        for (s, rows) in plan.shardRows.enumerated() { covered[s] = [Bool](repeating: false, count: rows) }
        for id in 0..<plan.microBatchCount {
            let m = plan.microBatch(id)
            #expect(m.id == id && m.rows > 0 && m.rows <= 128)
            for r in m.start..<m.end {
                #expect(!covered[m.shard][r])
                covered[m.shard][r] = true
            }
        }
        #expect(covered.allSatisfy { $0.allSatisfy { $0 } })
        #expect(plan.microBatch(7).rows == 104 && plan.microBatch(8).shard == 2 && plan.microBatch(13).rows == 1)
    }

    @Test func eachEpochVisitsEveryMicroBatchOnceInItsOwnOrder() {
        #expect(plan.stepsPerEpoch == 4 && plan.totalSteps == 12)
        var orders: [[Int]] = []
        for epoch in 0..<3 {
            var seen: [Int] = []
            for step in (epoch * 4)..<(epoch * 4 + 4) {
                let s = plan.step(step)
                #expect(s.epoch == epoch)
                seen += s.microBatches
            }
            #expect(seen.sorted() == Array(0..<14))
            #expect(seen == plan.order(epoch: epoch))
            orders.append(seen)
        }
        #expect(Set(orders).count == 3)
        #expect(plan.step(3).microBatches.count == 2)
        #expect(plan.endsEpoch(3) && !plan.endsEpoch(4) && plan.endsEpoch(11))
    }

    @Test func theOrderDependsOnTheSeedOnly() {
        let again = MicroBatchPlan(shardRows: [1000, 0, 300, 257], microBatchSize: 128, batchSize: 500, epochs: 3, seed: 42)
        let other = MicroBatchPlan(shardRows: [1000, 0, 300, 257], microBatchSize: 128, batchSize: 500, epochs: 3, seed: 43)
        #expect(again.order(epoch: 1) == plan.order(epoch: 1))
        #expect(other.order(epoch: 1) != plan.order(epoch: 1))
    }
}
