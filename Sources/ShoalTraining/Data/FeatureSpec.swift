/// One entry of a training job's `features` list: a column, and how it becomes model inputs.
///
/// - a column name: a numeric column (int, float or bool) taken as it is;
/// - `{ standardize: name }`: a numeric column shifted and scaled to mean 0 and standard deviation 1 over the
///   training data (statistics computed by the cluster in a first pass);
/// - `{ one_hot: name }`: a categorical column (any type, its values as text), one input per category seen in
///   the training data, in sorted order; a value not seen there encodes as all zeros.
public enum FeatureSpec: Codable, Sendable, Hashable, CustomStringConvertible {
    case numeric(String)
    case standardize(String)
    case oneHot(String)

    public var column: String {
        switch self {
        case .numeric(let c), .standardize(let c), .oneHot(let c): c
        }
    }

    public var description: String {
        switch self {
        case .numeric(let c): c
        case .standardize(let c): "{ standardize: \(c) }"
        case .oneHot(let c): "{ one_hot: \(c) }"
        }
    }
}
