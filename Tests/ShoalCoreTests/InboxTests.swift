import ShoalCore
import Testing

/// The engines' input queue: everything queued comes out at once, in order, nothing twice or lost.
@Suite struct InboxTests {
    @Test func queuedItemsComeOutAsOneBatchInOrder() async {
        let inbox = Inbox<Int>()
        for value in 1...5 { inbox.post(value) }
        #expect(await inbox.next() == [1, 2, 3, 4, 5])
        inbox.post(6)
        #expect(await inbox.next() == [6])
    }

    @Test func aWaitingConsumerWakesOnPost() async {
        let inbox = Inbox<String>()
        async let batch = inbox.next()
        inbox.post("hello")
        #expect(await batch == ["hello"])
    }

    @Test func finishDeliversWhatIsLeftThenNil() async {
        let inbox = Inbox<Int>()
        inbox.post(1)
        inbox.finish()
        inbox.post(2)  // ignored: the inbox has ended
        #expect(await inbox.next() == [1])
        #expect(await inbox.next() == nil)
    }

    @Test func concurrentProducersLoseNothingAndKeepTheirOwnOrder() async {
        let inbox = Inbox<(producer: Int, value: Int)>()
        let producers = 8
        let perProducer = 5_000
        await withTaskGroup(of: Void.self) { group in
            for producer in 0..<producers {
                group.addTask {
                    for value in 0..<perProducer { inbox.post((producer, value)) }
                }
            }
            var next = [Int](repeating: 0, count: producers)
            var received = 0
            var inOrder = true
            while received < producers * perProducer, let batch = await inbox.next() {
                for item in batch {
                    inOrder = inOrder && item.value == next[item.producer]
                    next[item.producer] += 1
                }
                received += batch.count
            }
            #expect(inOrder)
            #expect(received == producers * perProducer)
            #expect(next == [Int](repeating: perProducer, count: producers))
        }
    }
}
