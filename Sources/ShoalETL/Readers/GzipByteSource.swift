import CZlib
import Foundation

/// Inflates a gzip file as a stream (zlib with `16 + MAX_WBITS`, which accepts only the gzip wrapper).
/// Concatenated members, as `cat a.gz b.gz` makes them, are read one after another as gzip(1) does.
final class GzipByteSource: ByteSource {
    private let path: String
    private let fd: Int32
    /// Heap-allocated because zlib keeps a pointer to the stream in its state and checks it on every call.
    private let stream: UnsafeMutablePointer<z_stream>
    private let input: UnsafeMutablePointer<UInt8>
    private let inputCapacity = 1 << 20
    private var filePosition = 0
    private var fileEnded = false
    private var memberEnded = false
    private var finished = false

    init(path: String) throws {
        self.path = path
        fd = try openForReading(path)
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        input = .allocate(capacity: inputCapacity)
        let status = inflateInit2_(stream, 16 + MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            close(fd)
            stream.deallocate()
            input.deallocate()
            throw ReaderError(file: path, "cannot start gzip decompression (zlib status \(status))")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
        input.deallocate()
        close(fd)
    }

    func read(into buffer: UnsafeMutablePointer<UInt8>, capacity: Int) throws -> Int {
        if finished || capacity == 0 { return 0 }
        stream.pointee.next_out = buffer
        stream.pointee.avail_out = UInt32(clamping: capacity)
        let want = Int(stream.pointee.avail_out)
        while stream.pointee.avail_out > 0 {
            if stream.pointee.avail_in == 0 && !fileEnded { try fillInput() }
            if memberEnded {
                // A member ended: anything after it must be another member; nothing at all is the end.
                if stream.pointee.avail_in == 0 && fileEnded {
                    finished = true
                    break
                }
                guard inflateReset(stream) == Z_OK else { throw ReaderError(file: path, "cannot reset gzip stream") }
                memberEnded = false
            }
            if stream.pointee.avail_in == 0 && fileEnded {
                if filePosition == 0 {  // an empty file holds no members: read it as empty input
                    finished = true
                    break
                }
                throw ReaderError(file: path, "truncated gzip stream (ends inside a member at byte \(filePosition))")
            }
            let status = inflate(stream, Z_NO_FLUSH)
            switch status {
            case Z_OK: continue
            case Z_STREAM_END: memberEnded = true
            case Z_BUF_ERROR: continue  // no progress possible until more input arrives: the loop fetches it
            default:
                let detail = stream.pointee.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                let at = filePosition - Int(stream.pointee.avail_in)
                throw ReaderError(file: path, "corrupt gzip data near compressed byte \(at): \(detail)")
            }
        }
        return want - Int(stream.pointee.avail_out)
    }

    private func fillInput() throws {
        while true {
            let n = pread(fd, input, inputCapacity, off_t(filePosition))
            if n > 0 {
                filePosition += n
                stream.pointee.next_in = input
                stream.pointee.avail_in = UInt32(n)
                return
            }
            if n == 0 {
                fileEnded = true
                return
            }
            if errno != EINTR { throw ReaderError.system(path, "cannot read at offset \(filePosition)", errno: errno) }
        }
    }
}
