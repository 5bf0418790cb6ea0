import WasmTypes
import WeftInterpreter
import WeftModule
import WeftSource

/// How a program run ended.
public enum ProgramOutcome: Equatable {
    /// `proc_exit(code)`, or `_start` returning (code 0).
    case exited(UInt32)
    /// A trap; the one-line message names the function and offset.
    case trapped(String)

    /// The process exit status Weft uses for this outcome (documented in docs/exit-codes.md).
    public var exitStatus: Int32 {
        switch self {
        case .exited(let c): return Int32(truncatingIfNeeded: c & 0xFF)
        case .trapped: return ExitStatus.trap
        }
    }
}

/// Weft's own exit statuses, for what is not the guest's exit code.
public enum ExitStatus {
    /// The guest trapped.
    public static let trap: Int32 = 134
    /// The module could not be read, decoded, validated or instantiated.
    public static let badModule: Int32 = 65
    /// Command-line usage error.
    public static let usage: Int32 = 64
}

/// A WASI command module ready to run: decoded, translated, with its imports satisfied.
public final class Program {
    public let compiled: CompiledModule
    public let store: Store
    public let wasi: WASIHost
    /// The memory a `wasm32-wasip1-threads` program imports (`env.memory` from wasi-libc; any
    /// name works), created here and shared by every thread's instance.
    public let importedMemory: LinearMemory?
    let memoryImport: (module: String, name: String)?
    /// Satisfies `wasi.thread-spawn`; set by the threads layer. Without it, spawning fails (-1).
    public var threadSpawn: ((HostCall) throws -> [UInt64])?

    public init(compiled: CompiledModule, options: WASIOptions) throws {
        self.compiled = compiled
        if compiled.sourceDescriber == nil {
            // Demangled names and, with DWARF, file:line in traps and backtraces (read on first use).
            compiled.sourceDescriber = ModuleSourceInfo(module: compiled.module)
        }
        store = Store()
        wasi = try WASIHost(options: options, store: store)
        var memory: LinearMemory?
        var memoryImport: (module: String, name: String)?
        for imp in compiled.module.imports {
            if case .memory(let m) = imp.descriptor {
                memory = try LinearMemory(minPages: Int(m.min), maxPages: m.max.map { Int($0) }, shared: m.shared)
                memoryImport = (imp.module, imp.name)
            }
        }
        importedMemory = memory
        self.memoryImport = memoryImport
    }

    public convenience init(path: String, options: WASIOptions) throws {
        let (module, _) = try Module.load(path: path)
        try self.init(compiled: try CompiledModule.compile(module), options: options)
    }

    /// The module's source-level information (names, line tables), when attached.
    public var sourceInfo: ModuleSourceInfo? { compiled.sourceDescriber as? ModuleSourceInfo }

    lazy var spawnFunction: FunctionRef = store.addHostFunction(
        HostFunction(type: FunctionType(parameters: [.i32], results: [.i32])) { [unowned self] call in
            guard let spawn = self.threadSpawn else { return [UInt64(UInt32(bitPattern: -1))] }
            return try spawn(call)
        })

    var overrides: [String: FunctionRef] = [:]

    /// Replaces an imported host function: `body` handles a call, or returns nil to pass it on to
    /// the original (WASI) implementation.
    public func overrideHostFunction(module: String, name: String, body: @escaping (HostCall) throws -> [UInt64]?) {
        guard case .function(let original)? = wasi.resolve(module: module, name: name) else { return }
        let type = store.functionType(original)
        let store = self.store
        overrides["\(module).\(name)"] = store.addHostFunction(
            HostFunction(type: type) { [unowned store] call in
                if let results = try body(call) { return results }
                return try store.callHost(original, call)
            })
    }

    /// Resolves every import a WASI (threads) program may have.
    public func resolve(module: String, name: String) -> ExternalValue? {
        if let f = overrides["\(module).\(name)"] { return .function(f) }
        if let f = wasi.resolve(module: module, name: name) { return f }
        if let importedMemory, let m = memoryImport, m.module == module, m.name == name { return .memory(importedMemory) }
        if module == "wasi", name == "thread-spawn" { return .function(spawnFunction) }
        return nil
    }

    /// Instantiates the module (one instance per guest thread in wasi-threads).
    public func instantiate(thread: ExecutionThread? = nil) throws -> Instance {
        try store.instantiate(compiled, thread: thread) { self.resolve(module: $0, name: $1) }
    }

    /// Called with the main thread before it starts (e.g. to attach a probe).
    public var prepareThread: ((ExecutionThread) -> Void)?

    /// Runs `_start` on a single thread to the end.
    public func run() throws -> ProgramOutcome {
        defer { wasi.close() }
        let thread = ExecutionThread(store: store)
        prepareThread?(thread)
        let instance: Instance
        do {
            instance = try instantiate(thread: thread)
        } catch let t as Trap {
            return .trapped(t.description)
        } catch {
            if let code = WASIHost.exitCode(of: error) { return .exited(code) }
            throw error
        }
        guard let start = instance.exportedFunction("_start") else {
            throw ProgramError.noStart
        }
        do {
            _ = try thread.invoke(start, arguments: [])
            return .exited(0)
        } catch let t as Trap {
            return .trapped(t.description)
        } catch {
            if let code = WASIHost.exitCode(of: error) { return .exited(code) }
            throw error
        }
    }
}

public enum ProgramError: Error, CustomStringConvertible {
    case noStart
    public var description: String { "the module exports no _start function (not a WASI command)" }
}
