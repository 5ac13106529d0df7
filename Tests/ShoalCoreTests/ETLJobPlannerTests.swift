import Foundation
import ShoalCore
import ShoalETL
import ShoalTestSupport
import Testing

/// `ETLJobPlanner` over real files: schema, shards, and every mistake located in the job file at submit time.
@Suite struct ETLJobPlannerTests {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.path("data"), withIntermediateDirectories: true)
        var csv = "event_id,ts,country,device,price,dwell_ms,clicked\n"
        for i in 0..<2_000 {
            csv += "\(i),\(1_700_000_000 + i),\(["US", "DE", "IN"][i % 3]),\(["mobile", "tablet"][i % 2]),"
                + "\(Double(i % 500) / 100),\(i % 7 == 0 ? "" : String(i * 10)),\(i % 2)\n"
        }
        try csv.write(toFile: directory.path("data/clicks-0.csv"), atomically: true, encoding: .utf8)
    }

    func job(steps: String = "", extra: String = "", input: String = "{ paths: [\"data/*.csv\"] }") -> String {
        """
        kind: etl
        name: j
        input: \(input)
        steps:
        \(steps.isEmpty ? "  - filter: \"price > 1.0\"" : steps)
        output: { path: out/rows }
        \(extra)
        """
    }

    @Test func plansShardsWithTheInferredSchemaAndTheWholeJobInEachSpec() throws {
        let (_, plan) = try plan(
            job(extra: "aggregate: { group_by: [country], values: { n: \"count()\" }, output: out/agg.csv }",
                input: "{ paths: [\"data/*.csv\"], shard_size: 8KiB, schema: { dwell_ms: float } }"),
            workingDirectory: directory.path)
        #expect(plan.tasks.count > 3, "a 60 KB file in 8 KiB shards")
        #expect(plan.outputDirectory == directory.path("out/rows"))
        #expect(plan.exclusiveOutputs == [directory.path("out/agg.csv")])
        #expect(plan.finish != nil)
        let specs = try plan.tasks.map { try ETLTaskSpec.decode($0.spec) }
        let schema = Dictionary(uniqueKeysWithValues: specs[0].job.inputSchema.map { ($0.name, $0.type) })
        #expect(schema == ["event_id": .int, "ts": .int, "country": .string, "device": .string, "price": .float,
                           "dwell_ms": .float, "clicked": .int])
        #expect(specs.map(\.shard.index) == Array(0..<specs.count))
        // The shards tile the file after its header, in order.
        let size = try FileManager.default.attributesOfItem(atPath: directory.path("data/clicks-0.csv"))[.size] as! Int
        #expect(specs.first?.shard.start == Int64("event_id,ts,country,device,price,dwell_ms,clicked\n".utf8.count))
        #expect(specs.last?.shard.end == Int64(size))
        for (a, b) in zip(specs, specs.dropFirst()) { #expect(a.shard.end == b.shard.start) }
        #expect(specs.first?.shard.firstLine == 2)
    }

    @Test func anUnknownColumnInAFilterIsLocatedWithACaret() {
        let error = planningError(job(steps: "  - filter: \"prise > 1.0\""), workingDirectory: directory.path)
        expectError(error, at: 5, 13, keyPath: "steps[0].filter", saying: "unknown column 'prise'")
        #expect(error?.message.contains("did you mean 'price'") == true)
        #expect(error?.message.contains("^") == true, "\(String(describing: error))")
    }

    @Test func aStringComparedWithANumberIsATypeError() {
        let error = planningError(job(steps: "  - filter: \"device > 3\""), workingDirectory: directory.path)
        #expect(error?.keyPath == "steps[0].filter")
        #expect(error?.message.contains("^") == true, "\(String(describing: error))")
    }

    @Test func aDeriveErrorNamesTheDerivedColumn() {
        let error = planningError(
            job(steps: "  - derive: { hour: \"(ts // 3600) % 24\", bad: \"price +\" }"), workingDirectory: directory.path)
        #expect(error?.keyPath == "steps[0].derive.bad", "\(String(describing: error))")
    }

    @Test func aFilterThatIsNotBooleanIsRefused() {
        let error = planningError(job(steps: "  - filter: \"price * 2\""), workingDirectory: directory.path)
        expectError(error, at: 5, 13, keyPath: "steps[0].filter", saying: "must be true or false")
    }

    @Test func selectedColumnsMustExistAtTheirStep() {
        let error = planningError(
            job(steps: "  - select: [event_id, price]\n  - filter: \"country == 'US'\""), workingDirectory: directory.path)
        #expect(error?.keyPath == "steps[1].filter", "\(String(describing: error))")
        #expect(error?.message.contains("unknown column 'country'") == true)
    }

    @Test func theAggregateSeesColumnsThatSelectLeftOut() throws {
        _ = try plan(
            job(steps: "  - select: [event_id]",
                extra: "aggregate: { group_by: [country], values: { dwell: \"mean(dwell_ms)\" }, output: out/a.csv }"),
            workingDirectory: directory.path)
    }

    @Test func aggregateMistakesAreLocated() {
        expectError(
            planningError(job(extra: "aggregate: { group_by: [cuntry], values: { n: \"count()\" }, output: out/a.csv }"),
                          workingDirectory: directory.path),
            at: 7, 24, keyPath: "aggregate.group_by", saying: "unknown column 'cuntry'")
        let unknown = planningError(
            job(extra: "aggregate: { group_by: [country], values: { n: \"median(price)\" }, output: out/a.csv }"),
            workingDirectory: directory.path)
        #expect(unknown?.keyPath == "aggregate.values.n")
        #expect(unknown?.message.contains("unknown aggregate 'median'") == true)
        let arity = planningError(
            job(extra: "aggregate: { values: { f: \"first(price)\" }, output: out/a.csv }"), workingDirectory: directory.path)
        #expect(arity?.message.contains("2 arguments") == true, "\(String(describing: arity))")
        let type = planningError(
            job(extra: "aggregate: { values: { s: \"sum(country)\" }, output: out/a.csv }"), workingDirectory: directory.path)
        #expect(type?.keyPath == "aggregate.values.s")
        #expect(type?.message.contains("needs a number") == true)
    }

    @Test func inputMistakesAreLocated() {
        expectError(
            planningError(job(input: "{ paths: [\"nothing/*.csv\"] }"), workingDirectory: directory.path),
            at: 3, 18, keyPath: "input.paths[0]", saying: "matches no regular file")
        expectError(
            planningError(job(input: "{ paths: [\"data/*.csv\"], on_bad_row: ignore }"), workingDirectory: directory.path),
            at: 3, 45, keyPath: "input.on_bad_row", saying: "fail, skip or quarantine")
        expectError(
            planningError(job(input: "{ paths: [\"data/*.csv\"], shard_size: 12 }"), workingDirectory: directory.path),
            at: 3, 45, keyPath: "input.shard_size", saying: "at least 4 KiB")
        let schema = planningError(job(input: "{ paths: [\"data/*.csv\"], schema: { price: decimal } }"), workingDirectory: directory.path)
        #expect(schema?.keyPath == "input.schema.price")
        #expect(schema?.message.contains("unknown type 'decimal'") == true)
        let typo = planningError(job(input: "{ paths: [\"data/*.csv\"], heder: true }"), workingDirectory: directory.path)
        #expect(typo?.message.contains("did you mean 'header'") == true)
    }

    @Test func anETLJobMustWriteSomething() {
        let error = planningError(
            """
            kind: etl
            name: j
            input: { paths: ["data/*.csv"] }
            """, workingDirectory: directory.path)
        #expect(error?.message.contains("give output") == true, "\(String(describing: error))")
    }

    @Test func stepsAreOneKeyEach() {
        let error = planningError(job(steps: "  - { filter: \"price > 1\", select: [price] }"), workingDirectory: directory.path)
        #expect(error?.keyPath == "steps[0]", "\(String(describing: error))")
        let unknown = planningError(job(steps: "  - fitler: \"price > 1\""), workingDirectory: directory.path)
        #expect(unknown?.message.contains("did you mean 'filter'") == true)
    }

    @Test func aggregateCallsSplitAtTopLevelCommasOnly() {
        #expect(AggregateCall.parse("count()") == AggregateCall(function: "count", arguments: []))
        #expect(AggregateCall.parse(" sum( price * 2 ) ") == AggregateCall(function: "sum", arguments: ["price * 2"]))
        #expect(AggregateCall.parse("first(coalesce(a, b), 'x,y')") == AggregateCall(function: "first", arguments: ["coalesce(a, b)", "'x,y'"]))
        #expect(AggregateCall.parse("sum(price") == nil)
        #expect(AggregateCall.parse("sum(a,)") == nil)
        #expect(AggregateCall.parse("price") == nil)
    }
}
