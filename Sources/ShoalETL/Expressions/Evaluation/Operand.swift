/// An intermediate result of evaluation: a whole column, or one value that stands for every row (a folded
/// constant, which lets kernels run the cheap column-op-literal loops).
enum Operand {
    case constant(Value)
    case vector(ColumnData, validity: [Bool]?)

    var isNullConstant: Bool { if case .constant(.null) = self { true } else { false } }

    /// The validity of a vector; `nil` (no nulls) for a constant. Null constants are handled before kernels
    /// ask for this.
    var validity: [Bool]? { if case .vector(_, let validity) = self { validity } else { nil } }

    /// Each row's validity as a lane: an array, or `true`/`false` for every row.
    var validityLane: Lane<Bool> {
        switch self {
        case .constant(let value): .scalar(!value.isNull)
        case .vector(_, let validity): validity.map { .array($0) } ?? .scalar(true)
        }
    }

    // The typed views below take null constants as their placeholder so that selection kernels can mix them in;
    // value kernels deal with null constants before reading.

    var ints: Lane<Int64> {
        switch self {
        case .constant(.int(let v)): .scalar(v)
        case .constant(.null): .scalar(0)
        case .vector(.int(let values), _): .array(values)
        default: preconditionFailure("expected int operand, got \(self)")
        }
    }

    var floats: Lane<Double> {
        switch self {
        case .constant(.float(let v)): .scalar(v)
        case .constant(.null): .scalar(0)
        case .vector(.float(let values), _): .array(values)
        default: preconditionFailure("expected float operand, got \(self)")
        }
    }

    var bools: Lane<Bool> {
        switch self {
        case .constant(.bool(let v)): .scalar(v)
        case .constant(.null): .scalar(false)
        case .vector(.bool(let values), _): .array(values)
        default: preconditionFailure("expected bool operand, got \(self)")
        }
    }

    var strings: StringLane {
        switch self {
        case .constant(.string(let s)): .scalar(StringColumn([s]))
        case .constant(.null): .scalar(StringColumn([""]))
        case .vector(.string(let values), _): .array(values)
        default: preconditionFailure("expected string operand, got \(self)")
        }
    }

    /// The operand as a full column of `count` rows with placeholders (0, false, "") in null slots, as
    /// `Column` documents. Copies a vector only when a null slot holds something else.
    func column(_ type: DataType, count: Int) -> Column {
        switch self {
        case .constant(let value):
            return Column.repeating(value, type, count: count)
        case .vector(var data, let validity):
            // Selections and division checks can leave an all-true validity; that is no nulls.
            guard let validity, !Kernel.allTrue(validity) else { return Column(data) }
            data.clearNullSlots(validity)
            return Column(data, validity: validity)
        }
    }

    /// `count` rows as arrays, a constant repeated.
    func vector(_ type: DataType, count: Int) -> (data: ColumnData, validity: [Bool]?) {
        switch self {
        case .vector(let data, let validity):
            return (data, validity)
        case .constant(let value):
            let column = Column.repeating(value, type, count: count)
            return (column.data, column.validity)
        }
    }
}
