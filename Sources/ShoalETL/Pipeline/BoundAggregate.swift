/// An `aggregate:` section bound to the columns the pipeline's rows have: group keys resolved, argument
/// expressions type-checked, result types known.
struct BoundAggregate: Sendable {
    struct BoundValue: Sendable {
        var name: String
        var function: AggregateFunction
        var argument: BoundExpression?
        var order: BoundExpression?
    }

    var keys: [(name: String, wide: Int)]
    var values: [BoundValue]
    /// The wide columns the aggregate reads, under the names its expressions know them by.
    var reads: [(name: String, wide: Int)]
    var keyTypes: [DataType]
    var kinds: [GroupedAggregate.ValueKind]

    init(_ spec: AggregateSpec, view: [(name: String, wide: Int)], wide: [Field]) throws(ETLPipeline.PlanError) {
        let schema = Schema(view.map { Field($0.name, wide[$0.wide].type) })
        keys = []
        for name in spec.groupBy {
            guard let found = view.first(where: { $0.name == name }) else {
                let hint = ETLPipeline.suggestion(name, among: view.map(\.name)).map { " (did you mean '\($0)'?)" } ?? ""
                throw ETLPipeline.PlanError(step: nil, key: "group_by", message: "unknown column '\(name)'\(hint)")
            }
            keys.append(found)
        }
        var reads = keys
        values = []
        for value in spec.values {
            func bind(_ text: String?) throws(ETLPipeline.PlanError) -> BoundExpression? {
                guard let text else { return nil }
                do { return try ParsedExpression.parse(text).bind(to: schema) } catch {
                    throw ETLPipeline.PlanError(step: nil, key: "values.\(value.name)", message: ETLPipeline.located(error))
                }
            }
            let argument = try bind(value.argument)
            let order = try bind(value.orderBy)
            switch value.function {
            case .sum, .mean, .variance, .stddev:
                guard let type = argument?.type, type.isNumeric || type == .bool else {
                    throw ETLPipeline.PlanError(
                        step: nil, key: "values.\(value.name)",
                        message: "\(value.function.rawValue) needs a number, but '\(value.argument ?? "")' is \(argument?.type.description ?? "missing")")
                }
            case .count:
                break
            case .min, .max, .countDistinct:
                guard argument != nil else {
                    throw ETLPipeline.PlanError(step: nil, key: "values.\(value.name)", message: "\(value.function.rawValue) needs an argument")
                }
            case .first, .last:
                guard argument != nil, order != nil else {
                    throw ETLPipeline.PlanError(
                        step: nil, key: "values.\(value.name)",
                        message: "\(value.function.rawValue)(value, key) needs the value and the key that orders the rows")
                }
            }
            for bound in [argument, order].compactMap({ $0 }) {
                for item in view where bound.columns.contains(item.name) && !reads.contains(where: { $0.name == item.name }) {
                    reads.append(item)
                }
            }
            values.append(BoundValue(name: value.name, function: value.function, argument: argument, order: order))
        }
        self.reads = reads
        keyTypes = keys.map { wide[$0.wide].type }
        kinds = values.map { GroupedAggregate.ValueKind($0.function, argumentType: $0.argument?.type) }
    }

    var valueNames: [String] { values.map(\.name) }

    func makePartial() -> GroupedAggregate { GroupedAggregate(keyTypes: keyTypes, kinds: kinds) }
}
