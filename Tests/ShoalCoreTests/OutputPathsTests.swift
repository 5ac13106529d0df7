import ShoalCore
import Testing

@Suite struct OutputPathsTests {
    @Test func outputDirectoriesOverlapWhenOneHoldsTheOther() {
        #expect(OutputPaths.overlap("/data/out", "/data/out"))
        #expect(OutputPaths.overlap("/data/out/", "/data/./out"))
        #expect(OutputPaths.overlap("/data/out", "/data/out/inner"))
        #expect(OutputPaths.overlap("/data/out/a/../inner", "/data/out"))
        #expect(OutputPaths.overlap("/", "/data/out"))
        #expect(!OutputPaths.overlap("/data/out", "/data/out-2"), "a common prefix is not a common directory")
        #expect(!OutputPaths.overlap("/data/out2", "/data/out"))
        #expect(!OutputPaths.overlap("/data/a/out", "/data/b/out"))
    }
}
