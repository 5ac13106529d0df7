/// The 64-bit hash Shoal uses wherever a hash must be the same in every process and on every machine: group
/// tables, `count_distinct`, `hash_bucket` and hash-partitioned outputs. Swift's `Hasher` is seeded per process,
/// so it cannot be used for any of these.
///
/// FNV-1a over the bytes, then MurmurHash3's 64-bit finalizer so that short keys spread over all bits.
/// docs/etl.md gives it in five lines of Python so users can reproduce a bucket.
public enum StableHash {
    @inline(__always)
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            h ^= UInt64(byte)
            h &*= 0x0000_0100_0000_01b3
        }
        return finalize(h)
    }

    public static func hash(_ bytes: some Collection<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            h ^= UInt64(byte)
            h &*= 0x0000_0100_0000_01b3
        }
        return finalize(h)
    }

    @inline(__always)
    static func finalize(_ x: UInt64) -> UInt64 {
        var h = x
        h ^= h >> 33
        h &*= 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        h &*= 0xc4ce_b9fe_1a85_ec53
        h ^= h >> 33
        return h
    }
}
