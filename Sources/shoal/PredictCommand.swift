import ArgumentParser
import Foundation
import ShoalTraining

/// `shoal predict MODEL DATA… --out FILE`: applies a trained model (a train job's `model.shoal`) to CSV files.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Apply a trained model to CSV files.",
        discussion: """
            Rows are encoded exactly as in training (the model file holds the feature encoding). The output is CSV:
            the --keep columns, then `prediction` and the probabilities (`probability` for logistic models, `p0`…
            for softmax). A row with a missing or non-numeric feature stops it with file and line, unless
            --skip-bad-rows (then it is counted).
            """)

    @Argument(help: "The model file (model.shoal in a train job's output).")
    var model: String
    @Argument(help: "CSV files to predict, with a header naming the model's feature columns.")
    var data: [String]
    @Option(name: .long, help: "The output CSV file.")
    var out: String
    @Option(name: .long, parsing: .upToNextOption, help: "Input columns to copy into the output first (e.g. an id).")
    var keep: [String] = []
    @Flag(name: .long, help: "Skip and count rows with missing or non-numeric features instead of failing.")
    var skipBadRows = false

    func validate() throws {
        guard !data.isEmpty else { throw ValidationError("give at least one CSV file to predict") }
    }

    func run() throws {
        let predictor = try Predictor(modelPath: model)
        let start = ContinuousClock.now
        let summary = try predictor.predict(paths: data, keep: keep, output: out, skipBadRows: skipBadRows)
        let seconds = Double(start.duration(to: .now).components.attoseconds) / 1e18
            + Double(start.duration(to: .now).components.seconds)
        print("predicted \(summary.rows) rows with \(predictor.model.header.model.name) into \(out) in "
            + String(format: "%.2f s", seconds) + (summary.badRows > 0 ? "; \(summary.badRows) bad rows skipped" : ""))
    }
}
