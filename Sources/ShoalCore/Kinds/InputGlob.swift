import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One file a `command` job reads: a shard.
struct InputFile: Sendable, Hashable {
    /// Absolute and normalised.
    var path: String
    var size: UInt64
}

/// The `inputs:` patterns of a `command` job, expanded like a shell with `globstar`: `*`, `?` and `[…]` match
/// within one path component (fnmatch(3)), `**` matches any number of directories, including none. As in a
/// shell, wildcards do not match names starting with `.` (write `.*` for those), and `**` neither enters hidden
/// directories nor follows symbolic links to directories, which could loop.
enum InputGlob {
    /// The regular files `pattern` matches, resolved against `directory`; symbolic links to files count.
    static func files(matching pattern: String, in directory: String) -> [InputFile] {
        let absolute = LexicalPath.absolute(pattern, in: directory)
        var found: [String: UInt64] = [:]
        walk("/", absolute.split(separator: "/").map(String.init)[...], into: &found)
        return found.map { InputFile(path: $0.key, size: $0.value) }
    }

    private static func walk(_ directory: String, _ components: ArraySlice<String>, into found: inout [String: UInt64]) {
        guard let component = components.first else { return }
        let rest = components.dropFirst()
        if component == "**" {
            let visible = entries(of: directory).filter { !$0.hasPrefix(".") }
            if rest.isEmpty {
                for name in visible { addIfRegularFile(join(directory, name), to: &found) }
            } else {
                walk(directory, rest, into: &found)
            }
            for name in visible {
                let path = join(directory, name)
                if case .directory = kind(of: path, followingLinks: false) { walk(path, components, into: &found) }
            }
            return
        }
        let names =
            component.contains(where: { "*?[".contains($0) })
            ? entries(of: directory).filter { fnmatch(component, $0, FNM_PERIOD) == 0 } : [component]
        for name in names {
            let path = join(directory, name)
            if rest.isEmpty {
                addIfRegularFile(path, to: &found)
            } else if case .directory = kind(of: path, followingLinks: true) {
                walk(path, rest, into: &found)
            }
        }
    }

    private static func addIfRegularFile(_ path: String, to found: inout [String: UInt64]) {
        if case .regularFile(let size) = kind(of: path, followingLinks: true) { found[path] = size }
    }

    private static func join(_ directory: String, _ name: String) -> String {
        directory == "/" ? "/" + name : directory + "/" + name
    }

    /// Names in `directory`; none when it cannot be read (as a shell's glob does).
    private static func entries(of directory: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    }

    private enum Kind {
        case regularFile(size: UInt64)
        case directory
        case other
    }

    private static func kind(of path: String, followingLinks: Bool) -> Kind {
        var info = stat()
        guard (followingLinks ? stat(path, &info) : lstat(path, &info)) == 0 else { return .other }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .regularFile(size: UInt64(info.st_size))
        case S_IFDIR: return .directory
        default: return .other
        }
    }
}
