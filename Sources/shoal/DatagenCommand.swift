import ArgumentParser
import Foundation
import ShoalETL

/// `shoal datagen`: synthetic data sets for benchmarks and tests.
struct DatagenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datagen",
        abstract: "Generate synthetic data sets for benchmarks and tests.",
        subcommands: [ClicksCommand.self]
    )
}

/// `shoal datagen clicks`: the click-log yardstick of shared/bench/gen_clicks.py, from Shoal's own generator.
struct ClicksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clicks",
        abstract: "Write a synthetic click log as CSV (gen_clicks.py's columns and model; deterministic per seed).",
        discussion: """
            shoal datagen clicks --rows 2000000 --seed 7 --out /work/data/clicks_2m_shoal.csv
            shoal datagen clicks --rows 100000 --seed 1 --bad-rate 0.01 --out bad.csv   # prints rows=… malformed=…
            The same seed gives the same bytes on any machine; they differ from the Python script's.
            """
    )

    @Option(help: "Data rows to write (the header comes on top).")
    var rows: Int
    @Option(help: "Random seed.")
    var seed: UInt64 = 7
    @Option(help: "Fraction of malformed rows, in [0, 1): odd ones lose their last 3 fields, even ones get n/a as price.")
    var badRate: Double = 0
    @Option(help: "Output file, or - for standard output.")
    var out: String

    func validate() throws {
        guard rows >= 0 else { throw ValidationError("--rows must be 0 or more, got \(rows)") }
        guard badRate >= 0 && badRate < 1 else { throw ValidationError("--bad-rate must be in [0, 1), got \(badRate)") }
        guard !out.isEmpty else { throw ValidationError("--out needs a file name, or - for standard output") }
    }

    func run() async throws {
        let generator = ClickGenerator(seed: seed, badRate: badRate)
        let summary: ClickGenerator.Summary
        if out == "-" {
            summary = try generator.write(rows: rows, toFile: "/dev/stdout")
        } else {
            // `--out data/ctr/train.csv` makes `data/ctr` as needed.
            let parent = (out as NSString).deletingLastPathComponent
            if !parent.isEmpty { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) }
            summary = try generator.write(rows: rows, toFile: out)
        }
        FileHandle.standardError.write(Data("rows=\(rows) malformed=\(summary.malformed) seed=\(seed)\n".utf8))
    }
}
