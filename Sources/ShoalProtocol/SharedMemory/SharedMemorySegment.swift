import Glibc
import Synchronization
import ZeroMQ

/// Bytes in a POSIX shared-memory file (under `/dev/shm`), mapped into this process: how a bulk frame — a
/// training step's parameters, a worker's gradient — passes between a coordinator and a worker on the same host
/// without going through a socket. The sender writes the bytes once into the segment; the message carries only
/// its name (`SharedMemoryReference`); the receiver maps the same pages and reads them in place.
///
/// Written by hand: no Swift package wraps `shm`-style files, and the few calls involved (open, fallocate, mmap,
/// unlink) need the exact flags below more than an abstraction.
///
/// Names are `shoal-<pid namespace>-<pid>-<sequence>-<random>`: the creator's process is in the name, so a
/// segment left behind by a process that died (kill -9) is recognised and removed by the next sweep
/// (`removeOrphans`), and a receiver can check that a name belongs to the peer that sent it.
public final class SharedMemorySegment: Sendable {
    /// The file's name in `directory`.
    public let name: String
    /// The number of bytes.
    public let count: Int
    /// Where the mapping starts; `nil` for an empty segment (nothing mapped).
    nonisolated(unsafe) let base: UnsafeMutableRawPointer?
    /// Whether releasing the segment removes its file: the creator's until it hands the name over.
    private let removesFile: Atomic<Bool>

    /// Where segments live: a tmpfs on Linux.
    public static let directory = "/dev/shm"
    /// Frames smaller than this travel in the message: mapping a file costs more than copying them.
    public static let minimumBytes = 256 << 10

    private init(name: String, count: Int, base: UnsafeMutableRawPointer?, removesFile: Bool) {
        self.name = name
        self.count = count
        self.base = base
        self.removesFile = Atomic(removesFile)
    }

    deinit {
        if let base { munmap(base, count) }
        if removesFile.load(ordering: .acquiring) { unlink(Self.path(name)) }
    }

    /// The segment's bytes, writable by its creator and by a process it lent them to (`open(writable:)`).
    public var bytes: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: base, count: count) }

    /// A frame over the segment's bytes, in place; it keeps the segment (and its mapping) alive.
    public var frame: Frame { Frame(borrowing: base, count: count, owner: self) }

    /// Gives the file to whoever receives the name: releasing this segment then only unmaps it.
    public func handOver() { removesFile.store(false, ordering: .releasing) }

    /// Removes the file now (the mapping stays valid while the segment lives).
    public func removeFile() {
        if removesFile.exchange(false, ordering: .acquiringAndReleasing) { unlink(Self.path(name)) }
    }

    // MARK: - Creating and opening

    /// A new segment of `count` bytes, mapped read-write, its pages reserved up front: a full `/dev/shm` (a
    /// container's default is 64 MiB) fails here with an error, never later with SIGBUS on a write.
    public static func create(count: Int) throws(SharedMemoryError) -> SharedMemorySegment {
        precondition(count >= 0, "a segment cannot have a negative size")
        let name = "\(ownPrefix)\(sequence.add(1, ordering: .relaxed).newValue)-\(String(UInt32.random(in: .min ... .max), radix: 16))"
        let path = Self.path(name)
        let fd = Glibc.open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw SharedMemoryError(path: path, operation: "create", code: errno) }
        defer { close(fd) }
        guard count > 0 else { return SharedMemorySegment(name: name, count: 0, base: nil, removesFile: true) }
        let reserved = posix_fallocate(fd, 0, off_t(count))
        guard reserved == 0 else {
            unlink(path)
            throw SharedMemoryError(path: path, operation: "reserve \(count) bytes for", code: reserved)
        }
        guard let base = mmap(nil, count, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0), base != MAP_FAILED else {
            let code = errno
            unlink(path)
            throw SharedMemoryError(path: path, operation: "map", code: code)
        }
        return SharedMemorySegment(name: name, count: count, base: base, removesFile: true)
    }

    /// Maps the segment `reference` names, read-only unless `writable` (an output room lent to this process).
    /// - Parameters:
    ///   - prefix: the names the sender may use (`prefix(ofProcess:)`), when the receiver knows its sender's.
    ///   - takeFile: the receiver removes the file now (a RESULT's outputs are handed over); otherwise the
    ///     sender keeps it (a TASK's attachments serve several tasks).
    /// - Throws: when the name is not a segment's (or not the sender's), the file is missing, is not the
    ///   size the reference says, or belongs to another user.
    public static func open(
        _ reference: SharedMemoryReference, prefix: String? = nil, takeFile: Bool, writable: Bool = false
    ) throws(SharedMemoryError) -> SharedMemorySegment {
        let path = Self.path(reference.name)
        guard isSegmentName(reference.name), prefix.map({ reference.name.hasPrefix($0) }) ?? true else {
            throw SharedMemoryError(path: path, operation: "refuse", code: EPERM, detail: "not a segment this peer may name")
        }
        let fd = Glibc.open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw SharedMemoryError(path: path, operation: "open", code: errno) }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw SharedMemoryError(path: path, operation: "stat", code: errno) }
        guard (status.st_mode & S_IFMT) == S_IFREG, status.st_uid == geteuid(), Int(status.st_size) == reference.count else {
            throw SharedMemoryError(
                path: path, operation: "refuse", code: EINVAL,
                detail: "\(status.st_size) bytes owned by uid \(status.st_uid); expected \(reference.count) owned by \(geteuid())")
        }
        if takeFile { unlink(path) }
        guard reference.count > 0 else { return SharedMemorySegment(name: reference.name, count: 0, base: nil, removesFile: false) }
        let protection = writable ? PROT_READ | PROT_WRITE : PROT_READ
        guard let base = mmap(nil, reference.count, protection, MAP_SHARED | MAP_POPULATE, fd, 0), base != MAP_FAILED else {
            throw SharedMemoryError(path: path, operation: "map", code: errno)
        }
        return SharedMemorySegment(name: reference.name, count: reference.count, base: base, removesFile: false)
    }

    /// Whether segment `name`'s file still exists.
    public static func fileExists(_ name: String) -> Bool { isSegmentName(name) && access(path(name), F_OK) == 0 }

    /// Removes the file of segment `name`, if it is a segment's name and the file exists.
    public static func removeFile(named name: String) {
        guard isSegmentName(name) else { return }
        unlink(path(name))
    }

    // MARK: - Names

    static func path(_ name: String) -> String { directory + "/" + name }

    /// `shoal-`, then digits and dashes, then hex: nothing that could leave `directory`.
    static func isSegmentName(_ name: String) -> Bool {
        name.hasPrefix("shoal-") && name.utf8.count <= 96
            && name.utf8.dropFirst(6).allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) || $0 == 45 }
    }

    /// The prefix of the names process `pid` (in this process's pid namespace) gives its segments.
    public static func prefix(ofProcess pid: UInt32) -> String { "shoal-\(pidNamespace)-\(pid)-" }

    /// This process's prefix.
    public static let ownPrefix = prefix(ofProcess: UInt32(getpid()))

    private static let sequence = Atomic<UInt64>(0)

    /// The pid namespace's inode (`/proc/self/ns/pid` → `pid:[4026531836]`): pids in names are only compared
    /// within one namespace, so containers sharing a `/dev/shm` never remove each other's segments.
    static let pidNamespace: String = {
        var buffer = [CChar](repeating: 0, count: 64)
        let length = readlink("/proc/self/ns/pid", &buffer, buffer.count - 1)
        guard length > 0 else { return "0" }
        let text = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let digits = text.filter(\.isNumber)
        return digits.isEmpty ? "0" : digits
    }()

    /// Whether this host offers shared memory at all (a `/dev/shm` directory this user can write).
    public static var isAvailable: Bool { access(directory, W_OK | X_OK) == 0 }

    /// Removes the segments of processes of this pid namespace that no longer exist: what a process killed
    /// with -9 left behind. Returns how many it removed.
    @discardableResult
    public static func removeOrphans() -> Int {
        removeFiles { pid in kill(pid, 0) == -1 && errno == ESRCH }
    }

    /// Removes the segments process `pid` made (a process leaving removes its own). Returns how many.
    @discardableResult
    public static func removeFiles(ofProcess pid: UInt32) -> Int {
        removeFiles { $0 == Int32(bitPattern: pid) }
    }

    private static func removeFiles(where made: (Int32) -> Bool) -> Int {
        guard let dir = opendir(directory) else { return 0 }
        defer { closedir(dir) }
        let namespacePrefix = "shoal-\(pidNamespace)-"
        var removed = 0
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name.hasPrefix(namespacePrefix), isSegmentName(name),
                  let pid = Int32(name.dropFirst(namespacePrefix.count).prefix { $0 != "-" })
            else { continue }
            if made(pid), unlink(path(name)) == 0 { removed += 1 }
        }
        return removed
    }
}

/// A shared-memory operation failed: the file, what was being done, and the system's reason.
public struct SharedMemoryError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var operation: String
    public var code: Int32
    public var detail: String?

    public init(path: String, operation: String, code: Int32, detail: String? = nil) {
        self.path = path
        self.operation = operation
        self.code = code
        self.detail = detail
    }

    public var description: String {
        "cannot \(operation) shared memory \(path): " + (detail ?? String(cString: strerror(code)))
    }
}
