/// What a training job fits: the `model` section of its job file.
///
/// - `linear`: one output, squared error (the loss reported is the mean squared error).
/// - `logistic`: one output, a probability through the sigmoid; binary log-loss; labels 0 or 1.
/// - `softmax`: one output per class; cross-entropy; labels 0 ..< classes.
/// - `mlp`: hidden dense layers with an activation, then one of the three heads above (`output`).
public struct ModelSpec: Codable, Sendable, Equatable {
    public enum Head: String, Codable, Sendable, CaseIterable {
        case linear, logistic, softmax
    }

    public enum Activation: String, Codable, Sendable, CaseIterable {
        case relu, tanh
    }

    public var head: Head
    /// Widths of the hidden layers, input side first; empty for the linear models.
    public var hidden: [Int]
    public var activation: Activation
    /// Classes of a softmax head (at least 2); 1 for the other heads.
    public var classes: Int

    public init(head: Head, hidden: [Int] = [], activation: Activation = .relu, classes: Int = 1) {
        precondition(head == .softmax ? classes >= 2 : classes == 1, "classes belong to softmax")
        precondition(hidden.allSatisfy { $0 > 0 }, "hidden layers have units")
        self.head = head
        self.hidden = hidden
        self.activation = activation
        self.classes = classes
    }

    /// The width of the last layer.
    public var outputs: Int { head == .softmax ? classes : 1 }

    /// How the job file names it: `logistic`, `mlp [256, 128] relu → softmax(10)`.
    public var name: String {
        let head = self.head == .softmax ? "softmax(\(classes))" : self.head.rawValue
        guard !hidden.isEmpty else { return head }
        return "mlp \(hidden) \(activation.rawValue) → \(head)"
    }
}
