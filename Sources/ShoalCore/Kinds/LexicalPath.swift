/// Paths resolved by their text alone, without touching the file system: a job means the same whatever
/// exists when it is planned, and `a/../b` names `b` even before `a` exists.
enum LexicalPath {
    /// `path` made absolute against `directory` (absolute), with `.`, `..` and repeated slashes removed.
    static func absolute(_ path: String, in directory: String) -> String {
        let joined = path.hasPrefix("/") ? path : directory + "/" + path
        var components: [Substring] = []
        for component in joined.split(separator: "/") where component != "." {
            if component == ".." {
                _ = components.popLast()
            } else {
                components.append(component)
            }
        }
        return "/" + components.joined(separator: "/")
    }

    /// `path` (absolute, normalised) relative to `directory` when it lies inside it; otherwise `path` itself.
    static func relative(_ path: String, to directory: String) -> String {
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }
}
