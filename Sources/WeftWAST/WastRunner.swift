import Foundation
import WAT
import WasmParser
import WasmTypes
import WeftInterpreter
import WeftModule

/// Counts of one script or of several.
public struct WastSummary: Equatable {
    public var passed = 0
    public var failed = 0
    public var skipped = 0
    /// Why commands were skipped: feature → count.
    public var skippedFeatures: [String: Int] = [:]

    public init() {}

    public mutating func add(_ other: WastSummary) {
        passed += other.passed
        failed += other.failed
        skipped += other.skipped
        skippedFeatures.merge(other.skippedFeatures, uniquingKeysWith: +)
    }

    public var total: Int { passed + failed + skipped }
}

/// The result of running one `.wast` file.
public struct WastResult {
    public var file: String
    public var summary = WastSummary()
    /// `FILE:LINE: message` for each failed command (`FILE:LINE:COLUMN:` for a parse error).
    public var failures: [String] = []

    /// `FILE: N passed, M failed, K skipped`, then the first failures indented.
    public func line(maxFailures: Int = 5) -> String {
        var s = "\(file): \(summary.passed) passed, \(summary.failed) failed, \(summary.skipped) skipped"
        if !summary.skippedFeatures.isEmpty {
            let features = summary.skippedFeatures.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            s += " (skipped for: \(features.joined(separator: ", ")))"
        }
        for f in failures.prefix(maxFailures) { s += "\n    \(f)" }
        if failures.count > maxFailures { s += "\n    ... \(failures.count - maxFailures) more" }
        return s
    }
}

/// Runs spec test scripts against Weft's interpreter.
public enum WastRunner {
    public static func run(path: String, options: ValidationOptions = ValidationOptions()) -> WastResult {
        let name = (path as NSString).lastPathComponent
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            var r = WastResult(file: name)
            r.summary.failed = 1
            r.failures = ["cannot read \(path)"]
            return r
        }
        return run(source: text, name: name, options: options)
    }

    public static func run(source: String, name: String, options: ValidationOptions = ValidationOptions()) -> WastResult {
        var session = WastSession(name: name, options: options)
        session.run(source)
        return session.result
    }
}

/// Outcome of one command.
enum CommandOutcome {
    case pass
    /// A failure; `position` is where in the script a text module failed to parse, if known.
    case fail(String, position: (line: Int, column: Int)? = nil)
    case skip(feature: String)
}

struct WastSession {
    var result: WastResult
    let store = Store()
    let thread: ExecutionThread
    var registered: [String: Instance] = [:]
    var named: [String: Instance] = [:]
    var current: Instance?
    /// Modules skipped for an unsupported feature: by id, and whether the current one is.
    var skippedNamed: [String: String] = [:]
    var currentSkipped: String?
    /// Registered names whose module was skipped: importing from them is skipped too.
    var skippedRegistered: [String: String] = [:]
    var definitions: [String: CompiledModule] = [:]
    var skippedDefinitions: [String: String] = [:]
    var lastDefinitionSkipped: String?
    var lastDefinition: CompiledModule?
    var spectest: [String: ExternalValue] = [:]

    let options: ValidationOptions

    init(name: String, options: ValidationOptions) {
        self.options = options
        result = WastResult(file: name)
        thread = ExecutionThread(store: store)
        spectest = Self.makeSpectest(store)
    }

    static func makeSpectest(_ store: Store) -> [String: ExternalValue] {
        var m: [String: ExternalValue] = [:]
        let prints: [(String, [ValueType])] = [
            ("print", []), ("print_i32", [.i32]), ("print_i64", [.i64]), ("print_f32", [.f32]), ("print_f64", [.f64]),
            ("print_i32_f32", [.i32, .f32]), ("print_f64_f64", [.f64, .f64]),
        ]
        for (n, params) in prints {
            m[n] = .function(store.addHostFunction(HostFunction(type: FunctionType(parameters: params, results: [])) { _ in [] }))
        }
        m["global_i32"] = .global(store.makeGlobal(type: GlobalType(mutability: .constant, valueType: .i32), value: 666))
        m["global_i64"] = .global(store.makeGlobal(type: GlobalType(mutability: .constant, valueType: .i64), value: 666))
        m["global_f32"] = .global(store.makeGlobal(type: GlobalType(mutability: .constant, valueType: .f32), value: UInt64(Float(666.6).bitPattern)))
        m["global_f64"] = .global(store.makeGlobal(type: GlobalType(mutability: .constant, valueType: .f64), value: Double(666.6).bitPattern))
        m["table"] = .table(store.makeTable(elementType: .funcRef, min: 10, max: 20))
        if let memory = try? LinearMemory(minPages: 1, maxPages: 2, shared: false) { m["memory"] = .memory(memory) }
        if let shared = try? LinearMemory(minPages: 1, maxPages: 2, shared: true) { m["shared_memory"] = .memory(shared) }
        return m
    }

    mutating func run(_ source: String) {
        var wast: WAST
        do {
            wast = try parseWAST(source, features: Module.parsingFeatures)
        } catch {
            let (message, position) = Self.parseError(error)
            record(.fail("cannot parse script: \(message)"), line: position?.line ?? 1, column: position?.column)
            return
        }
        while let (directive, location) = wast.nextDirectiveResult() {
            let line = location.computeLineAndColumn().line
            switch directive {
            case .success(let d):
                record(execute(d), line: line)
            case .failure(let e):
                if let m = e.module, let id = m.id { skippedNamed[id] = nil }
                let (message, position) = Self.parseError(e.error)
                record(.fail("cannot parse directive: \(message)"), line: position?.line ?? line, column: position?.column)
            }
        }
    }

    /// A parse error's message without WasmKit's `at Location(line: L, column: C)` suffix, and
    /// that position (the column 1-based, as editors count).
    static func parseError(_ error: Error) -> (message: String, position: (line: Int, column: Int)?) {
        guard let e = error as? WatParserError, let location = e.location else { return ("\(error)", nil) }
        var message = "\(e)"
        if let r = message.range(of: " at Location(", options: .backwards) { message = String(message[..<r.lowerBound]) }
        let (line, column) = location.computeLineAndColumn()
        return (message, (line, column + 1))
    }

    /// The failure of a module the text assembler rejected, at the position it names.
    static func assemblyFailure(_ error: any Error) -> CommandOutcome {
        let (message, position) = parseError(error)
        return .fail("cannot assemble module: \(message)", position: position)
    }

    /// Counts `outcome`; a failure is kept as `FILE:LINE: message` (or `FILE:LINE:COLUMN:`).
    mutating func record(_ outcome: CommandOutcome, line: Int, column: Int? = nil) {
        switch outcome {
        case .pass: result.summary.passed += 1
        case .fail(let m, let position):
            result.summary.failed += 1
            let (l, c) = position.map { ($0.line, Optional($0.column)) } ?? (line, column)
            result.failures.append("\(result.file):\(l)\(c.map { ":\($0)" } ?? ""): \(m)")
        case .skip(let feature):
            result.summary.skipped += 1
            result.summary.skippedFeatures[feature, default: 0] += 1
        }
    }

    // MARK: - Modules

    enum Loaded {
        case compiled(CompiledModule)
        case failed(ModuleError)
        case parseFailed(any Error)
    }

    func load(_ source: ModuleSource) -> Loaded {
        let bytes: [UInt8]
        do {
            switch source {
            case .text(let wat): bytes = try wat.encode(options: EncodeOptions(nameSection: true))
            case .binary(let b): bytes = b
            case .quote(let q):
                do {
                    bytes = try wat2wasm(String(decoding: q, as: UTF8.self), features: Module.parsingFeatures)
                } catch {
                    // Its position is within the quoted text, not the script.
                    return .parseFailed(QuotedTextError(description: "in the quoted text: " + Module.cleanMessage("\(error)")))
                }
            }
        } catch {
            return .parseFailed(error)
        }
        do {
            return .compiled(try CompiledModule.compile(try Module.decode(bytes), options: options))
        } catch {
            return .failed(error)
        }
    }

    func resolve(_ module: String, _ name: String) -> ExternalValue? {
        if module == "spectest" { return spectest[name] }
        return registered[module]?.export(name)
    }

    mutating func instantiate(_ compiled: CompiledModule) throws -> Instance {
        let registered = self.registered
        let spectest = self.spectest
        return try store.instantiate(compiled, thread: thread) { m, n in
            if m == "spectest" { return spectest[n] }
            return registered[m]?.export(n)
        }
    }

    mutating func execute(_ d: WASTDirective) -> CommandOutcome {
        switch d {
        case .module(let md):
            let loaded = load(md.source)
            switch loaded {
            case .parseFailed(let e): return markCurrent(md.id, skipped: nil, outcome: Self.assemblyFailure(e))
            case .failed(.unsupported(let f, _)):
                if md.isDefinition {
                    if let id = md.id { skippedDefinitions[id] = f }
                    lastDefinitionSkipped = f
                    return .skip(feature: f)
                }
                return markCurrent(md.id, skipped: f, outcome: .skip(feature: f))
            case .failed(let e): return markCurrent(md.id, skipped: nil, outcome: .fail("module rejected: \(e)"))
            case .compiled(let c):
                if md.isDefinition {
                    if let id = md.id { definitions[id] = c; skippedDefinitions[id] = nil }
                    lastDefinition = c
                    lastDefinitionSkipped = nil
                    return .pass
                }
                do {
                    let instance = try instantiate(c)
                    current = instance
                    currentSkipped = nil
                    if let id = md.id { named[id] = instance; skippedNamed[id] = nil }
                    return .pass
                } catch {
                    if let f = skippedDependency(error) { return markCurrent(md.id, skipped: f, outcome: .skip(feature: f)) }
                    current = nil
                    return .fail("instantiation failed: \(error)")
                }
            }
        case .moduleInstance(let instanceName, let moduleName):
            if let f = moduleName.map({ skippedDefinitions[$0] }) ?? lastDefinitionSkipped {
                current = nil
                currentSkipped = f
                if let n = instanceName { skippedNamed[n] = f; named[n] = nil }
                return .skip(feature: f)
            }
            guard let c = moduleName.flatMap({ definitions[$0] }) ?? lastDefinition else { return .fail("unknown module definition") }
            do {
                let instance = try instantiate(c)
                current = instance
                currentSkipped = nil
                if let n = instanceName { named[n] = instance }
                return .pass
            } catch {
                return .fail("instantiation failed: \(error)")
            }
        case .register(let name, let id):
            if let f = id.flatMap({ skippedNamed[$0] }) ?? (id == nil ? currentSkipped : nil) {
                skippedRegistered[name] = f
                return .skip(feature: f)
            }
            skippedRegistered[name] = nil
            guard let instance = id.flatMap({ named[$0] }) ?? current else { return .fail("register: no module") }
            registered[name] = instance
            return .pass
        case .invoke(let invoke):
            switch run(.invoke(invoke)) {
            case .skipped(let f): return .skip(feature: f)
            case .failed(let m): return .fail(m)
            case .values: return .pass
            case .trap(let t): return .fail("unexpected trap: \(t)")
            }
        case .assertReturn(let execute, let expected):
            switch run(execute) {
            case .skipped(let f): return .skip(feature: f)
            case .failed(let m): return .fail(m)
            case .trap(let t): return .fail("unexpected trap: \(t)")
            case .values(let values, let types):
                if expected.contains(where: \.isUnsupported) { return .skip(feature: "simd/gc") }
                guard values.count == expected.count else {
                    return .fail("expected \(expected.count) results, got \(values.count)")
                }
                for (k, e) in expected.enumerated() where !Self.matches(values[k], types[k], e) {
                    return .fail("result \(k): expected \(e), got \(Self.show(values[k], types[k]))")
                }
                return .pass
            }
        case .assertTrap(let execute, let message):
            if case .wat(let wat) = execute {
                // A module whose instantiation must trap.
                let compiled: CompiledModule
                switch compileForInstantiation(wat) {
                case .success(let c): compiled = c
                case .failure(let outcome): return outcome.value
                }
                do {
                    _ = try instantiate(compiled)
                    return .fail("expected trap \"\(message)\", instantiation succeeded")
                } catch let t as Trap {
                    return Self.trapMatches(t, message)
                } catch {
                    if let f = skippedDependency(error) { return .skip(feature: f) }
                    return .fail("expected trap \"\(message)\", got \(error)")
                }
            }
            switch run(execute) {
            case .skipped(let f): return .skip(feature: f)
            case .failed(let m): return .fail(m)
            case .trap(let t): return Self.trapMatches(t, message)
            case .values(let v, _): return .fail("expected trap \"\(message)\", got \(v)")
            }
        case .assertExhaustion(let call, let message):
            switch run(.invoke(call)) {
            case .skipped(let f): return .skip(feature: f)
            case .failed(let m): return .fail(m)
            case .trap(let t): return Self.trapMatches(t, message)
            case .values(let v, _): return .fail("expected exhaustion, got \(v)")
            }
        case .assertInvalid(let md, let message):
            switch load(md.source) {
            case .parseFailed: return .pass  // rejected by the text assembler already
            case .failed(.unsupported(let f, _)): return .skip(feature: f)
            case .failed: return .pass
            case .compiled: return .fail("expected invalid module (\(message)), but it validated")
            }
        case .assertMalformed(let md, let message):
            switch load(md.source) {
            case .parseFailed: return .pass
            case .failed(.unsupported(let f, _)): return .skip(feature: f)
            case .failed: return .pass
            case .compiled: return .fail("expected malformed module (\(message)), but it loaded")
            }
        case .assertUnlinkable(let wat, let message):
            let compiled: CompiledModule
            switch compileForInstantiation(wat) {
            case .success(let c): compiled = c
            case .failure(let outcome): return outcome.value
            }
            do {
                _ = try instantiate(compiled)
                return .fail("expected unlinkable (\(message)), instantiation succeeded")
            } catch {
                if let f = skippedDependency(error) { return .skip(feature: f) }
                guard error is InstantiationError else { return .fail("expected unlinkable (\(message)), got \(error)") }
                return .pass
            }
        case .assertException:
            return .skip(feature: "exceptions")
        case .assertFuel, .assertOutOfFuel:
            return .skip(feature: "fuel")
        }
    }

    /// A `(module quote ...)` the text assembler rejected.
    struct QuotedTextError: Error, CustomStringConvertible { let description: String }

    /// A command outcome carried as an error, for early exits.
    struct OutcomeError: Error { let value: CommandOutcome }

    /// Assembles and compiles a module that an assertion then instantiates; the failure is the
    /// command's outcome (skipped for an unsupported feature, failed otherwise).
    func compileForInstantiation(_ wat: Wat) -> Result<CompiledModule, OutcomeError> {
        switch load(.text(wat)) {
        case .compiled(let c): return .success(c)
        case .failed(.unsupported(let f, _)): return .failure(OutcomeError(value: .skip(feature: f)))
        case .failed(let e): return .failure(OutcomeError(value: .fail("module rejected: \(e)")))
        case .parseFailed(let e): return .failure(OutcomeError(value: Self.assemblyFailure(e)))
        }
    }

    /// The feature that made a module this one imports from be skipped, if that is why it failed.
    func skippedDependency(_ error: any Error) -> String? {
        if case .unknownImport(let m, _)? = error as? InstantiationError { return skippedRegistered[m] }
        return nil
    }

    /// Records that the module of a `module` command did not instantiate: commands that use it are
    /// skipped when `skipped` names an unsupported feature, and fail otherwise.
    mutating func markCurrent(_ id: String?, skipped: String?, outcome: CommandOutcome) -> CommandOutcome {
        current = nil
        currentSkipped = skipped
        if let id {
            named[id] = nil
            skippedNamed[id] = skipped
        }
        return outcome
    }

    // MARK: - Invocation

    enum RunResult {
        case values([UInt64], [ValueType])
        case trap(Trap)
        case failed(String)
        case skipped(String)
    }

    mutating func run(_ execute: WASTExecute) -> RunResult {
        switch execute {
        case .invoke(let invoke):
            let instance: Instance
            if let m = invoke.module {
                if let f = skippedNamed[m] { return .skipped(f) }
                guard let i = named[m] ?? registered[m] else { return .failed("unknown module \(m)") }
                instance = i
            } else {
                if let f = currentSkipped { return .skipped(f) }
                guard let c = current else { return .failed("no current module") }
                instance = c
            }
            guard let f = instance.exportedFunction(invoke.name) else { return .failed("no exported function \"\(invoke.name)\"") }
            var args: [UInt64] = []
            for a in invoke.args {
                guard let raw = Self.raw(a) else { return .skipped("simd") }
                args.append(raw)
            }
            let type = store.functionType(f)
            guard type.parameters.count == args.count else { return .failed("argument count mismatch for \(invoke.name)") }
            do {
                let values = try thread.invoke(f, arguments: args)
                return .values(values, type.results)
            } catch let t as Trap {
                return .trap(t)
            } catch {
                return .failed("host error: \(error)")
            }
        case .get(let module, let name):
            let instance: Instance?
            if let module {
                if let f = skippedNamed[module] { return .skipped(f) }
                instance = named[module] ?? registered[module]
            } else {
                if let f = currentSkipped { return .skipped(f) }
                instance = current
            }
            guard let instance, case .global(let g) = instance.export(name) else { return .failed("no exported global \"\(name)\"") }
            return .values([g.value], [g.type.valueType])
        case .wat(let wat):
            do {
                let bytes = try wat.encode()
                let compiled = try CompiledModule.compile(try Module.decode(bytes), options: options)
                current = try instantiate(compiled)
                return .values([], [])
            } catch let t as Trap {
                return .trap(t)
            } catch let e as ModuleError {
                if case .unsupported(let f, _) = e { return .skipped(f) }
                return .failed("\(e)")
            } catch {
                return .failed("\(error)")
            }
        }
    }

    static func raw(_ v: WASTConstValue) -> UInt64? {
        switch v {
        case .i32(let x): return UInt64(x)
        case .i64(let x): return x
        case .f32(let x): return UInt64(x)
        case .f64(let x): return x
        case .v128: return nil
        case .refNull: return 0
        case .refExtern(let x): return UInt64(x) + 1
        case .refHost(let x): return UInt64(x) + 1
        case .refFunc: return nil
        }
    }

    static func matches(_ v: UInt64, _ t: ValueType, _ e: WASTExpectValue) -> Bool {
        switch e {
        case .i32(let x): return UInt32(truncatingIfNeeded: v) == x
        case .i64(let x): return v == x
        case .f32(let x): return UInt32(truncatingIfNeeded: v) == x
        case .f64(let x): return v == x
        case .f32CanonicalNaN: return UInt32(truncatingIfNeeded: v) & 0x7FFF_FFFF == 0x7FC0_0000
        case .f32ArithmeticNaN:
            let b = UInt32(truncatingIfNeeded: v)
            return b & 0x7F80_0000 == 0x7F80_0000 && b & 0x0040_0000 != 0
        case .f64CanonicalNaN: return v & 0x7FFF_FFFF_FFFF_FFFF == 0x7FF8_0000_0000_0000
        case .f64ArithmeticNaN: return v & 0x7FF0_0000_0000_0000 == 0x7FF0_0000_0000_0000 && v & 0x0008_0000_0000_0000 != 0
        case .refNull: return v == 0
        case .refExtern(let x):
            guard v != 0 else { return false }
            return x.map { UInt64($0) + 1 == v } ?? true
        case .refHost(let x): return v == UInt64(x) + 1
        case .refFunc: return v != 0
        case .either(let options): return options.contains { matches(v, t, $0) }
        default: return false
        }
    }

    static func show(_ v: UInt64, _ t: ValueType) -> String {
        switch t {
        case .i32: return "i32:\(UInt32(truncatingIfNeeded: v))"
        case .i64: return "i64:\(v)"
        case .f32: return "f32:0x\(String(UInt32(truncatingIfNeeded: v), radix: 16))"
        case .f64: return "f64:0x\(String(v, radix: 16))"
        default: return v == 0 ? "null" : "ref"
        }
    }

    static func trapMatches(_ t: Trap, _ expected: String) -> CommandOutcome {
        if t.message.hasPrefix(expected) || expected.hasPrefix(t.message) { return .pass }
        return .fail("expected trap \"\(expected)\", got \"\(t.message)\"")
    }
}

extension WASTExpectValue {
    var isUnsupported: Bool {
        switch self {
        case .v128, .v128Pattern, .refI31, .refStruct, .refArray, .refEq: return true
        case .either(let o): return o.contains { $0.isUnsupported }
        default: return false
        }
    }
}
