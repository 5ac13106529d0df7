import Foundation
import ShoalETL
import ShoalTestSupport
import Testing
@testable import ShoalTraining

/// Reading training data: encodings from the statistics pass, and every kind of bad value named by file and line.
@Suite struct DatasetReaderTests {
    let directory: TemporaryDirectory
    init() throws { directory = try TemporaryDirectory() }

    static let schema = [Field("x", .float), Field("n", .int), Field("color", .string), Field("y", .int)]

    func reader(_ text: String, features: [FeatureSpec], head: ModelSpec = ModelSpec(head: .logistic), policy: BadRowPolicy = .fail)
        throws -> (DatasetReader, InputShard, InputSpec)
    {
        let path = directory.path("data-\(UUID().uuidString).csv")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let input = InputSpec(format: .csv, paths: [path], onBadRow: policy)
        let data = DataSpec(train: input, validation: nil, features: features, label: "y", schema: Self.schema)
        return (DatasetReader(data: data, model: head), try ETLInputPlanning.shards(of: input)[0], input)
    }

    @Test func encodingStandardizesAndOneHotEncodes() throws {
        let text = "x,n,color,y\n1.5,10,red,1\n2.5,20,blue,0\n3.5,30,red,1\n4.5,40,green,0\n"
        let (reader, shard, input) = try reader(text, features: [.standardize("n"), .oneHot("color"), .numeric("x")])
        let statistics = try reader.statistics(of: shard)
        #expect(statistics.rows == 4)
        #expect(statistics.categories["color"] == ["blue", "green", "red"])
        let encoding = statistics.encoding(features: reader.data.features, label: "y")
        #expect(encoding.width == 5)
        #expect(encoding.inputNames == ["n", "color=blue", "color=green", "color=red", "x"])
        let loaded = try reader.load(shard, input: input, encoding: encoding)
        // n: mean 25, population stddev √125.
        let s = Float(1 / 125.0.squareRoot())
        let expected: [[Float]] = [[-15 * s, 0, 0, 1, 1.5], [-5 * s, 1, 0, 0, 2.5], [5 * s, 0, 0, 1, 3.5], [15 * s, 0, 1, 0, 4.5]]
        for (i, row) in expected.enumerated() {
            for (c, v) in row.enumerated() { #expect(abs(loaded.features[i, c] - v) < 1e-6, "[\(i), \(c)]") }
        }
        #expect(loaded.labels == [1, 0, 1, 0])
        // A category training never saw encodes as zeros.
        let (other, otherShard, otherInput) = try self.reader("x,n,color,y\n1,2,purple,1\n", features: reader.data.features)
        let unseen = try other.load(otherShard, input: otherInput, encoding: encoding)
        #expect(unseen.features.values[1..<4] == [0, 0, 0])
    }

    @Test(arguments: [
        ("x,n,color,y\n1,1,a,0\n2,n/a,b,1\n", ":3: field \"n\": \"n/a\" is not an int"),
        ("x,n,color,y\n1,1,a,0\n\n2,,b,1\n", ":4: field \"n\" is empty, and it must have a value"),
        ("x,n,color,y\nnan,1,a,0\n", ":2: field \"x\": \"nan\" is not a finite number"),
        ("x,n,color,y\n-inf,1,a,0\n", ":2: field \"x\": \"-inf\" is not a finite number"),
        ("x,n,color,y\n1,1,a,0\n1e39,1,a,0\n", ":3: field \"x\": \"1e39\" is beyond the range of a 32-bit float"),
        ("x,n,color,y\n1,1,a,0\n1,1,\"b\nc\",1\n1,1,a,3\n", ":5: label \"y\" is 3; a logistic model takes labels 0 and 1"),
        ("x,n,color,y\n1,1,a\n", ":2: expected 4 fields, found 3"),
    ])
    func badValuesStopTheJobWithFileAndLine(_ text: String, _ message: String) throws {
        let (reader, shard, input) = try reader(text, features: [.numeric("x"), .numeric("n"), .oneHot("color")])
        // The statistics pass or the load, whichever reads the column first, stops with the place.
        #expect {
            let statistics = try reader.statistics(of: shard)
            _ = try reader.load(shard, input: input, encoding: statistics.encoding(features: reader.data.features, label: "y"))
        } throws: { error in
            "\(error)".hasPrefix(shard.path) && "\(error)".contains(message)
        }
    }

    @Test func softmaxLabelsAreClassIndices() throws {
        let (reader, shard, _) = try reader(
            "x,n,color,y\n1,1,a,0\n1,1,a,2\n1,1,a,3\n", features: [.numeric("x")],
            head: ModelSpec(head: .softmax, classes: 3))
        #expect {
            _ = try reader.statistics(of: shard)
        } throws: { error in
            "\(error)".contains(":4: label \"y\" is 3; a softmax model of 3 classes takes labels 0 to 2")
        }
    }

    @Test func skippedRowsAreCountedInBothPasses() throws {
        let text = "x,n,color,y\n1,1,a,0\n2,,b,1\n3,3,c,1\nbad\n"
        let (reader, shard, input) = try reader(text, features: [.numeric("x"), .numeric("n")], policy: .skip)
        let statistics = try reader.statistics(of: shard)
        #expect(statistics.rows == 2 && statistics.badRows == 2)
        let loaded = try reader.load(shard, input: input, encoding: statistics.encoding(features: reader.data.features, label: "y"))
        #expect(loaded.rows == 2 && loaded.badRows == 2)
        #expect(loaded.features.values == [1, 1, 3, 3])
    }

    @Test func statisticsMergedOverShardsEqualTheWholeFile() throws {
        var text = "x,n,color,y\n"
        var random = SplitMix64(seed: 3)
        for i in 0..<5000 { text += "\(random.unit()),\(random.below(1000)),c\(i % 7),\(i % 2)\n" }
        let path = directory.path("big.csv")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let whole = InputSpec(format: .csv, paths: [path])
        let split = InputSpec(format: .csv, paths: [path], shardBytes: 16 << 10)
        let data = DataSpec(train: whole, validation: nil, features: [.standardize("n"), .oneHot("color")], label: "y", schema: Self.schema)
        let reader = DatasetReader(data: data, model: ModelSpec(head: .logistic))
        let one = try reader.statistics(of: ETLInputPlanning.shards(of: whole)[0])
        let shards = try ETLInputPlanning.shards(of: split)
        #expect(shards.count > 3)
        var merged = ShardStatistics()
        for shard in shards { merged.merge(try reader.statistics(of: shard)) }
        #expect(merged.rows == 5000 && merged.categories == one.categories)
        #expect(abs(merged.columns[0].mean - one.columns[0].mean) < 1e-9)
        #expect(abs(merged.columns[0].m2 - one.columns[0].m2) < 1e-6 * one.columns[0].m2)
    }
}

/// `Predictor` (`shoal predict`): rows encoded as in training, outputs equal to the network's own predictions.
@Suite struct PredictorTests {
    let directory: TemporaryDirectory
    init() throws { directory = try TemporaryDirectory() }

    func model(_ spec: ModelSpec) -> ModelFile {
        let encoding = FeatureEncoding(
            entries: [
                .init(column: "x", transform: .standardize(mean: 1, scale: 2)),
                .init(column: "color", transform: .oneHot(categories: ["blue", "red"])),
            ],
            label: "y")
        let network = Network(spec: spec, inputs: 3)
        var random = SplitMix64(seed: 4)
        let parameters = (0..<network.parameterCount).map { _ in Float(random.unit() * 2 - 1) }
        return ModelFile(network: network, encoding: encoding, parameters: parameters, training: [:])
    }

    @Test func predictionsMatchTheNetworkOnEncodedRows() throws {
        let data = directory.path("new.csv")
        try "id,color,x\n7,red,3\n8,green,-1\n9,blue,1\n".write(toFile: data, atomically: true, encoding: .utf8)
        let file = model(ModelSpec(head: .logistic, hidden: [4]))
        // Through the model file's bytes, as shoal predict reads it.
        let path = directory.path("model.shoal")
        try Data(try file.encoded()).write(to: URL(fileURLWithPath: path))
        let predictor = try Predictor(modelPath: path)
        #expect(predictor.model == file)
        let summary = try predictor.predict(paths: [data], keep: ["id"], output: directory.path("out.csv"))
        #expect(summary == Predictor.Summary(rows: 3, badRows: 0))
        let lines = try String(contentsOfFile: directory.path("out.csv"), encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "id,prediction,probability")
        // x standardized as (x − 1) / 2; green is no category: zeros.
        let inputs: [Float] = [1, 0, 1, -1, 0, 0, 0, 1, 0]
        var expected = [Float](repeating: 0, count: 3)
        file.network.predict(
            parameters: file.parameters, features: inputs, rows: 3,
            workspace: NetworkWorkspace(network: file.network, capacity: 3), into: &expected)
        for (i, line) in lines.dropFirst().enumerated() {
            let f = line.split(separator: ",")
            #expect(f[0] == ["7", "8", "9"][i])
            #expect(Float(f[2]) == expected[i])
            #expect(f[1] == (expected[i] > 0.5 ? "1" : "0"))
        }
    }

    @Test func aModelWhoseFirstFeatureIsOneHotPredicts() throws {
        // No label column: the encoding must not read one (it once stood a feature in for it).
        let encoding = FeatureEncoding(
            entries: [
                .init(column: "color", transform: .oneHot(categories: ["blue", "red"])),
                .init(column: "x", transform: .identity),
            ],
            label: "y")
        let network = Network(spec: ModelSpec(head: .logistic), inputs: 3)
        let predictor = Predictor(model: ModelFile(network: network, encoding: encoding, parameters: [1, -1, 0.5, 0], training: [:]))
        let data = directory.path("first-one-hot.csv")
        try "color,x\nblue,2\nred,-2\n".write(toFile: data, atomically: true, encoding: .utf8)
        #expect(try predictor.predict(paths: [data], output: directory.path("out.csv")).rows == 2)
        let lines = try String(contentsOfFile: directory.path("out.csv"), encoding: .utf8).split(separator: "\n")
        // blue, x = 2: logit 1 + 1 = 2; red, x = −2: −1 − 1 = −2.
        #expect(lines.dropFirst().map { $0.split(separator: ",")[0] } == ["1", "0"])
    }

    @Test func softmaxWritesEachClassProbability() throws {
        let data = directory.path("new.csv")
        try "color,x\nred,3\n".write(toFile: data, atomically: true, encoding: .utf8)
        let predictor = Predictor(model: model(ModelSpec(head: .softmax, classes: 3)))
        _ = try predictor.predict(paths: [data], output: directory.path("out.csv"))
        let lines = try String(contentsOfFile: directory.path("out.csv"), encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "prediction,p0,p1,p2")
        let p = lines[1].split(separator: ",").dropFirst().map { Double($0)! }
        #expect(abs(p.reduce(0, +) - 1) < 1e-5)
        #expect(Int(lines[1].split(separator: ",")[0]) == p.indices.max { p[$0] < p[$1] })
    }

    @Test func missingColumnsAndBadValuesAreNamed() throws {
        let predictor = Predictor(model: model(ModelSpec(head: .linear)))
        let noColor = directory.path("no-color.csv")
        try "x\n1\n".write(toFile: noColor, atomically: true, encoding: .utf8)
        #expect {
            _ = try predictor.predict(paths: [noColor], output: directory.path("out.csv"))
        } throws: { "\($0)".contains("no-color.csv: no column \"color\"") }
        let bad = directory.path("bad.csv")
        try "color,x\nred,1\nblue,\n".write(toFile: bad, atomically: true, encoding: .utf8)
        #expect {
            _ = try predictor.predict(paths: [bad], output: directory.path("out.csv"))
        } throws: { "\($0)".contains("bad.csv:3: field \"x\" is empty") }
        let skipped = try predictor.predict(paths: [bad], output: directory.path("out.csv"), skipBadRows: true)
        #expect(skipped == Predictor.Summary(rows: 1, badRows: 1))
    }
}
