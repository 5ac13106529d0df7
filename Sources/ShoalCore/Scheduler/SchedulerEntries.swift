import ShoalProtocol
import ZeroMQ

/// A job as the scheduler tracks it.
struct JobEntry: Sendable {
    var descriptor: JobDescriptor
    var state: JobState
    var error: String?
    var taskCount: Int
    /// The stage running (see `Scheduler.addStage`).
    var stage = 0
    /// Whether another stage follows this one: when its tasks have all committed the job waits for it.
    var moreStages = false
    /// The stage committed and `.stageCompleted` went out; the job waits for `addStage` or `failJob`.
    var awaitingStage = false
    var counts = TaskCounts()
    /// Attempts that counted against their tasks, over the whole job.
    var retries = 0
    /// Tasks ready to start: retries at the front.
    var queue = TaskQueue()
    /// Runtimes of committed attempts, for the speculation median.
    var runtimes = RuntimeSample()
    /// Input bytes of the committed tasks.
    var committedBytes: UInt64 = 0
    /// The worker that last started a task of each affinity (`PlannedTask.affinity`).
    var affinityOwners: [Int: WorkerID] = [:]
    /// Some task of the job has an affinity.
    var hasAffinity = false
    /// The tasks of the stage running, for dropping their specs when the next stage comes.
    var stageTasks: [TaskID] = []

    var id: JobID { descriptor.id }

    init(_ descriptor: JobDescriptor, state: JobState, taskCount: Int) {
        self.descriptor = descriptor
        self.state = state
        self.taskCount = taskCount
    }
}

/// How many of a job's tasks are in each state.
public struct TaskCounts: Sendable, Equatable, Codable {
    public var queued = 0
    public var running = 0
    public var succeeded = 0
    public var failed = 0
    public var cancelled = 0

    public init() {}
}

/// A task as the scheduler tracks it.
struct TaskEntry: Sendable {
    let id: TaskID
    let job: JobID
    let index: Int
    let label: String
    /// Emptied once the task's stage is done (`Scheduler.addStage`): it is not sent again.
    var spec: Frame
    /// `PlannedTask.attachments`, emptied with the spec.
    var attachments: [Frame]
    let inputBytes: UInt64
    let stage: Int
    let affinity: Int?
    let backups: Int
    let ephemeral: Bool
    var state: TaskState
    var lastAttempt: UInt32
    var failures: Int
    var lastError: String?
    /// The attempts that may still commit, by attempt number (more than one while a speculative copy runs).
    var live = LiveAttempts()
    /// The attempt whose outputs the shell is committing.
    var committing: CommittingAttempt?
    /// Whether a speculative copy was already started for this task.
    var speculated = false

    init(_ descriptor: TaskDescriptor, job: JobID) {
        id = descriptor.id
        self.job = job
        index = descriptor.index
        label = descriptor.label
        spec = descriptor.spec
        attachments = descriptor.attachments
        state = descriptor.state
        lastAttempt = descriptor.lastAttempt
        failures = descriptor.failures
        inputBytes = descriptor.inputBytes
        stage = descriptor.stage
        affinity = descriptor.affinity
        backups = descriptor.backups
        ephemeral = descriptor.ephemeral
    }

    /// Leases a new attempt to `worker`: the task runs, under the next attempt number. Returns the attempt.
    mutating func startAttempt(on worker: WorkerID, now: ContinuousClock.Instant, speculative: Bool) -> TaskRef {
        lastAttempt += 1
        state = .running
        if speculative { speculated = true }
        live.insert(LiveAttempt(worker: worker, startedAt: now, now: now, speculative: speculative), as: lastAttempt)
        return TaskRef(taskID: id, attempt: lastAttempt)
    }

    /// `attempt` succeeded: its outputs go to the shell to commit, and the task waits for that.
    mutating func beginCommit(_ attempt: TaskRef, _ committing: CommittingAttempt, outputs: [NamedFrame])
        -> AttemptCommit
    {
        live.remove(attempt.attempt)
        state = .committing
        self.committing = committing
        return AttemptCommit(
            task: attempt, job: job, index: index, stage: stage, worker: committing.worker, outputs: outputs,
            counters: committing.counters, logTail: committing.logTail, runtime: committing.runtime,
            ephemeral: ephemeral)
    }

    /// The committing attempt's outputs are committed: the task succeeded. Returns the attempts still live
    /// (speculative copies), which lose, by attempt number.
    mutating func finishCommit() -> [LiveAttempts.Element] {
        state = .succeeded
        committing = nil
        // Nearly always none (no speculative copy ran): then nothing is copied out or written over.
        guard !live.isEmpty else { return [] }
        defer { live = LiveAttempts() }
        return live.sorted { $0.key < $1.key }
    }
}

/// A task's live attempts by attempt number, with a dictionary's interface. Almost every task has one at a time,
/// held inline: a `Dictionary` would allocate storage for each task leased, and free it again at its result —
/// on the scheduling benchmark's path twice per task.
struct LiveAttempts: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    typealias Element = (key: UInt32, value: LiveAttempt)

    /// The first attempt's number, `nil` when none is live. The head is kept as two stored fields, not an
    /// optional (number, attempt) pair: reading through such an optional copied the whole pair out (and retained
    /// its worker's name) on every lookup, which `perf` showed on each result and for each attempt a status poll
    /// counts.
    private var headNumber: UInt32?
    /// The first attempt; unread while `headNumber` is nil (then `LiveAttempt.none`, or the last one removed).
    private var headAttempt = LiveAttempt.none
    /// The others (a speculative copy, a backup), by attempt number.
    private var rest: [Element] = []

    init() {}

    init(dictionaryLiteral elements: (UInt32, LiveAttempt)...) {
        for (number, attempt) in elements { self[number] = attempt }
    }

    var isEmpty: Bool { headNumber == nil }
    var count: Int { headNumber == nil ? 0 : 1 + rest.count }
    /// One of them (the only one, nearly always).
    var first: Element? { headNumber.map { ($0, headAttempt) } }

    subscript(number: UInt32) -> LiveAttempt? {
        get {
            if headNumber == number { return headAttempt }
            return rest.first { $0.key == number }?.value
        }
        set {
            if let newValue {
                insert(newValue, as: number)
            } else {
                remove(number)
            }
        }
    }

    // `insert` and `remove` are what the per-task path calls: through the subscript's optional, each lease and
    // each result went through the generic optional's value witnesses (a tenth of `dispatch` in `perf`).

    /// Adds or replaces attempt `number`.
    mutating func insert(_ attempt: LiveAttempt, as number: UInt32) {
        if headNumber == nil || headNumber == number {
            headNumber = number
            headAttempt = attempt
        } else if let index = rest.firstIndex(where: { $0.key == number }) {
            rest[index].value = attempt
        } else {
            rest.append((number, attempt))
            rest.sort { $0.key < $1.key }
        }
    }

    /// Removes attempt `number`, if live.
    mutating func remove(_ number: UInt32) {
        if headNumber == number {
            if rest.isEmpty {
                // The attempt stays in `headAttempt` until the next insert replaces it (unread while `headNumber`
                // is nil): writing a placeholder over it cost a copy per result.
                headNumber = nil
            } else {
                (headNumber, headAttempt) = rest.removeFirst()
            }
        } else if let index = rest.firstIndex(where: { $0.key == number }) {
            rest.remove(at: index)
        }
    }

    /// When attempt `number` started, if it is live on `worker`: what a result needs, read where it lies.
    func startedAt(_ number: UInt32, on worker: WorkerID) -> ContinuousClock.Instant? {
        if headNumber == number { return headAttempt.worker == worker ? headAttempt.startedAt : nil }
        guard let index = rest.firstIndex(where: { $0.key == number }), rest[index].value.worker == worker else {
            return nil
        }
        return rest[index].value.startedAt
    }

    /// When attempt `number` started and the records and bytes it reported, read where they lie.
    func counts(_ number: UInt32) -> (startedAt: ContinuousClock.Instant, records: UInt64, bytes: UInt64)? {
        if headNumber == number {
            return (headAttempt.startedAt, headAttempt.progress.records, headAttempt.progress.bytes)
        }
        guard let index = rest.firstIndex(where: { $0.key == number }) else { return nil }
        return (rest[index].value.startedAt, rest[index].value.progress.records, rest[index].value.progress.bytes)
    }

    @discardableResult
    mutating func removeValue(forKey number: UInt32) -> LiveAttempt? {
        guard let removed = self[number] else { return nil }
        remove(number)
        return removed
    }

    func makeIterator() -> IndexingIterator<[Element]> {
        guard let headNumber else { return [].makeIterator() }
        return ([(headNumber, headAttempt)] + rest).makeIterator()
    }
}

/// An attempt running on a worker.
struct LiveAttempt: Sendable {
    let worker: WorkerID
    let startedAt: ContinuousClock.Instant
    var lastProgressAt: ContinuousClock.Instant
    var progress: TaskProgress
    var speculative = false

    init(worker: WorkerID, startedAt: ContinuousClock.Instant, now: ContinuousClock.Instant, speculative: Bool = false) {
        self.worker = worker
        self.startedAt = startedAt
        self.lastProgressAt = now
        self.progress = TaskProgress(task: TaskRef(taskID: 0, attempt: 0), records: 0, bytes: 0)
        self.speculative = speculative
    }

    /// The placeholder of an empty `LiveAttempts`, made afresh from constants: copying a stored one (its strings
    /// and array retained) for every task entry made showed in `perf`.
    static var none: LiveAttempt { LiveAttempt(worker: "", startedAt: epoch, now: epoch) }

    private static let epoch = ContinuousClock.now
}

/// The succeeded attempt of a task whose outputs are being committed.
struct CommittingAttempt: Sendable {
    let attempt: TaskRef
    let worker: WorkerID
    let runtime: Duration
    let logTail: String
    let counters: [Counter]
}

/// A worker as the scheduler tracks it.
struct WorkerEntry: Sendable {
    let id: WorkerID
    var slots = 0
    var kinds: Set<String> = []
    /// Attempts occupying its slots, including ones being cancelled, each with the number of the lease that
    /// gave it (`leases`; 0 for a lease reloaded after a restart).
    var attempts: [TaskRef: UInt64] = [:]
    /// Leases made to this worker so far.
    var leases: UInt64 = 0
    /// `leases` when its last HELLO was handled. Attempts leased after that (numbered above it) were sent while
    /// a HELLO may have been in flight, which cannot list them: a repeated HELLO does not count them as vanished.
    var leasesAtHello: UInt64 = 0
    /// When it was last heard from. Hearing from it makes it reachable again.
    var lastSeen: ContinuousClock.Instant {
        didSet { unreachable = false }
    }
    /// A TASK to it could not be sent: its connection is gone (`Scheduler.undelivered`). It gets no leases until
    /// it is heard from again — over its new connection — or the heartbeat timeout declares it dead: its credit
    /// came back with the undelivered attempts, and leasing them to it again failed again at once, a loop that
    /// wrote ~200,000 unreported attempts in the 5 s before a worker killed mid-job was declared dead.
    var unreachable = false
    /// False for a worker known only from a lease reloaded after a restart, until it says HELLO.
    var registered = false
    var draining = false
    var dismissed = false
    var info: WorkerRegistration?

    init(placeholderFor id: WorkerID, now: ContinuousClock.Instant) {
        self.id = id
        self.lastSeen = now
    }

    var credit: Int { registered && !draining && !unreachable ? max(0, slots - attempts.count) : 0 }
}

/// A FIFO of task ids with retries put first; amortised O(1) at both ends.
///
/// Membership is the `members` set: an id removed (a reloaded lease took it) or queued again later may leave a
/// stale copy in the arrays, which `popFirst` skips, so no task is ever handed out twice.
struct TaskQueue: Sendable {
    private var front: [TaskID] = []  // retries, newest last (popped first)
    private var items: [TaskID] = []
    private var head = 0
    private var members = IDSet()

    var count: Int { members.count }
    var isEmpty: Bool { members.isEmpty }

    mutating func append(_ id: TaskID) {
        if members.insert(id) { items.append(id) }
    }

    mutating func pushFront(_ id: TaskID) {
        if members.insert(id) { front.append(id) }
    }

    mutating func reserveCapacity(_ capacity: Int) {
        items.reserveCapacity(capacity)
        members.reserveCapacity(capacity)
    }

    /// Takes `id` out of the queue wherever it is.
    mutating func remove(_ id: TaskID) { members.remove(id) }

    /// Takes out the first task, in `popFirst` order, that `wanted` accepts.
    mutating func popFirst(where wanted: (TaskID) -> Bool) -> TaskID? {
        // Taken tasks stay in the arrays until passed: skip (and drop) them first, or every later scan would
        // walk the whole history of the queue.
        while let last = front.last, !members.contains(last) { front.removeLast() }
        while head < items.count && !members.contains(items[head]) { head += 1 }
        if head > 4096 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        for id in front.reversed() where members.contains(id) && wanted(id) {
            members.remove(id)
            return id
        }
        for id in items[head...] where members.contains(id) && wanted(id) {
            members.remove(id)
            return id
        }
        return nil
    }

    mutating func popFirst() -> TaskID? {
        while let id = front.popLast() {
            if members.remove(id) { return id }
        }
        while head < items.count {
            let id = items[head]
            head += 1
            if head > 4096 && head * 2 > items.count {
                items.removeFirst(head)
                head = 0
            }
            if members.remove(id) { return id }
        }
        return nil
    }

    /// Empties the queue, returning what it held.
    mutating func drain() -> [TaskID] {
        var all: [TaskID] = []
        while let id = popFirst() { all.append(id) }
        front = []
        items = []
        head = 0
        return all
    }
}

/// A bounded sample of task runtimes whose median is cheap enough to take on every tick.
struct RuntimeSample: Sendable {
    static let capacity = 1024
    private(set) var values: [Duration] = []
    private(set) var total = 0

    mutating func add(_ runtime: Duration) {
        total += 1
        if values.count < Self.capacity {
            values.append(runtime)
        } else {
            // Deterministic replacement keeps a spread of old and recent runtimes without a random source.
            values[(total &* 2_654_435_761) % Self.capacity] = runtime
        }
    }

    var median: Duration? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }
}
