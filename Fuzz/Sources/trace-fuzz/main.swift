#if canImport(Glibc)
import Glibc
#endif
import WeftTrace

/// libFuzzer entry point. The first byte picks what the rest is:
/// - even: a whole trace file, read with `TraceReader` to the end;
/// - odd: the payload of one event chunk, wrapped (with a correct CRC) after a fixed header that
///   embeds a small threaded module, then read and *replayed*, so the fuzzer reaches the event
///   decoder and the replay engine instead of stopping at the checksum.
/// Either way the code under test must return or throw; a crash, hang or runaway allocation is a
/// finding.
func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if bytes[0] & 1 == 0 {
        if let reader = try? TraceReader(bytes: Array(bytes.dropFirst())) {
            while let _ = try? reader.next() {}
        }
    } else {
        FuzzReplay.replay(eventPayload: Array(bytes.dropFirst()))
    }
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32
) -> Int32

// libFuzzer's driver, entered from this executable's own main.
var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(runFuzzerDriver(&argc, &argv) { data, size in fuzzOne(data, size) })
