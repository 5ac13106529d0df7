import Foundation

extension TrainingSession {
    public static let modelName = "model.shoal"
    public static let historyName = "metrics.csv"
    public static let validationName = "validation.csv"

    /// Writes the job's outputs — the model file, the metrics history and the validation history — and removes
    /// the stage directories. Returns the summary `shoal status` shows.
    public func writeOutputs(wallSeconds: Double) throws -> String {
        let last = evaluations.last
        var training: [String: String] = [
            "job": job.name, "steps": "\(state.step)", "epochs": "\(job.config.epochs)", "seed": "\(job.config.seed)",
            "optimizer": job.config.optimizer.kind.rawValue, "batch_size": "\(job.config.batchSize)",
            "deterministic": "\(job.config.deterministic)",
        ]
        if let loss = history.last?.loss { training["final_train_loss"] = "\(loss)" }
        if let last {
            training["validation_accuracy"] = "\(last.accuracy)"
            training["validation_loss"] = "\(last.loss)"
        }
        let model = ModelFile(network: network, encoding: setup.encoding, parameters: state.parameters, training: training)
        try AtomicFile.write(try model.encoded(), to: job.output + "/" + Self.modelName)
        try AtomicFile.write(Array(historyCSV().utf8), to: job.output + "/" + Self.historyName)
        if hasValidation {
            try AtomicFile.write(Array(validationCSV().utf8), to: job.output + "/" + Self.validationName)
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: job.output)) ?? []
        for name in names where name.hasPrefix("_stage-") || (name.hasPrefix("shard-") && Int(name.dropFirst(6)) != nil) {
            try? FileManager.default.removeItem(atPath: job.output + "/" + name)
        }
        return summary(wallSeconds: wallSeconds)
    }

    /// One row per step: the numbers of `StepRecord` and its communication.
    public func historyCSV() -> String {
        var text = "step,epoch,examples,loss,accuracy,learning_rate,tasks,workers,bytes,wall_ms,compute_ms,load_ms,aggregate_ms,busbw_gbps\n"
        for r in history {
            let c = r.communication
            text += "\(r.step + 1),\(r.epoch + 1),\(r.examples),\(r.loss),\(r.accuracy),\(r.learningRate),"
            text += "\(c?.tasks ?? 0),\(c?.workers ?? 0),\(c?.bytes ?? 0),\(Self.fixed(c?.wallMs)),\(Self.fixed(c?.computeMs)),"
            text += "\(Self.fixed(c?.loadMs)),\(Self.fixed(c?.aggregateMs)),\(Self.fixed(c?.busbwGBps, digits: 4))\n"
        }
        return text
    }

    public func validationCSV() -> String {
        var text = "epoch,step,examples,loss,accuracy,auc,auc_error_bound\n"
        for e in evaluations {
            text += "\(e.epoch + 1),\(e.step),\(e.examples),\(e.loss),\(e.accuracy),"
            text += "\(e.auc.map { "\($0)" } ?? ""),\(e.aucErrorBound.map { "\($0)" } ?? "")\n"
        }
        return text
    }

    static func fixed(_ value: Double?, digits: Int = 3) -> String {
        String(format: "%.\(digits)f", value ?? 0)
    }

    /// Where a running job stands, for `shoal status`: the step, the last step's numbers and costs, the
    /// validation so far.
    public func progress() -> String {
        let epoch = min(state.step / plan.stepsPerEpoch, job.config.epochs - 1)
        var lines = ["step \(state.step) of \(totalSteps) done (epoch \(epoch + 1) of \(job.config.epochs))"
            + (resumedFrom.map { "; resumed from an earlier run's checkpoint after step \($0)" } ?? "")]
        if let last = history.last {
            var line = "last step: loss \(Self.fixed(last.loss, digits: 5)), accuracy \(Self.fixed(last.accuracy, digits: 4)), "
                + "learning rate \(last.learningRate)"
            if let c = last.communication {
                line += "; \(c.tasks) tasks on \(c.workers) workers, wall \(Self.fixed(c.wallMs, digits: 2)) ms, compute "
                    + "\(Self.fixed(c.computeMs, digits: 2)) ms, aggregation \(Self.fixed(c.aggregateMs, digits: 2)) ms, "
                    + "\(c.bytes) bytes moved, busbw \(Self.fixed(c.busbwGBps, digits: 4)) GB/s"
            }
            lines.append(line)
        }
        if let e = evaluations.last {
            lines.append(
                "validation after epoch \(e.epoch + 1): loss \(Self.fixed(e.loss, digits: 5)), accuracy "
                    + "\(Self.fixed(e.accuracy, digits: 4))" + (e.auc.map { ", AUC \(Self.fixed($0, digits: 4))" } ?? ""))
        }
        return lines.joined(separator: "\n")
    }

    /// What `shoal status` and `shoal run` print for a finished training job.
    public func summary(wallSeconds: Double) -> String {
        var lines: [String] = []
        let examples = history.reduce(0) { $0 + $1.examples }
        lines.append(
            "trained \(network.spec.name) on \(setup.encoding.width) inputs (\(network.parameterCount) parameters): "
                + "\(state.step) steps, \(job.config.epochs) epochs, \(examples) examples in \(Self.fixed(wallSeconds, digits: 2)) s")
        if let step = resumedFrom { lines.append("resumed from an earlier run's checkpoint after step \(step)") }
        if let last = history.last {
            lines.append("last step: loss \(Self.fixed(last.loss, digits: 5)), accuracy \(Self.fixed(last.accuracy, digits: 4))")
        }
        for e in evaluations {
            var line = "validation after epoch \(e.epoch + 1): loss \(Self.fixed(e.loss, digits: 5)), accuracy \(Self.fixed(e.accuracy, digits: 4))"
            if let auc = e.auc { line += ", AUC \(Self.fixed(auc, digits: 4))" }
            lines.append(line)
        }
        let measured = history.compactMap(\.communication).filter { $0.wallMs > 0 }
        if !measured.isEmpty {
            func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
            lines.append(
                "per step (median of \(measured.count)): wall \(Self.fixed(median(measured.map(\.wallMs)), digits: 2)) ms, "
                    + "compute \(Self.fixed(median(measured.map(\.computeMs)), digits: 2)) ms, "
                    + "aggregation \(Self.fixed(median(measured.map(\.aggregateMs)), digits: 2)) ms, "
                    + "\(median(measured.map { Double($0.bytes) }) / 1e3) kB moved, "
                    + "busbw \(Self.fixed(median(measured.map(\.busbwGBps)), digits: 4)) GB/s")
        }
        lines.append("model: \(job.output)/\(Self.modelName); history: \(job.output)/\(Self.historyName)")
        return lines.joined(separator: "\n")
    }
}
