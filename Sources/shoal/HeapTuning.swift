import Foundation

/// glibc's allocator settings for the two long-running processes, applied before anything else runs (`Entry`).
///
/// Both allocate and free the same large buffers over and over: a worker its column batches and a training step's
/// parameters and gradient, the coordinator every step's parameters and gradients (tens of MiB each). glibc hands
/// blocks above its mmap threshold back to the kernel on free and trims the heap's top, so each reuse paid page
/// faults and freshly zeroed pages again; and a thread's own arena is capped at 64 MiB per heap, above which every
/// block is mapped afresh whatever the threshold. One arena with a high threshold keeps the blocks for reuse:
/// a step of a 64 MiB model went from 696 to 185 ms outside computation (2 workers, tcp), a 16 MiB one from 52 to
/// 50 ms; the ETL example on 2 workers × 2 slots did not change (0.78 s against 0.77–0.80 s). One arena serialises
/// allocation between threads, though, so a worker running more than `singleArenaSlots` tasks at once keeps glibc's
/// arenas (and its blocks above 64 MiB are mapped afresh each time).
enum HeapTuning {
    /// The most task slots with which a worker still uses one arena.
    static let singleArenaSlots = 4

    /// Tunes the allocator when the command line (`arguments`, with the program name first) starts a long-running
    /// service: `coordinator`, or `worker` (whose `--slots` decides the arenas).
    static func configure(arguments: [String]) {
        let subcommand = arguments.dropFirst().first
        guard subcommand == "coordinator" || subcommand == "worker" else { return }
        var singleArena = true
        if subcommand == "worker" {
            let slotsFlag = arguments.firstIndex(of: "--slots").flatMap { arguments.indices.contains($0 + 1) ? Int(arguments[$0 + 1]) : nil }
            singleArena = (slotsFlag ?? ProcessInfo.processInfo.activeProcessorCount) <= singleArenaSlots
        }
        #if os(Linux)
        // <malloc.h>: M_TRIM_THRESHOLD (-1), M_TOP_PAD (-2), M_MMAP_THRESHOLD (-3), M_ARENA_MAX (-8). The arena
        // limit binds only threads that have not allocated yet: hence before anything else.
        if singleArena { _ = glibcMallopt(-8, 1) }
        _ = glibcMallopt(-3, 512 << 20)
        _ = glibcMallopt(-1, 512 << 20)
        _ = glibcMallopt(-2, 64 << 20)
        if subcommand == "coordinator" { prefault(bytes: coordinatorPrefaultBytes) }
        #endif
    }

    /// The heap the coordinator touches at start.
    static let coordinatorPrefaultBytes = 32 << 20

    /// Faults in `bytes` of heap and frees them again: under the trim threshold they stay the process's,
    /// resident, and the first allocations reuse them without a page fault. The coordinator's first job otherwise
    /// faults its memory in as it goes: a 20,000-task job took ~3,100 page faults (12 MB: the task table, the
    /// plan, the store's rows), a tenth of the engine's time on it in `perf`, which every later job reuses for
    /// free. Costs a few milliseconds at start and the resident bytes. The kernel populates the pages
    /// (`MADV_POPULATE_WRITE`, Linux 5.14): a `memset` before `free` is a dead store the compiler removes.
    static func prefault(bytes: Int) {
        #if os(Linux)
        var block: UnsafeMutableRawPointer?
        guard posix_memalign(&block, 4096, bytes) == 0, let block else { return }
        _ = madvise(block, bytes, 23)  // MADV_POPULATE_WRITE; older kernels refuse it, and nothing is lost
        free(block)
        #endif
    }
}

#if os(Linux)
/// glibc's `int mallopt(int, int)`, which the Glibc module does not import (it lives in <malloc.h>).
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
