import ShoalCore
import Testing

/// `DurationText`: what people write for durations, and how Shoal prints them back.
@Suite struct DurationTextTests {
    @Test(arguments: [
        ("250ms", Duration.milliseconds(250)), ("30s", .seconds(30)), ("5m", .seconds(300)), ("1h", .seconds(3600)),
        ("1h30m", .seconds(5400)), ("1m30s500ms", .milliseconds(90_500)), ("1.5s", .milliseconds(1500)),
        ("0.1s", .milliseconds(100)), ("90", .seconds(90)), ("0.25", .milliseconds(250)), (" 2s ", .seconds(2)),
        ("0", .zero),
    ])
    func reads(_ text: String, _ expected: Duration) {
        #expect(DurationText.parse(text) == expected)
    }

    @Test(arguments: ["", "5x", "-1s", "30m1h", "5m5m", "1.s", "s", "1 h", "h1", "1e3", "99999999999999h"])
    func refuses(_ text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test func printsTheWayItReads() {
        let durations: [Duration] = [
            .milliseconds(250), .seconds(30), .seconds(300), .seconds(5400), .milliseconds(1500), .milliseconds(90_050),
            .zero,
        ]
        #expect(durations.map(DurationText.format) == ["250ms", "30s", "5m", "1h30m", "1.5s", "1m30.05s", "0ms"])
        for duration in durations {
            #expect(DurationText.parse(DurationText.format(duration)) == duration)
        }
    }
}
