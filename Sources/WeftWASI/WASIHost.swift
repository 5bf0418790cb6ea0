#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import WASI
import WasmTypes
import WeftInterpreter

/// WasmKit's WASI implementation sees Weft's linear memory through this adapter.
///
/// A guest pointer that is out of bounds must not crash the host. `GuestMemory` cannot throw, so
/// such an access is served from a scratch buffer and flagged; the host-function wrapper turns
/// the flag into an `out of bounds memory access` trap once the WASI call returns.
public struct WeftGuestMemory: GuestMemory, @unchecked Sendable {
    let memory: LinearMemory?
    let fault: FaultFlag

    public func withUnsafeMutableBufferPointer<T>(
        offset: UInt, count: Int, _ body: (UnsafeMutableRawBufferPointer) throws -> T
    ) rethrows -> T {
        if let memory, let buffer = memory.bytes(at: UInt64(offset), count: count) {
            guard fault.capturing, count > 0 else { return try body(buffer) }
            let before = [UInt8](buffer)
            defer { fault.recordChanges(at: UInt64(offset), before: before, after: UnsafeRawBufferPointer(buffer)) }
            return try body(buffer)
        }
        fault.outOfBounds = true
        let size = max(count, 1)
        guard let scratch = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
            scratch != MAP_FAILED
        else {
            fatalError("weft: cannot map \(size) bytes of scratch memory for an out-of-bounds WASI access")
        }
        defer { munmap(scratch, size) }
        return try body(UnsafeMutableRawBufferPointer(start: scratch, count: count))
    }
}

final class FaultFlag: @unchecked Sendable {
    var outOfBounds = false
    /// When set, the bytes a WASI call changes in guest memory are collected in `writes`.
    var capturing = false
    var writes: [MemoryWrite] = []

    func recordChanges(at address: UInt64, before: [UInt8], after: UnsafeRawBufferPointer) {
        var i = 0
        let n = before.count
        while i < n {
            if before[i] == after[i] { i += 1; continue }
            var j = i + 1
            // Runs of changed bytes separated by fewer than 8 unchanged ones become one write.
            var lastChanged = i
            while j < n, j - lastChanged <= 8 {
                if before[j] != after[j] { lastChanged = j }
                j += 1
            }
            writes.append(MemoryWrite(address: address + UInt64(i), bytes: [UInt8](after[i...lastChanged])))
            i = lastChanged + 1
        }
    }
}

/// Bytes a host call stored into guest memory.
public struct MemoryWrite: Equatable, Sendable {
    public var address: UInt64
    public var bytes: [UInt8]

    public init(address: UInt64, bytes: [UInt8]) {
        self.address = address
        self.bytes = bytes
    }
}

/// Sits between a guest's WASI call and WasmKit's implementation (see ``WASIHost/interceptor``):
/// it may call `perform` (the real implementation) or answer the call itself.
public typealias WASIInterceptor = (_ name: String, _ call: HostCall, _ perform: (HostCall) throws -> [UInt64]) throws -> [UInt64]

/// Options for the WASI environment a program runs in.
public struct WASIOptions {
    public var arguments: [String]
    public var environment: [String: String]
    /// (host path, guest path) pairs.
    public var preopens: [(host: String, guest: String)]
    public var stdin: Int32 = 0
    public var stdout: Int32 = 1
    public var stderr: Int32 = 2

    public init(arguments: [String], environment: [String: String] = [:], preopens: [(host: String, guest: String)] = []) {
        self.arguments = arguments
        self.environment = environment
        self.preopens = preopens
    }
}

/// The guest ended the program with `proc_exit(code)` (as replayed from a trace).
public struct GuestExit: Error, Equatable {
    public let code: UInt32
    public init(code: UInt32) { self.code = code }
}

/// WASI preview1 (`wasi_snapshot_preview1`) from WasmKit's `WASI` product, as Weft host functions.
public final class WASIHost {
    let bridge: WASIBridgeToHost
    /// The host descriptor behind the guest's fd 0.
    public let stdinDescriptor: Int32
    let fault = FaultFlag()
    public private(set) var functions: [String: FunctionRef] = [:]
    /// When set, every WASI call goes through it (recording, replay, blocking reads).
    public var interceptor: WASIInterceptor?

    public init(options: WASIOptions, store: Store) throws {
        stdinDescriptor = options.stdin
        bridge = try WASIBridgeToHost(
            args: options.arguments, environment: options.environment,
            preopens: options.preopens.map { WASIBridgeToHost.Preopen(guestPath: $0.guest, hostPath: $0.host) },
            stdin: options.stdin, stdout: options.stdout, stderr: options.stderr)
        let fault = self.fault
        for (name, f) in bridge.hostFunctions(capabilities: WASICapability<WeftGuestMemory>.all) {
            let type = f.type
            let implementation = f.implementation
            let perform: (HostCall) throws -> [UInt64] = { call in
                let memory = WeftGuestMemory(memory: call.memory, fault: fault)
                let args = zip(call.arguments, type.parameters).map { raw, t in Value(raw: raw, type: t) }
                fault.outOfBounds = false
                let results = try implementation(memory, args)
                if fault.outOfBounds {
                    fault.outOfBounds = false
                    var trap = Trap(.memoryOutOfBounds)
                    trap.function = "wasi_snapshot_preview1.\(name)"
                    throw trap
                }
                return results.map(\.raw)
            }
            let host = HostFunction(type: type) { [unowned self] call in
                if let interceptor = self.interceptor { return try interceptor(name, call, perform) }
                return try perform(call)
            }
            functions[name] = store.addHostFunction(host)
        }
    }

    /// Resolves `wasi_snapshot_preview1` imports.
    public func resolve(module: String, name: String) -> ExternalValue? {
        guard module == "wasi_snapshot_preview1", let f = functions[name] else { return nil }
        return .function(f)
    }

    /// Runs `perform` and returns what it changed in guest memory with its results.
    public func capturingWrites<T>(_ perform: () throws -> T) rethrows -> (T, [MemoryWrite]) {
        fault.capturing = true
        fault.writes = []
        defer {
            fault.capturing = false
            fault.writes = []
        }
        let result = try perform()
        return (result, fault.writes)
    }

    public func close() {
        try? bridge.close()
    }

    deinit { close() }

    /// The exit code carried by a `proc_exit` error, if `error` is one.
    public static func exitCode(of error: any Error) -> UInt32? {
        (error as? WASIExitCode)?.code ?? (error as? GuestExit)?.code
    }
}

extension Value {
    init(raw: UInt64, type: ValueType) {
        switch type {
        case .i32: self = .i32(UInt32(truncatingIfNeeded: raw))
        case .i64: self = .i64(raw)
        case .f32: self = .f32(UInt32(truncatingIfNeeded: raw))
        case .f64: self = .f64(raw)
        default: self = .i64(raw)
        }
    }

    var raw: UInt64 {
        switch self {
        case .i32(let v): return UInt64(v)
        case .i64(let v): return v
        case .f32(let v): return UInt64(v)
        case .f64(let v): return v
        default: return 0
        }
    }
}
