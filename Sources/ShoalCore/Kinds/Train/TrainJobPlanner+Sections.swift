import Foundation
import ShoalETL
import ShoalTraining

extension TrainJobPlanner {
    static let dataKeys = ["train", "validation", "features", "label"]
    static let modelKeys = ["type", "hidden", "activation", "output", "classes"]
    static let optimizerKeys = ["type", "lr", "momentum", "nesterov", "beta1", "beta2", "eps", "weight_decay", "schedule"]
    static let scheduleKeys = ["type", "every_steps", "gamma", "min_lr", "warmup_steps"]

    /// Reads and checks the whole job file.
    static func parse(_ job: JobFile) throws(JobFileError) -> TrainJob {
        let reader = try job.reader(keys: keys)
        let data = try Self.data(reader, workingDirectory: job.workingDirectory)
        let model = try Self.model(reader)
        let optimizer = try Self.optimizer(reader)
        let batchSize = try reader.requiredInt("batch_size", range: 1...100_000_000)
        let microBatchSize = try reader.optionalInt("micro_batch_size", range: 1...1_000_000) ?? min(256, batchSize)
        guard microBatchSize <= batchSize else {
            throw reader.error("a micro-batch of \(microBatchSize) rows does not fit a batch of \(batchSize)", key: "micro_batch_size")
        }
        let epochs = try reader.requiredInt("epochs", range: 1...1_000_000)
        let seed = try reader.optionalInt("seed", range: 0...Int.max) ?? 0
        let deterministic = try reader.optionalBool("deterministic") ?? true
        // The least the model can be, each feature one input (a one-hot column is as wide as its values, known
        // after the statistics pass): a hidden layer of 65,536 × 65,536 is refused here, not allocated later.
        if let problem = GradientFile.sizeProblem(
            parameters: Network(spec: model, inputs: max(data.features.count, 1)).parameterCount, fixedPoint: deterministic)
        {
            throw reader.error(problem, key: "model")
        }
        var checkpointEvery = 200
        if let section = try reader.optionalMapping("checkpoint", keys: ["every_steps"]) {
            checkpointEvery = try section.requiredInt("every_steps", range: 1...100_000_000)
        }
        var backupWorkers = 0
        if let section = try reader.optionalMapping("aggregation", keys: ["backup_workers"]) {
            backupWorkers = try section.optionalInt("backup_workers", range: 0...1024) ?? 0
        }
        let output = LexicalPath.absolute(try reader.requiredString("output"), in: job.workingDirectory)
        let config = TrainingConfig(
            model: model, optimizer: optimizer, batchSize: batchSize, microBatchSize: microBatchSize, epochs: epochs,
            seed: UInt64(seed), deterministic: deterministic)
        return TrainJob(
            name: job.name, data: data, config: config, checkpointEvery: checkpointEvery, output: output,
            backupWorkers: backupWorkers)
    }

    // MARK: - data

    static func data(_ reader: YAMLMappingReader, workingDirectory: String) throws(JobFileError) -> DataSpec {
        guard let section = try reader.optionalMapping("data", keys: dataKeys) else {
            throw reader.error("missing required key", key: "data")
        }
        var (train, overrides, sampleRows) = try ETLJobPlanner.input(section, key: "train", workingDirectory: workingDirectory)
        if try section.optionalMapping("train", keys: ETLJobPlanner.inputKeys)?.contains("shard_size") != true {
            train.shardBytes = defaultShardBytes
        }
        try checkCSV(train, section, key: "train")
        var validationSection: (InputSpec, [String: DataType], Int)?
        if section.contains("validation") {
            var read = try ETLJobPlanner.input(section, key: "validation", workingDirectory: workingDirectory)
            try checkCSV(read.0, section, key: "validation")
            // Small shards here too: validation runs beside a step, spread over the workers.
            if try section.optionalMapping("validation", keys: ETLJobPlanner.inputKeys)?.contains("shard_size") != true {
                read.0.shardBytes = defaultShardBytes
            }
            validationSection = read
        }
        let validation = validationSection?.0
        let features = try Self.features(section)
        let label = try section.requiredString("label")
        // One-hot columns are read as text, whatever they look like.
        for case .oneHot(let column) in features { overrides[column] = .string }
        let schema: Schema
        do {
            schema = try ETLInputPlanning.schema(of: train, overrides: overrides, sampleRows: sampleRows)
        } catch {
            throw section.error("\(error)", key: "train")
        }
        try checkColumns(features: features, label: label, schema: schema, section: section)
        var validationSchema: Schema?
        if let (validation, validationOverrides, validationSample) = validationSection {
            let path = validation.paths[0]
            let header: CSVHeader
            do { header = try CSVHeader.read(path: path, options: ETLInputPlanning.csvOptions(validation)) } catch {
                throw section.error("\(error)", key: "validation")
            }
            let missing = (features.map(\.column) + [label]).filter { !header.names.contains($0) }
            if !missing.isEmpty {
                throw section.error(
                    "\(path) has no column \(missing.map { "\"\($0)\"" }.joined(separator: ", ")) (columns: "
                        + "\(header.names.joined(separator: ", ")))", key: "validation")
            }
            var types = validationOverrides
            for case .oneHot(let column) in features { types[column] = .string }
            let read: Schema
            do {
                read = try ETLInputPlanning.schema(of: validation, overrides: types, sampleRows: validationSample)
            } catch {
                throw section.error("\(error)", key: "validation")
            }
            let numeric = features.filter { if case .oneHot = $0 { false } else { true } }.map(\.column) + [label]
            for column in numeric where read[column]?.type == .string {
                throw section.error("column \"\(column)\" of \(path) holds text; the model takes a number there", key: "validation")
            }
            validationSchema = read
        }
        return DataSpec(
            train: train, validation: validation, features: features, label: label, schema: schema.fields,
            validationSchema: validationSchema?.fields)
    }

    static func checkCSV(_ input: InputSpec, _ section: YAMLMappingReader, key: String) throws(JobFileError) {
        guard input.format == .csv else {
            throw section.error("training reads csv files (convert JSON Lines with an etl job first)", key: key)
        }
        guard input.onBadRow != .quarantine else {
            throw section.error("training takes on_bad_row: fail or skip (skipped rows are counted)", key: key)
        }
    }

    static func features(_ section: YAMLMappingReader) throws(JobFileError) -> [FeatureSpec] {
        guard let node = section.presentValue("features") else { throw section.error("missing required key", key: "features") }
        guard case .sequence(let elements) = node.content, !elements.isEmpty else {
            throw section.error("expected a list of features (column names, { one_hot: col }, { standardize: col })", key: "features")
        }
        var features: [FeatureSpec] = []
        for (index, element) in elements.enumerated() {
            let path = "data.features[\(index)]"
            switch element.content {
            case .scalar(let text, let scalar) where scalar != .null && !text.isEmpty:
                features.append(.numeric(text))
            case .mapping:
                let entry = try YAMLMappingReader(element, source: section.source, keyPath: path)
                try entry.checkKeys(["one_hot", "standardize"])
                guard entry.keys.count == 1 else {
                    throw entry.error("a feature is a column name, { one_hot: column } or { standardize: column }")
                }
                if let column = try entry.optionalString("one_hot") {
                    features.append(.oneHot(column))
                } else {
                    features.append(.standardize(try entry.requiredString("standardize")))
                }
            default:
                throw section.error("a feature is a column name, { one_hot: column } or { standardize: column }", key: "features", element: index)
            }
        }
        var seen: Set<String> = []
        for (index, feature) in features.enumerated() where !seen.insert(feature.column).inserted {
            throw section.error("column \"\(feature.column)\" is listed twice", key: "features", element: index)
        }
        return features
    }

    static func checkColumns(features: [FeatureSpec], label: String, schema: Schema, section: YAMLMappingReader) throws(JobFileError) {
        for (index, feature) in features.enumerated() {
            guard let field = schema[feature.column] else {
                let hint = NameSuggestion.closest(to: feature.column, among: schema.names).map { "; did you mean '\($0)'?" }
                    ?? " (columns: \(schema.names.joined(separator: ", ")))"
                throw section.error("no column \"\(feature.column)\" in the training data\(hint)", key: "features", element: index)
            }
            if case .oneHot = feature { continue }
            guard field.type != .string else {
                throw section.error(
                    "column \"\(feature.column)\" holds text, and a feature must be a number; encode it with"
                        + " { one_hot: \(feature.column) }", key: "features", element: index)
            }
        }
        guard let field = schema[label] else {
            let hint = NameSuggestion.closest(to: label, among: schema.names).map { "; did you mean '\($0)'?" } ?? ""
            throw section.error("no column \"\(label)\" in the training data\(hint)", key: "label")
        }
        guard field.type != .string else {
            throw section.error("the label column \"\(label)\" holds text; labels are numbers (class indices for softmax)", key: "label")
        }
        if features.contains(where: { $0.column == label }) {
            throw section.error("the label \"\(label)\" is also a feature: the model would see the answer", key: "label")
        }
    }

    // MARK: - model and optimizer

    static func model(_ reader: YAMLMappingReader) throws(JobFileError) -> ModelSpec {
        guard let section = try reader.optionalMapping("model", keys: modelKeys) else {
            throw reader.error("missing required key", key: "model")
        }
        let type = try section.requiredString("type")
        let classes = try section.optionalInt("classes", range: 2...1_000_000)
        func head(_ name: String, key: String) throws(JobFileError) -> ModelSpec.Head {
            guard let head = ModelSpec.Head(rawValue: name) else {
                throw section.error("expected linear, logistic or softmax, got '\(name)'", key: key)
            }
            if head == .softmax && classes == nil {
                throw section.error("a softmax model needs classes: the number of classes (labels 0 … classes − 1)")
            }
            if head != .softmax && classes != nil {
                throw section.error("classes belongs to softmax models", key: "classes")
            }
            return head
        }
        switch type {
        case "linear", "logistic", "softmax":
            for key in ["hidden", "activation", "output"] where section.contains(key) {
                throw section.error("\(key) belongs to mlp models", key: key)
            }
            let h = try head(type, key: "type")
            return ModelSpec(head: h, classes: h == .softmax ? classes! : 1)
        case "mlp":
            guard let hidden = try section.optionalIntList("hidden", range: 1...65_536), !hidden.isEmpty else {
                throw section.error("an mlp needs hidden: the widths of its hidden layers, e.g. [256, 128]", key: "hidden")
            }
            var activation = ModelSpec.Activation.relu
            if let text = try section.optionalString("activation") {
                guard let known = ModelSpec.Activation(rawValue: text) else {
                    throw section.error("expected relu or tanh, got '\(text)'", key: "activation")
                }
                activation = known
            }
            let h = try head(try section.optionalString("output") ?? "logistic", key: "output")
            return ModelSpec(head: h, hidden: hidden, activation: activation, classes: h == .softmax ? classes! : 1)
        default:
            throw section.error("expected linear, logistic, softmax or mlp, got '\(type)'", key: "type")
        }
    }

    static func optimizer(_ reader: YAMLMappingReader) throws(JobFileError) -> OptimizerSpec {
        guard let section = try reader.optionalMapping("optimizer", keys: optimizerKeys) else {
            throw reader.error("missing required key", key: "optimizer")
        }
        let text = try section.requiredString("type")
        guard let kind = OptimizerSpec.Kind(rawValue: text) else {
            throw section.error("expected sgd, adam or adamw, got '\(text)'", key: "type")
        }
        guard let lr = try section.optionalDouble("lr", range: 1e-12...1e6), lr > 0 else {
            throw section.error("missing required key: the learning rate, e.g. lr: 0.01", key: "lr")
        }
        if kind != .sgd {
            for key in ["momentum", "nesterov"] where section.contains(key) {
                throw section.error("\(key) belongs to sgd (adam has beta1)", key: key)
            }
        } else {
            for key in ["beta1", "beta2", "eps"] where section.contains(key) {
                throw section.error("\(key) belongs to adam and adamw", key: key)
            }
        }
        let momentum = try section.optionalDouble("momentum", range: 0...0.999_999) ?? 0
        let nesterov = try section.optionalBool("nesterov") ?? false
        if nesterov && momentum == 0 { throw section.error("nesterov needs a momentum above 0", key: "nesterov") }
        return OptimizerSpec(
            kind: kind, learningRate: lr, momentum: momentum, nesterov: nesterov,
            beta1: try section.optionalDouble("beta1", range: 0...0.999_999) ?? 0.9,
            // The optimizer computes in Float, whose largest value below 1 is 1 − 2⁻²⁴: a beta2 of 0.99999999
            // would be 1 there (no second moment at all), and the first step would diverge.
            beta2: try section.optionalDouble("beta2", range: 0...0.999_999_9) ?? 0.999,
            epsilon: try section.optionalDouble("eps", range: 1e-30...1) ?? 1e-8,
            weightDecay: try section.optionalDouble("weight_decay", range: 0...1e6),
            schedule: try schedule(section))
    }

    static func schedule(_ section: YAMLMappingReader) throws(JobFileError) -> LearningRateSchedule {
        guard let node = section.presentValue("schedule") else { return LearningRateSchedule() }
        let known = "constant, step, cosine or warmup"
        if case .scalar(let text, _) = node.content {
            switch text {
            case "constant": return LearningRateSchedule()
            case "cosine": return LearningRateSchedule(kind: .cosine)
            case "step", "warmup":
                throw section.error("a \(text) schedule needs its settings: schedule: { type: \(text), \(text == "step" ? "every_steps: N, gamma: 0.1" : "warmup_steps: N") }", key: "schedule")
            default: throw section.error("expected \(known), got '\(text)'", key: "schedule")
            }
        }
        guard let schedule = try section.optionalMapping("schedule", keys: scheduleKeys) else { return LearningRateSchedule() }
        let type = try schedule.requiredString("type")
        let warmup = try schedule.optionalInt("warmup_steps", range: 0...100_000_000) ?? 0
        let minimum = try schedule.optionalDouble("min_lr", range: 0...1e6) ?? 0
        switch type {
        case "constant": return LearningRateSchedule(warmupSteps: warmup)
        case "warmup":
            guard warmup > 0 else { throw schedule.error("a warmup schedule needs warmup_steps above 0", key: "warmup_steps") }
            return LearningRateSchedule(warmupSteps: warmup)
        case "cosine": return LearningRateSchedule(kind: .cosine, minimumRate: minimum, warmupSteps: warmup)
        case "step":
            return LearningRateSchedule(
                kind: .step, everySteps: try schedule.requiredInt("every_steps", range: 1...100_000_000),
                gamma: try schedule.optionalDouble("gamma", range: 0...1) ?? 0.1, warmupSteps: warmup)
        default: throw schedule.error("expected \(known), got '\(type)'", key: "type")
        }
    }
}
