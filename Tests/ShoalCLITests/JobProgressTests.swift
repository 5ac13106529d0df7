import Testing
@testable import shoal

/// `shoal submit --wait` learns that a job ended by polling: the poll interval bounds how late it says so.
@Suite struct JobProgressTests {
    @Test func pollingStaysWithinATwentiethOfTheJobsTimeBetween20And200Milliseconds() {
        #expect(JobProgress.pollInterval(elapsed: .zero) == .milliseconds(20))
        #expect(JobProgress.pollInterval(elapsed: .milliseconds(300)) == .milliseconds(20))
        #expect(JobProgress.pollInterval(elapsed: .seconds(1)) == .milliseconds(50))
        #expect(JobProgress.pollInterval(elapsed: .seconds(4)) == .milliseconds(200))
        #expect(JobProgress.pollInterval(elapsed: .seconds(3600)) == .milliseconds(200))
        var previous = Duration.zero
        for ms in stride(from: 0, through: 10_000, by: 100) {
            let interval = JobProgress.pollInterval(elapsed: .milliseconds(ms))
            #expect(interval >= previous, "never shorter as the job goes on")
            if ms >= 400 { #expect(interval <= .milliseconds(ms) / 20, "at most 5% of the time so far past 0.4 s") }
            previous = interval
        }
    }
}
