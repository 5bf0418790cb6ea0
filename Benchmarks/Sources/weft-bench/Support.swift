// Pieces shared by both engines and the driver: what a run produces, the guest's stdio
// descriptors, statistics and table rendering. Nothing here knows about either engine.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a guest run ended, in a form both engines' results can be compared in.
enum GuestOutcome: Equatable, CustomStringConvertible {
    /// `proc_exit(code)`, or `_start` returning (code 0).
    case exited(UInt32)
    /// A trap, with the engine's own message.
    case trapped(String)

    /// Whether two runs ended the same way. Trap messages are engine-specific wording, so two
    /// traps count as the same ending whatever their messages say.
    func sameEnding(as other: GuestOutcome) -> Bool {
        switch (self, other) {
        case (.exited(let a), .exited(let b)): return a == b
        case (.trapped, .trapped): return true
        default: return false
        }
    }

    var description: String {
        switch self {
        case .exited(let code): return "exit code \(code)"
        case .trapped(let message): return "trap (\(message))"
        }
    }
}

/// The timings and ending of one run of one module on one engine.
struct RunSample {
    /// Reading and decoding the module, plus whatever translation the engine does up front.
    var load: Duration
    /// Instantiating the module and running `_start` to the end.
    var run: Duration
    var outcome: GuestOutcome
    /// Processor time the process used over the whole sample (load and run), measured by the
    /// harness. Unlike wall time it hardly changes when other processes compete for the cores.
    var cpu: Duration = .zero

    var total: Duration { load + run }
}

/// The processor time this process has used so far (all threads, user and system).
func processCPUTime() -> Duration {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return .seconds(t.tv_sec) + .nanoseconds(t.tv_nsec)
}

/// The host file descriptors a guest's stdin, stdout and stderr are bound to.
/// The engines borrow them: neither closes them.
struct GuestStdio {
    var stdin: Int32
    var stdout: Int32
    var stderr: Int32
}

/// One of the two engines being compared, able to run a WASI command module's `_start`.
protocol BenchmarkedEngine {
    /// The name shown in the table.
    var name: String { get }
    /// Loads the module at `path` afresh and runs it once, timing the two phases separately.
    /// Throws only when the engine cannot run the module at all; a guest trap is an outcome.
    func runOnce(path: String, arguments: [String], stdio: GuestStdio) throws -> RunSample
}

/// Failure of the benchmark harness itself (not of a guest).
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Writes `text` to the benchmark's own stderr, unbuffered (progress and errors go there, so
/// that stdout holds only the report).
func printError(_ text: String) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let written = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        if written < 0 && errno == EINTR { continue }
        guard written > 0 else { return }
        bytes = bytes.dropFirst(written)
    }
}

// MARK: - Guest output

/// Opens `/dev/null` for the guest's stdio during timed runs.
func openDevNull() throws -> Int32 {
    let fd = open("/dev/null", O_RDWR)
    guard fd >= 0 else { throw BenchError("cannot open /dev/null: errno \(errno)") }
    return fd
}

/// An anonymous temporary file that receives one run's guest output, so that the two engines'
/// outputs can be compared. The file is unlinked as soon as it is created.
final class CaptureFile {
    let fd: Int32

    init() throws {
        let directory = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(directory)/weft-bench-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw BenchError("cannot create a temporary file in \(directory): errno \(errno)") }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Everything written to the file so far.
    func contents() throws -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var offset: off_t = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if count < 0 {
                if errno == EINTR { continue }
                throw BenchError("cannot read back captured guest output: errno \(errno)")
            }
            if count == 0 { return bytes }
            bytes += buffer[0..<count]
            offset += off_t(count)
        }
    }
}

// MARK: - Statistics

extension Duration {
    /// The duration in seconds, as a floating-point number.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}

/// The median of `values` in seconds (the mean of the two middle values for an even count).
func median(_ values: [Duration]) -> Double {
    precondition(!values.isEmpty, "median of no values")
    let sorted = values.map(\.seconds).sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// `value` printed with exactly `decimals` digits after the point (no Foundation needed).
func fixed(_ value: Double, decimals: Int) -> String {
    guard value.isFinite else { return "\(value)" }
    var scale: UInt64 = 1
    for _ in 0..<decimals { scale *= 10 }
    let scaled = UInt64((abs(value) * Double(scale)).rounded())
    let sign = value < 0 && scaled != 0 ? "-" : ""
    guard decimals > 0 else { return "\(sign)\(scaled)" }
    let fraction = String(scaled % scale)
    return "\(sign)\(scaled / scale).\(String(repeating: "0", count: decimals - fraction.count))\(fraction)"
}

// MARK: - Tables

/// Renders rows under `header` as a Markdown table or as aligned plain-text columns. The first
/// column (module names) is left-aligned, every other column (numbers) right-aligned.
func renderTable(header: [String], rows: [[String]], markdown: Bool) -> String {
    let widths = header.indices.map { column in
        ([header] + rows).map { $0[column].count }.max() ?? 0
    }
    func pad(_ text: String, _ column: Int) -> String {
        let fill = String(repeating: " ", count: widths[column] - text.count)
        return column == 0 ? text + fill : fill + text
    }
    var lines: [String] = []
    if markdown {
        func line(_ cells: [String]) -> String {
            "| " + cells.indices.map { pad(cells[$0], $0) }.joined(separator: " | ") + " |"
        }
        lines.append(line(header))
        lines.append("|" + widths.indices.map { column in
            let dashes = String(repeating: "-", count: widths[column])
            return column == 0 ? ":\(dashes)-" : "-\(dashes):"
        }.joined(separator: "|") + "|")
        lines += rows.map(line)
    } else {
        func line(_ cells: [String]) -> String {
            cells.indices.map { pad(cells[$0], $0) }.joined(separator: "  ")
        }
        lines.append(line(header))
        lines.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        lines += rows.map(line)
    }
    return lines.joined(separator: "\n")
}
