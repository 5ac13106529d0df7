/// The steps of an ETL job, bound to the input schema and ready to run on batches.
///
/// Binding happens once (at submit time for checking, once per task on a worker): every expression is
/// type-checked against the columns visible at its step, and the pipeline works out which input columns the
/// job touches at all (`inputColumns`), so readers parse only those.
///
/// Columns live in a *wide* batch: every column the row ever had — input columns, derived ones — in creation
/// order. `select`, `drop` and `rename` change only which of them are *visible* (and under which name); they
/// copy nothing. Written rows are the visible columns after the last step; the aggregate sees every wide
/// column under the name it last had, after every filter (docs/etl.md, "Order of steps").
public struct ETLPipeline: Sendable {
    /// A step error, located: which step, and what is wrong.
    public struct PlanError: Error, Sendable, CustomStringConvertible {
        /// The step's position in `steps`, or nil for the aggregate / output sections.
        public var step: Int?
        /// Where in the step (a derive's column, `group_by`, a value's name), for the job file's key path.
        public var key: String?
        public var message: String
        public var description: String { message }
    }

    enum Operation: Sendable {
        case filter(BoundExpression)
        case derive(BoundExpression, target: Int)
        case cast(source: Int, type: DataType, target: Int)
        case fill(source: Int, value: Value, target: Int)
        case dropNull([Int])
        case hashBucket(source: Int, buckets: Int, target: Int)
        case oneHot(source: Int, categories: [[UInt8]], targets: [Int])
        /// A `standardize` / `min_max` column: `slot` indexes `scalings` and the pass's statistics.
        case scale(source: Int, slot: Int, target: Int)
    }

    /// The wide columns: name at creation and type.
    var wide: [Field]
    /// Per operation, the wide columns its expressions read, by the visible names they were bound to.
    var inputs: [[(name: String, wide: Int)]]
    var operations: [Operation]
    /// Wide columns still needed after each operation (by later operations, the output or the aggregate).
    var liveAfter: [Set<Int>]
    /// The visible columns at the end: written rows, in order.
    public private(set) var output: [(name: String, wide: Int)]
    /// What the aggregate may refer to: every wide column under the name it last had.
    var aggregateView: [(name: String, wide: Int)]
    /// The input columns the job reads, in input order: all a reader must parse.
    public private(set) var inputColumns: [String]
    let inputSchema: Schema
    let aggregate: BoundAggregate?
    /// The columns `standardize` and `min_max` steps scale, in step order: the statistics a first pass
    /// collects and the main pass applies.
    public private(set) var scalings: [Scaling]
    /// What scaling steps do on this pass (nil: the pipeline is only checked, not run with scaling steps).
    let scalingPass: ScalingPass?
    /// Whether the rows after the last step are wanted (not on a statistics pass).
    let writesRows: Bool

    /// The schema of written rows.
    public var outputSchema: Schema { Schema(output.map { Field($0.name, wide[$0.wide].type) }) }

    /// Binds `steps` (and `aggregate`, `partitionBy`) to `inputSchema`.
    /// - Parameters:
    ///   - scaling: what `standardize` / `min_max` steps do when the pipeline runs; required to run a job that
    ///     has them.
    ///   - writesRows: false for a statistics pass, which needs no written rows (fewer columns read).
    /// - Throws: `PlanError` for the first step at fault, with the expression error's caret text.
    public init(
        inputSchema: Schema, steps: [Step], aggregate: AggregateSpec?, partitionBy: [String] = [],
        scaling: ScalingPass? = nil, writesRows: Bool = true
    ) throws(PlanError) {
        self.inputSchema = inputSchema
        scalingPass = scaling
        self.writesRows = writesRows
        var wide = inputSchema.fields
        var visible: [(name: String, wide: Int)] = inputSchema.fields.enumerated().map { ($1.name, $0) }
        var everSeen: [String: Int] = [:]  // name → wide, for the aggregate view
        for (name, column) in visible { everSeen[name] = column }
        var lastName: [Int: String] = Dictionary(uniqueKeysWithValues: visible.map { ($0.wide, $0.name) })
        var operations: [Operation] = []
        var inputs: [[(name: String, wide: Int)]] = []
        var operationSteps: [Int] = []  // the step each operation comes from
        var scalings: [Scaling] = []
        var scaledBy: [Int: Int] = [:]  // wide column made by a scaling step → its slot

        func schema(_ view: [(name: String, wide: Int)]) -> Schema {
            Schema(view.map { Field($0.name, wide[$0.wide].type) })
        }
        func column(_ name: String, _ view: [(name: String, wide: Int)], step: Int, key: String?) throws(PlanError) -> Int {
            guard let found = view.first(where: { $0.name == name }) else {
                let hint = Self.suggestion(name, among: view.map(\.name)).map { " (did you mean '\($0)'?)" } ?? ""
                throw PlanError(step: step, key: key, message: "unknown column '\(name)'\(hint)")
            }
            return found.wide
        }
        func bind(_ text: String, _ view: [(name: String, wide: Int)], step: Int?, key: String?) throws(PlanError) -> BoundExpression {
            do {
                return try ParsedExpression.parse(text).bind(to: schema(view))
            } catch {
                throw PlanError(step: step, key: key, message: ETLPipeline.located(error))
            }
        }
        func reads(_ bound: BoundExpression, _ view: [(name: String, wide: Int)]) -> [(name: String, wide: Int)] {
            view.filter { bound.columns.contains($0.name) }
        }
        func addWide(_ name: String, _ type: DataType) -> Int {
            wide.append(Field(name, type))
            return wide.count - 1
        }
        func show(_ name: String, _ target: Int) {
            if let i = visible.firstIndex(where: { $0.name == name }) { visible[i].wide = target } else {
                visible.append((name, target))
            }
            lastName[target] = name
            everSeen[name] = target
        }

        for (index, step) in steps.enumerated() {
            switch step {
            case .filter(let text):
                let bound = try bind(text, visible, step: index, key: nil)
                guard bound.type == .bool else {
                    throw PlanError(step: index, key: nil, message: "a filter must be true or false, but '\(text)' is \(bound.type)")
                }
                operations.append(.filter(bound))
                inputs.append(reads(bound, visible))
            case .derive(let derived):
                for item in derived {
                    let bound = try bind(item.expression, visible, step: index, key: item.name)
                    let target = addWide(item.name, bound.type)
                    operations.append(.derive(bound, target: target))
                    inputs.append(reads(bound, visible))
                    show(item.name, target)
                }
            case .select(let names):
                var kept: [(name: String, wide: Int)] = []
                for name in names {
                    let source = try column(name, visible, step: index, key: name)
                    guard !kept.contains(where: { $0.name == name }) else {
                        throw PlanError(step: index, key: name, message: "'\(name)' is selected twice")
                    }
                    kept.append((name, source))
                }
                visible = kept
            case .drop(let names):
                for name in names {
                    _ = try column(name, visible, step: index, key: name)
                    visible.removeAll { $0.name == name }
                }
            case .rename(let renamings):
                for renaming in renamings {
                    let source = try column(renaming.from, visible, step: index, key: renaming.from)
                    guard renaming.from == renaming.to || !visible.contains(where: { $0.name == renaming.to }) else {
                        throw PlanError(step: index, key: renaming.from, message: "cannot rename to '\(renaming.to)': a column of that name exists")
                    }
                    let i = visible.firstIndex { $0.name == renaming.from }!
                    visible[i].name = renaming.to
                    lastName[source] = renaming.to
                    everSeen[renaming.to] = source
                }
            case .cast(let casts):
                for cast in casts {
                    let source = try column(cast.column, visible, step: index, key: cast.column)
                    let target = addWide(cast.column, cast.type)
                    operations.append(.cast(source: source, type: cast.type, target: target))
                    inputs.append([(cast.column, source)])
                    show(cast.column, target)
                }
            case .fillNull(let fills):
                for fill in fills {
                    let source = try column(fill.column, visible, step: index, key: fill.column)
                    let type = wide[source].type
                    guard let value = Self.convert(fill.value, to: type) else {
                        throw PlanError(step: index, key: fill.column, message: "cannot fill the \(type) column '\(fill.column)' with \(fill.value)")
                    }
                    let target = addWide(fill.column, type)
                    operations.append(.fill(source: source, value: value, target: target))
                    inputs.append([(fill.column, source)])
                    show(fill.column, target)
                }
            case .dropNull(let names):
                var sources: [Int] = []
                for name in names { sources.append(try column(name, visible, step: index, key: name)) }
                operations.append(.dropNull(sources))
                inputs.append(zip(names, sources).map { ($0, $1) })
            case .hashBucket(let name, let buckets):
                let source = try column(name, visible, step: index, key: name)
                let target = addWide("\(name)_bucket", .int)
                operations.append(.hashBucket(source: source, buckets: buckets, target: target))
                inputs.append([(name, source)])
                show("\(name)_bucket", target)
            case .oneHot(let name, let categories):
                let source = try column(name, visible, step: index, key: name)
                guard wide[source].type == .string || wide[source].type == .int || wide[source].type == .bool else {
                    throw PlanError(step: index, key: name, message: "one_hot needs a string, int or bool column; '\(name)' is \(wide[source].type)")
                }
                var targets: [Int] = []
                for category in categories {
                    let target = addWide("\(name)_\(category)", .int)
                    targets.append(target)
                    show("\(name)_\(category)", target)
                }
                operations.append(.oneHot(source: source, categories: categories.map { Array($0.utf8) }, targets: targets))
                inputs.append([(name, source)])
            case .standardize(let names), .minMax(let names):
                let kind: Scaling.Kind = if case .standardize = step { .standardize } else { .minMax }
                for (position, name) in names.enumerated() {
                    let source = try column(name, visible, step: index, key: name)
                    guard wide[source].type.isNumeric else {
                        throw PlanError(step: index, key: name, message: "\(kind.rawValue) needs an int or float column; '\(name)' is \(wide[source].type)")
                    }
                    guard !names[..<position].contains(name) else {
                        throw PlanError(step: index, key: name, message: "'\(name)' is listed twice")
                    }
                    let target = addWide(name, .float)
                    scaledBy[target] = scalings.count
                    operations.append(.scale(source: source, slot: scalings.count, target: target))
                    scalings.append(Scaling(step: index, column: name, kind: kind))
                    inputs.append([(name, source)])
                    show(name, target)
                }
            }
            operationSteps.append(contentsOf: repeatElement(index, count: operations.count - operationSteps.count))
        }
        // Every scaling step's statistics come from one first pass that runs the steps with scaling left out,
        // so up to the last scaling step nothing may read a scaled column: it would see other values there.
        if let lastScaling = scalings.last?.step {
            for (operation, step) in operationSteps.enumerated() where step < lastScaling {
                guard let read = inputs[operation].first(where: { scaledBy[$0.wide] != nil }) else { continue }
                let scaled = scalings[scaledBy[read.wide]!]
                throw PlanError(step: step, key: nil, message: "'\(read.name)' was scaled by \(scaled.kind.rawValue) at step \(scaled.step + 1), and step \(lastScaling + 1) scales again: the statistics of every scaling step come from one first pass without scaling, so until the last standardize/min_max no step may read a scaled column; move this step after it")
            }
        }
        let output = visible
        let aggregateView = everSeen.map { ($0.key, $0.value) }.filter { lastName[$0.1] == $0.0 }.sorted { $0.1 < $1.1 }

        // The aggregate binds against every column the row had.
        let boundAggregate = try aggregate.map { spec throws(PlanError) in try BoundAggregate(spec, view: aggregateView, wide: wide) }
        for name in partitionBy where !output.contains(where: { $0.name == name }) {
            throw PlanError(step: nil, key: "partition_by", message: "unknown output column '\(name)' (written columns: \(output.map(\.name).joined(separator: ", ")))")
        }

        // Liveness, backwards: what the output and the aggregate need, plus what each operation reads.
        var live = writesRows ? Set(output.map(\.wide)) : []
        if let boundAggregate { live.formUnion(boundAggregate.reads.map(\.wide)) }
        var liveAfter = [Set<Int>](repeating: [], count: operations.count)
        for index in operations.indices.reversed() {
            liveAfter[index] = live
            switch operations[index] {
            case .derive(_, let target), .cast(_, _, let target), .fill(_, _, let target), .hashBucket(_, _, let target),
                 .scale(_, _, let target):
                live.remove(target)
            case .oneHot(_, _, let targets):
                live.subtract(targets)
            case .filter, .dropNull:
                break
            }
            live.formUnion(inputs[index].map(\.wide))
        }
        self.wide = wide
        self.operations = operations
        self.inputs = inputs
        self.liveAfter = liveAfter
        self.output = output
        self.aggregateView = aggregateView
        self.aggregate = boundAggregate
        self.scalings = scalings
        inputColumns = inputSchema.fields.indices.filter { live.contains($0) }.map { inputSchema.fields[$0].name }
    }

    /// An expression error as a job file error's message: the message, then the expression with its caret.
    static func located(_ error: ExpressionError) -> String {
        let text = error.rendered()
        return text.hasPrefix("error: ") ? String(text.dropFirst(7)) : text
    }

    static func suggestion(_ name: String, among names: [String]) -> String? {
        NameSuggestion.closest(to: name, among: names)
    }

    /// `value` as a value of `type`, when it is one (ints widen to floats).
    static func convert(_ value: Value, to type: DataType) -> Value? {
        switch (value, type) {
        case (.int, .int), (.float, .float), (.bool, .bool), (.string, .string): value
        case (.int(let v), .float): .float(Double(v))
        default: nil
        }
    }
}
