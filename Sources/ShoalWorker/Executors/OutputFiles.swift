import Foundation
import ShoalProtocol
import ZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The files an attempt left in its output directory, as RESULT outputs: one payload frame per regular file,
/// named by its path relative to the directory (`stdout`, `part/x.txt`), sorted by name.
enum OutputFiles {
    /// Why the outputs cannot travel, for the attempt's error.
    struct CollectError: Error, CustomStringConvertible {
        var description: String
    }

    /// Reads every regular file under `directory` (symbolic links and other special files are skipped).
    /// - Throws: when a file cannot be read, or the files exceed what one RESULT may carry (`limits`).
    static func collect(in directory: String, limits: ProtocolLimits = .standard) throws(CollectError) -> [NamedFrame] {
        var files: [(name: String, size: Int)] = []
        let names = FileManager.default.enumerator(atPath: directory)?.compactMap { $0 as? String } ?? []
        for name in names.sorted() {
            var info = stat()
            guard lstat(directory + "/" + name, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            files.append((name, Int(info.st_size)))
        }
        guard files.count <= limits.maxPayloadFrames else {
            throw CollectError(
                description: "the attempt wrote \(files.count) output files, more than the \(limits.maxPayloadFrames) "
                    + "one result may carry")
        }
        var outputs: [NamedFrame] = []
        for file in files {
            guard file.size <= limits.maxPayloadFrameBytes else {
                throw CollectError(
                    description: "output '\(file.name)' is \(file.size) bytes, more than the "
                        + "\(limits.maxPayloadFrameBytes) one output may hold")
            }
            outputs.append(NamedFrame(name: file.name, frame: try contents(of: directory + "/" + file.name, size: file.size)))
        }
        return outputs
    }

    /// The file's bytes, read straight into a frame's buffer.
    private static func contents(of path: String, size: Int) throws(CollectError) -> Frame {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw CollectError(description: "cannot read output \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        do {
            return try Frame(unsafeUninitializedCapacity: size) { buffer in
                var offset = 0
                while offset < size {
                    // `baseAddress` is non-nil: the buffer holds `size` > 0 bytes here.
                    let count = read(descriptor, buffer.baseAddress! + offset, size - offset)
                    if count < 0 && errno == EINTR { continue }
                    guard count > 0 else {
                        throw CollectError(description: "output \(path) shrank while it was read")
                    }
                    offset += count
                }
            }
        } catch let error as CollectError {
            throw error
        } catch {
            throw CollectError(description: "cannot read output \(path): \(error)")
        }
    }
}
