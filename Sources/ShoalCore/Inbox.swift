import Synchronization

/// A many-producer, one-consumer queue whose consumer takes everything queued at once.
///
/// The coordinator and the worker run their engines on it: whatever arrived while the engine was busy is
/// handled as one batch, and the batch ends with one store transaction and one flush of outgoing messages
/// (group commit). Idle, a batch is one item and nothing waits; under load batches grow by themselves, which is
/// what keeps per-message costs (a transaction, a send, a dispatch round) off the per-task path.
/// `AsyncStream` hands items over one at a time and cannot say whether more are waiting, hence this type.
///
/// Inlinable, so that the engines' modules specialize it for their input types: unspecialized, every `post`
/// looked up the generic metadata of its state at run time, a tenth of a worker's time per no-op task.
public final class Inbox<Element: Sendable>: Sendable {
    @usableFromInline
    struct State {
        @usableFromInline var items: [Element] = []
        @usableFromInline var waiter: CheckedContinuation<[Element]?, Never>?
        @usableFromInline var finished = false

        @inlinable init() {}
    }

    @usableFromInline
    let state = Mutex(State())

    @inlinable
    public init() {}

    /// Queues `element`, waking the consumer if it waits. Ignored after `finish()`.
    @inlinable
    public func post(_ element: Element) {
        let wake = state.withLock { state -> (CheckedContinuation<[Element]?, Never>, [Element])? in
            guard !state.finished else { return nil }
            guard let waiter = state.waiter else {
                state.items.append(element)
                return nil
            }
            state.waiter = nil
            return (waiter, [element])
        }
        if let (waiter, items) = wake { waiter.resume(returning: items) }
    }

    /// Ends the inbox: the consumer gets what is still queued, then `nil`.
    @inlinable
    public func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<[Element]?, Never>? in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// Everything queued, in order, waiting until there is something; `nil` once finished and drained.
    /// One consumer only.
    @inlinable
    public func next() async -> [Element]? {
        await withCheckedContinuation { (continuation: CheckedContinuation<[Element]?, Never>) in
            let ready = state.withLock { state -> [Element]?? in
                if !state.items.isEmpty {
                    defer { state.items.removeAll(keepingCapacity: true) }
                    return .some(state.items)
                }
                if state.finished { return .some(nil) }
                state.waiter = continuation
                return .none
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
