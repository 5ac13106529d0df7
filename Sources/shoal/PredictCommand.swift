import ArgumentParser
import ShoalCore
import Foundation
import ShoalClient
import ShoalTraining
import ZeroMQ

/// `shoal predict MODEL DATA… --out FILE`: applies a trained model (a train job's `model.shoal`) to CSV files —
/// in this process, or sharded over a cluster (`--workers N` starts a local one, `--coordinator` uses a running one).
struct PredictCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Apply a trained model to CSV files, here or sharded over a cluster.",
        discussion: """
            Rows are encoded exactly as in training (the model file holds the feature encoding). The output is CSV: \
            the --keep columns, then `prediction` and the probabilities (`probability` for logistic models, `p0`… \
            for softmax). A row with a missing or non-numeric feature stops it with file and line, unless \
            --skip-bad-rows (then it is counted). With --workers or --coordinator it runs as a `predict` job: one \
            task per 64 MiB shard, the parts joined in order into --out.
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
    @Option(name: .long, help: "Run on a local cluster of this many worker processes.")
    var workers: Int?
    @Option(name: .long, help: "Run on the cluster of this coordinator's client endpoint (tcp://HOST:PORT).")
    var coordinator: String?
    @OptionGroup var keys: PeerKeyOptions

    @Flag(name: [.customLong("overwrite"), .customLong("restart")], help: "Replace an existing output file.")
    var overwrite = false

    func validate() throws {
        guard !data.isEmpty else { throw ValidationError("give at least one CSV file to predict") }
        if let workers, !(1...256).contains(workers) { throw ValidationError("--workers must be 1…256, got \(workers)") }
        if workers != nil && coordinator != nil { throw ValidationError("give --workers or --coordinator, not both") }
    }

    func run() async throws {
        guard workers != nil || coordinator != nil else { return try runHere() }
        let text = jobFile()
        let source = "shoal predict"
        if let workers {
            let succeeded = try await EmbeddedRun.run(
                jobs: [(source, text)], workers: workers, slots: nil, stateDir: nil, restart: overwrite)
            if !succeeded { throw ExitCode(1) }
            return
        }
        let settings: Settings
        do { settings = try SettingsLoader.load() } catch { throw ValidationError(error.description) }
        let client = try await CoordinatorClient(
            endpoint: coordinator!, context: try Context(), security: try keys.security(settings, role: .client, endpoint: coordinator))
        do {
            let accepted = try await client.submit(
                jobFile: text, source: source, workingDirectory: FileManager.default.currentDirectoryPath,
                restart: overwrite)
            print("job \(accepted.jobID)")
            let final = try await JobProgress.follow(accepted.jobID, client: client)
            await client.close()
            if final.record.state != .succeeded { throw ExitCode(1) }
        } catch let error as ClientError {
            await client.close()
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// The `predict` job these arguments describe (JSON strings are YAML strings).
    func jobFile() -> String {
        func quoted(_ text: String) -> String {
            String(decoding: (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
        }
        return """
            kind: predict
            name: predict
            model: \(quoted(model))
            input: { format: csv, paths: [\(data.map(quoted).joined(separator: ", "))], on_bad_row: \(skipBadRows ? "skip" : "fail") }
            keep: [\(keep.map(quoted).joined(separator: ", "))]
            output: \(quoted(out))
            """
    }

    func runHere() throws {
        guard overwrite || !FileManager.default.fileExists(atPath: out) else {
            throw ValidationError("\(out) exists; remove it or give --overwrite")
        }
        let predictor = try Predictor(modelPath: model)
        let start = ContinuousClock.now
        let summary = try predictor.predict(paths: data, keep: keep, output: out, skipBadRows: skipBadRows)
        let elapsed = start.duration(to: .now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("predicted \(summary.rows) rows with \(predictor.model.header.model.name) into \(out) in "
            + String(format: "%.2f s", seconds) + (summary.badRows > 0 ? "; \(summary.badRows) bad rows skipped" : ""))
    }
}
