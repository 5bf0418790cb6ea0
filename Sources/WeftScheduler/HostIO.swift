#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Host-side helpers of the runner: readiness of descriptors, the monotonic clock, sleeping.

/// True when reading `fd` would not block (data, end of file or an error is pending).
func hostReadable(_ fd: Int32) -> Bool {
    !readableDescriptors([fd], waitMilliseconds: 0).isEmpty
}

/// Which of `fds` are readable, waiting up to `waitMilliseconds` for one (-1: until one is).
func readableDescriptors(_ fds: [Int32], waitMilliseconds: Int32) -> [Int32] {
    guard !fds.isEmpty else { return [] }
    var entries = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
    while true {
        let n = entries.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), waitMilliseconds) }
        if n < 0, errno == EINTR { continue }
        if n < 0 { return fds }  // let the call itself report the error
        return entries.filter { $0.revents != 0 }.map(\.fd)
    }
}

func hostMonotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

func sleepNanoseconds(_ ns: UInt64) {
    var request = timespec(tv_sec: Int(ns / 1_000_000_000), tv_nsec: Int(ns % 1_000_000_000))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0, errno == EINTR { request = remaining }
}

/// Writes all of `bytes` to `fd`, retrying short writes.
public func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    bytes.withUnsafeBytes { buffer in
        var offset = 0
        while offset < buffer.count {
            let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            if n < 0, errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
    }
}
