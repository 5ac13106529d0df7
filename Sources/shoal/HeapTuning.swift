/// glibc's allocator settings for the two long-running processes.
///
/// Both allocate and free the same large buffers over and over: a worker its column batches, the coordinator a
/// training step's parameters and gradients (tens of MiB each, every step). glibc hands blocks above its mmap
/// threshold back to the kernel on free and trims the heap's top, so each reuse paid page faults and freshly zeroed
/// pages again: about 6% of an ETL shard's time, and 40% of the coordinator's time in a step of a 64 MiB model.
/// Keeping the blocks on the heap reuses them instead.
enum HeapTuning {
    enum Role {
        /// Blocks up to 64 MiB stay on the heap, 256 MiB of freed memory untrimmed; one arena per thread as usual
        /// (tasks run in parallel and allocate concurrently).
        case worker
        /// Blocks up to 512 MiB stay on the heap, 1 GiB untrimmed, and one arena: a thread's own arena is capped at
        /// 64 MiB per heap, above which glibc maps every block afresh whatever the threshold; the coordinator's work
        /// runs on one task at a time, so a single arena costs it no contention.
        case coordinator
    }

    static func keepFreedMemory(_ role: Role) {
        #if os(Linux)
        // <malloc.h>: M_TRIM_THRESHOLD (-1), M_TOP_PAD (-2), M_MMAP_THRESHOLD (-3), M_ARENA_MAX (-8).
        switch role {
        case .worker:
            _ = glibcMallopt(-3, 64 << 20)
            _ = glibcMallopt(-1, 256 << 20)
        case .coordinator:
            _ = glibcMallopt(-8, 1)
            _ = glibcMallopt(-3, 512 << 20)
            _ = glibcMallopt(-1, 1 << 30)
        }
        _ = glibcMallopt(-2, 64 << 20)
        #endif
    }
}

#if os(Linux)
/// glibc's `int mallopt(int, int)`, which the Glibc module does not import (it lives in <malloc.h>).
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
