/// Runs a whole training job in one process, step after step, over shards already in memory.
///
/// It is the reference the cluster is held to: a distributed run of the same job must end with bit-identical
/// parameters. `groups` splits each step's micro-batches the way `groups` workers would share them
/// (round-robin), computes each group's partial on its own and adds the partials last to first — a different
/// grouping and order, which must not change a bit.
public struct LocalTrainer {
    public let network: Network
    public let config: TrainingConfig
    public let plan: MicroBatchPlan

    public init(network: Network, config: TrainingConfig, plan: MicroBatchPlan) {
        self.network = network
        self.config = config
        self.plan = plan
    }

    /// Runs steps from `state.step` until `steps` are done (all of the job's by default).
    /// - Returns: the records of the steps run.
    public func run(
        _ state: inout TrainingState, shards: [DatasetShard], groups: Int = 1, until steps: Int? = nil
    ) throws(DivergenceError) -> [StepRecord] {
        let computer = GradientComputer(network: network, microBatchSize: config.microBatchSize)
        var records: [StepRecord] = []
        var order: (epoch: Int, ids: [Int])? = nil
        let end = min(steps ?? plan.totalSteps, plan.totalSteps)
        while state.step < end {
            let epoch = state.step / plan.stepsPerEpoch
            if order?.epoch != epoch { order = (epoch, plan.order(epoch: epoch)) }
            let ids = plan.step(state.step, order: order!.ids).microBatches
            var partials: [GradientPartial] = []
            for g in 0..<max(groups, 1) {
                let mine = ids.enumerated().filter { $0.offset % max(groups, 1) == g }.map { plan.microBatch($0.element) }
                partials.append(
                    try computer.partial(
                        parameters: state.parameters,
                        microBatches: mine.map { (shards[$0.shard], $0.start..<$0.end, $0.id) }))
            }
            var total = GradientPartial(parameterCount: network.parameterCount)
            for partial in partials.reversed() {
                do { try total.add(partial) } catch {
                    throw DivergenceError(microBatch: nil, what: "the step's gradient sum: \(error)")
                }
            }
            records.append(state.apply(total, plan: plan, config: config))
        }
        return records
    }
}
