import Synchronization

/// Process-unique `inproc://` endpoint names for the module's internal socket pairs.
enum InprocName {
    private static let counter = Atomic<Int>(0)

    static func unique(_ prefix: String) -> String {
        "inproc://\(prefix)-\(counter.add(1, ordering: .relaxed).newValue)"
    }
}
