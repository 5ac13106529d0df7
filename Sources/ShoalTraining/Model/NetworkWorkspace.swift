/// Buffers for passes over up to `capacity` rows of one network: every layer's outputs and two gradient
/// buffers that take turns flowing backwards. One per thread; reused from micro-batch to micro-batch so that a
/// step allocates nothing.
public final class NetworkWorkspace {
    public let capacity: Int
    /// Layer `l`'s outputs (after its activation; the last layer's are the logits), `capacity × widths[l + 1]`.
    let outputs: [UnsafeMutablePointer<Float>]
    var delta: UnsafeMutablePointer<Float>
    var spareDelta: UnsafeMutablePointer<Float>
    let scratch: UnsafeMutablePointer<Float>

    public init(network: Network, capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        outputs = network.widths.dropFirst().map { width in
            let p = UnsafeMutablePointer<Float>.allocate(capacity: capacity * width)
            p.initialize(repeating: 0, count: capacity * width)
            return p
        }
        let widest = network.widths.max()!
        delta = .allocate(capacity: capacity * widest)
        spareDelta = .allocate(capacity: capacity * widest)
        scratch = .allocate(capacity: capacity)
    }

    deinit {
        for p in outputs { p.deallocate() }
        delta.deallocate()
        spareDelta.deallocate()
        scratch.deallocate()
    }
}
