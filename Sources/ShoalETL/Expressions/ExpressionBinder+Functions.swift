extension ExpressionBinder {
    /// Checks a call's name, arity and argument types, and converts the arguments to what the kernels take:
    /// floats for `log`, `exp`, `sqrt` and `pow`, one shared type for `min`, `max`, `coalesce` and `if`'s branches.
    func bindCall(_ name: String, _ arguments: [Node], _ node: Node) throws(ExpressionError) -> Typed {
        guard let function = ExpressionFunction(rawValue: name) else {
            let nameRange = node.range.lowerBound..<min(node.range.upperBound, node.range.lowerBound + name.count)
            let names = ExpressionFunction.allCases.map(\.rawValue)
            if let suggestion = NameSuggestion.closest(to: name, among: names) {
                throw error("unknown function '\(name)' (did you mean '\(suggestion)'?)", nameRange)
            }
            throw error("unknown function '\(name)' (the functions are \(names.sorted().joined(separator: ", ")))", nameRange)
        }
        try checkArity(function, arguments.count, node)
        var typed: [Typed] = []
        for argument in arguments { typed.append(try bind(argument)) }

        switch function {
        case .abs:
            try requireArgument(typed[0], arguments[0], function)
            guard let type = typed[0].type else { return .null }
            return call(function, [typed[0].plan], type)
        case .log, .exp, .sqrt:
            try requireArgument(typed[0], arguments[0], function)
            return call(function, [convert(typed[0], to: .float)], .float)
        case .pow:
            for (t, argument) in zip(typed, arguments) { try requireArgument(t, argument, function) }
            return call(function, typed.map { convert($0, to: .float) }, .float)
        case .lower, .upper, .length:
            if let type = typed[0].type, type != .string {
                throw error("'\(function.rawValue)' needs a string, got \(type)", arguments[0].range)
            }
            return call(function, [convert(typed[0], to: .string)], function == .length ? .int : .string)
        case .min, .max:
            guard let type = try sharedType(typed, arguments, function, what: "arguments") else { return .null }
            return call(function, typed.map { convert($0, to: type) }, type)
        case .coalesce:
            guard let type = try sharedType(typed, arguments, function, what: "arguments") else { return .null }
            // Nulls never win; nothing after a non-null constant is ever reached.
            var kept: [ExpressionPlan] = []
            for plan in typed.map({ convert($0, to: type) }) where !plan.isNullConstant {
                kept.append(plan)
                if plan.constantValue != nil { break }
            }
            if kept.isEmpty { return Typed(plan: .constant(.null, type), type: type) }
            if kept.count == 1 { return Typed(plan: kept[0], type: type) }
            return call(function, kept, type)
        case .if:
            if let type = typed[0].type, type != .bool {
                throw error("the condition of 'if' must be bool, got \(type)", arguments[0].range)
            }
            guard let type = try sharedType(Array(typed[1...]), Array(arguments[1...]), function, what: "branches")
            else { return .null }
            let condition = convert(typed[0], to: .bool)
            let then = convert(typed[1], to: type)
            let otherwise = convert(typed[2], to: type)
            // A null condition is not true, so it takes the else branch (as SQL's CASE WHEN does).
            if let decided = condition.constantValue { return Typed(plan: decided == .bool(true) ? then : otherwise, type: type) }
            return call(function, [condition, then, otherwise], type)
        }
    }

    private func call(_ function: ExpressionFunction, _ arguments: [ExpressionPlan], _ type: DataType) -> Typed {
        Typed(plan: ExpressionPlan.function(function, arguments, type).folded(), type: type)
    }

    private func checkArity(_ function: ExpressionFunction, _ count: Int, _ node: Node) throws(ExpressionError) {
        let (minimum, maximum) = function.arity
        let name = function.rawValue
        func arguments(_ n: Int) -> String { n == 1 ? "1 argument" : "\(n) arguments" }
        if let maximum, minimum == maximum, count != minimum {
            throw error("'\(name)' takes \(arguments(minimum)), got \(count)", node.range)
        }
        if count < minimum { throw error("'\(name)' takes at least \(arguments(minimum)), got \(count)", node.range) }
        if let maximum, count > maximum { throw error("'\(name)' takes at most \(arguments(maximum)), got \(count)", node.range) }
    }

    private func requireArgument(_ typed: Typed, _ node: Node, _ function: ExpressionFunction) throws(ExpressionError) {
        if let type = typed.type, !type.isNumeric {
            throw error("'\(function.rawValue)' needs a number, got \(type)", node.range)
        }
    }

    /// The one type all of `typed` can take (numbers mix as float); `nil` when all are bare nulls.
    private func sharedType(
        _ typed: [Typed], _ nodes: [Node], _ function: ExpressionFunction, what: String
    ) throws(ExpressionError) -> DataType? {
        var shared: DataType?
        for (t, node) in zip(typed, nodes) {
            guard let next = Self.common(shared, t.type) else {
                throw error("'\(function.rawValue)' \(what) must have the same type, got \(shared!) and \(t.type!)", node.range)
            }
            shared = next
        }
        return shared
    }
}
