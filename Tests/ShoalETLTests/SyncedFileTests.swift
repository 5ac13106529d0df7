import Foundation
import ShoalETL
import Testing

@Suite struct SyncedFileTests {
    @Test func anAtomicWriteReplacesTheFileWholeAndLeavesNothingBeside() throws {
        let scratch = try Scratch()
        let path = try scratch.write("model.bin", "the old version")
        try SyncedFile.writeAtomically(Array("the new one".utf8), to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "the new one")
        let directory = (path as NSString).deletingLastPathComponent
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["model.bin"], "no temporary left")
        // A directory that is not there: the error names the file, and nothing is made.
        let missing = directory + "/absent/model.bin"
        #expect {
            try SyncedFile.writeAtomically([1, 2, 3], to: missing)
        } throws: { error in
            "\(error)".contains("absent/.model.bin.tmp-") && "\(error)".contains("No such file or directory")
        }
        #expect(!FileManager.default.fileExists(atPath: directory + "/absent"))
    }
}
