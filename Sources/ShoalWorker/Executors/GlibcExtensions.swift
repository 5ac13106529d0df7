#if os(Linux)
import Glibc

/// GNU extensions of glibc that Swift's Glibc module leaves out (it is imported without `_GNU_SOURCE`),
/// looked up by name in the C library already loaded.
enum GlibcExtensions {
    /// pipe2(2): a pipe whose ends are close-on-exec from the start, leaving no moment in which another
    /// thread's spawn could inherit them.
    /// - Returns: 0, or an errno (ENOSYS when the C library lacks the function).
    static func pipe2(_ ends: inout [Int32], flags: Int32) -> Int32 {
        typealias Function = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
        guard let function = lookUp("pipe2", as: Function.self) else { return ENOSYS }
        return ends.withUnsafeMutableBufferPointer { buffer in
            // `baseAddress` is non-nil: the caller passes two elements.
            function(buffer.baseAddress!, flags) == 0 ? 0 : errno
        }
    }

    /// posix_spawn_file_actions_addchdir_np(3) (glibc 2.29+): the child enters `directory` before exec.
    /// - Returns: 0, or an errno (ENOSYS when the C library lacks the function).
    static func addChangeDirectory(_ actions: inout posix_spawn_file_actions_t, _ directory: String) -> Int32 {
        typealias Function =
            @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
        guard let function = lookUp("posix_spawn_file_actions_addchdir_np", as: Function.self) else { return ENOSYS }
        return function(&actions, directory)
    }

    private static func lookUp<Function>(_ name: String, as type: Function.Type) -> Function? {
        // A nil handle is RTLD_DEFAULT: every object loaded, libc included.
        guard let symbol = dlsym(nil, name) else { return nil }
        return unsafeBitCast(symbol, to: type)
    }
}
#endif
