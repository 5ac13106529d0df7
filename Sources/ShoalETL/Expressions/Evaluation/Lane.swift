/// One operand's values as a kernel reads them: an array with a value per row, or one value for all rows.
enum Lane<T> {
    case array([T])
    case scalar(T)
}

/// A string operand as kernels read it: a column, or a one-string column whose row 0 stands for every row.
enum StringLane {
    case array(StringColumn)
    case scalar(StringColumn)
}
