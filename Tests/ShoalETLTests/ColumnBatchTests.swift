import Testing
@testable import ShoalETL

@Suite struct ColumnBatchTests {
    @Test func gatherKeepsValuesAndNulls() {
        let batch = ColumnBatch(
            names: ["id", "name", "score"],
            columns: [
                Column(.int([1, 2, 3, 4])),
                Column(.string(StringColumn(["a", "", "ccc", "dd"])), validity: [true, false, true, true]),
                Column(.float([0.5, 1.5, 2.5, 3.5])),
            ])
        let kept = batch.gather([3, 1])
        #expect(kept.count == 2)
        #expect(kept["id"] == Column(.int([4, 2])))
        #expect(kept["name"]?.value(at: 0) == .string("dd"))
        #expect(kept["name"]?.value(at: 1) == .null)
        #expect(kept["score"]?.value(at: 1) == .float(1.5))
    }

    @Test func validityWithoutNullsIsDropped() {
        let column = Column(.int([1, 2]), validity: [true, true])
        #expect(column.validity == nil)
        #expect(column.nullCount == 0)
    }

    @Test func stringComparisonsWorkOnBytes() {
        let strings = StringColumn(["tablet", "mobile", ""])
        #expect(strings.equals(0, Array("tablet".utf8)))
        #expect(!strings.equals(1, Array("tablet".utf8)))
        #expect(strings.equals(2, []))
        #expect(strings.compare(1, Array("tablet".utf8)) < 0)
        #expect(strings.compare(0, Array("mobile".utf8)) > 0)
    }

    @Test func selectingAndRenaming() {
        var batch = ColumnBatch(names: ["a", "b"], columns: [Column(.int([1])), Column(.bool([true]))])
        batch.rename("a", to: "x")
        #expect(batch.selecting(["b", "x"]).names == ["b", "x"])
        batch.remove("b")
        #expect(batch.names == ["x"])
    }
}
