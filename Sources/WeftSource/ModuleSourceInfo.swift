import WeftModule

/// Everything source-level Weft knows about one module: demangled function names and, when the
/// module carries DWARF, line tables, inlined frames and variables (from `.debug_info`).
///
/// The DWARF is read on first use, so attaching this to every loaded module costs nothing until
/// a message needs a source position; variables, scopes and types are read on the first variable
/// lookup. Reading never fails: what cannot be read is left out and described in ``warnings``.
public final class ModuleSourceInfo: SourceDescriber {
    private let sections: [String: ArraySlice<UInt8>]
    /// Byte offset of the Code section's contents in the module (DWARF addresses start there).
    public let codeSectionOffset: Int?
    private let names: [UInt32: String]
    private var demangled: [UInt32: String] = [:]
    private var loaded: (map: SourceMap, info: DebugInfo?, warnings: [String])?
    private var variableIndex: VariableIndex??
    private var frameCache: [Int: [SourceFrame]] = [:]

    /// Source information for `module` (its custom sections and names are kept; nothing is parsed yet).
    public init(module: Module) {
        var sections: [String: ArraySlice<UInt8>] = [:]
        for s in module.customSections where s.name.hasPrefix(".debug_") && sections[s.name] == nil {
            sections[s.name] = s.bytes
        }
        self.sections = sections
        self.codeSectionOffset = module.codeSectionOffset
        self.names = module.functionNames
    }

    /// Source information from raw debug sections (by name, such as `.debug_info`) and the Code
    /// section's offset; for tests of hand-built DWARF.
    init(debugSections: [String: [UInt8]], codeSectionOffset: Int?, functionNames: [UInt32: String] = [:]) {
        self.sections = debugSections.mapValues { ArraySlice($0) }
        self.codeSectionOffset = codeSectionOffset
        self.names = functionNames
    }

    /// Whether the module has a `.debug_line` section at all.
    public var hasLineTables: Bool { sections[".debug_line"] != nil }

    private func load() -> (map: SourceMap, info: DebugInfo?, warnings: [String]) {
        if let loaded { return loaded }
        func bytes(_ name: String) -> [UInt8]? { sections[name].map { Array($0) } }
        let strings = DebugStrings(str: bytes(".debug_str"), lineStr: bytes(".debug_line_str"))
        var warnings: [String] = []
        var info: DebugInfo?
        if let debugInfo = bytes(".debug_info"), let abbrev = bytes(".debug_abbrev") {
            let d = DebugInfo(
                info: debugInfo, abbrev: abbrev, strings: strings, strOffsets: bytes(".debug_str_offsets"),
                addr: bytes(".debug_addr"), ranges: bytes(".debug_ranges"), rnglists: bytes(".debug_rnglists"),
                loc: bytes(".debug_loc"), loclists: bytes(".debug_loclists"))
            warnings += d.warnings
            info = d
        }
        var map = SourceMap()
        if let line = bytes(".debug_line") {
            map = SourceMap(debugLine: line, strings: strings, compilationDirectories: info?.compilationDirectories ?? [:])
            warnings += map.warnings
        }
        info?.resolveCallFiles(using: map.programs)
        let result = (map, info, warnings)
        loaded = result
        return result
    }

    /// Whether the debug information has been read (by a lookup) yet.
    public var isLoaded: Bool { loaded != nil }

    /// The line tables (read on first use).
    public var sourceMap: SourceMap { load().map }

    /// Problems met reading the debug information, one line each (reading happens on first use).
    /// Once variables have been looked up, also the problems met reading them.
    public var warnings: [String] {
        let base = load().warnings
        guard case .some(let index?) = variableIndex else { return base }
        return base + index.warnings.filter { !base.contains($0) }
    }

    /// The source position of module byte `offset`, from the line tables.
    public func location(moduleOffset offset: Int) -> SourceLocation? {
        guard let base = codeSectionOffset, offset >= base else { return nil }
        return load().map.location(codeOffset: offset - base)
    }

    /// The first `prologue_end` row in module bytes `range` (a function's code): where a
    /// breakpoint on the function goes, after its frame is set up. Nil when there is none.
    public func prologueEnd(inModuleRange range: Range<Int>) -> Int? {
        guard let base = codeSectionOffset, range.lowerBound >= base else { return nil }
        let ends = load().map.prologueEnds
        let lo = UInt64(range.lowerBound - base), hi = UInt64(range.upperBound - base)
        return ends.first { $0 >= lo && $0 < hi }.map { Int($0) + base }
    }

    /// Module byte offsets where the inlined copies of the function called `name` begin (the
    /// function's name as backtraces show it), in order; empty when it was never inlined.
    public func inlinedEntries(ofFunction name: String) -> [Int] {
        guard let base = codeSectionOffset, let info = load().info else { return [] }
        return info.inlinedEntries(named: name, demangle: Demangler.demangle).map { Int($0) + base }
    }

    /// Source frames at module byte `offset`, innermost first: the functions inlined there (each
    /// at its position) and, last, the function the code belongs to. Empty without debug info.
    public func frames(moduleOffset offset: Int) -> [SourceFrame] {
        guard let base = codeSectionOffset, offset >= base else { return [] }
        if let cached = frameCache[offset] { return cached }
        let (map, info, _) = load()
        let address = UInt64(offset - base)
        let innermost = map.location(codeOffset: offset - base)
        guard let info else {
            return innermost.map { [SourceFrame(function: nil, location: $0)] } ?? []
        }
        let frames = info.frames(at: address, innermost: innermost, demangle: Demangler.demangle)
        frameCache[offset] = frames
        return frames
    }

    /// The inlined calls at module byte `offset`, innermost first: one for each inlined frame of
    /// ``frames(moduleOffset:)`` (all but its last frame), with the module byte ranges the call's
    /// code covers (an inlined call may be split into several). Empty without inlining there.
    public func inlinedCalls(moduleOffset offset: Int) -> [InlinedCall] {
        guard let base = codeSectionOffset, offset >= base, let info = load().info else { return [] }
        return info.inlinedCalls(at: UInt64(offset - base)).map { call in
            InlinedCall(id: call.die, ranges: call.ranges.map { Int($0.lowerBound) + base..<Int($0.upperBound) + base })
        }
    }

    /// Module byte offsets where source `line` of `file` begins (see ``SourceMap/codeOffsets(file:line:)``).
    public func moduleOffsets(file: String, line: Int) -> (line: Int, offsets: [Int])? {
        guard let base = codeSectionOffset, let r = load().map.codeOffsets(file: file, line: line) else { return nil }
        return (r.line, r.offsets.map { $0 + base })
    }

    // MARK: Variables

    /// The index of variables, scopes and types (read on first use).
    private func loadVariables() -> VariableIndex? {
        if case .some(let index) = variableIndex { return index }
        let (map, info, _) = load()
        let index = info.map { VariableIndex(info: $0, programs: map.programs) }
        variableIndex = .some(index)
        return index
    }

    /// The variables of the compilation units (external and file-static, and namespace members),
    /// in the order of the debug information. Those without a location (optimized away) have
    /// ``VariableLocation/optimizedOut``; thread-locals have a location relative to the
    /// `__tls_base` global (see ``SourceVariable/evaluate(in:)``). Empty without debug info.
    public func globalVariables() -> [SourceVariable] {
        loadVariables()?.globals() ?? []
    }

    /// The parameters and locals in scope at module byte `offset`: those of the innermost block
    /// containing it first, then those of the enclosing blocks, inlined calls and, last, the
    /// function. Locations are the ones at `offset` (the covering entry of a location list).
    /// Empty when no function with debug information contains the offset.
    public func variables(atModuleOffset offset: Int) -> [SourceVariable] {
        guard let base = codeSectionOffset, offset >= base, let index = loadVariables() else { return [] }
        return index.variables(at: UInt64(offset - base), demangle: Demangler.demangle)
    }

    /// The parameters and locals in scope at module byte `offset`, one list for each frame of
    /// ``frames(moduleOffset:)`` and in its order: the innermost inlined call's variables first,
    /// last the function's. (``variables(atModuleOffset:)`` is these lists joined.) Empty when
    /// no function with debug information contains the offset.
    public func variablesByFrame(atModuleOffset offset: Int) -> [[SourceVariable]] {
        guard let base = codeSectionOffset, offset >= base, let index = loadVariables() else { return [] }
        return index.variablesByFrame(at: UInt64(offset - base), demangle: Demangler.demangle)
    }

    /// The variable `name` as the source at module byte `offset` sees it: the innermost parameter
    /// or local of that name, else a global of that name, preferring one declared in the file of
    /// the code at `offset` (file-static variables of different files may share a name). With a
    /// nil offset, only globals are considered.
    public func lookupVariable(_ name: String, atModuleOffset offset: Int?) -> SourceVariable? {
        if let offset, let local = variables(atModuleOffset: offset).first(where: { $0.name == name }) { return local }
        return globalVariable(name, preferringFile: offset.flatMap { location(moduleOffset: $0)?.path })
    }

    /// The global variable `name`; when several have that name (file-static variables of
    /// different files), the one declared in file `path`, if any.
    public func globalVariable(_ name: String, preferringFile path: String?) -> SourceVariable? {
        let globals = globalVariables().filter { $0.name == name }
        if globals.count > 1, let path, let sameFile = globals.first(where: { $0.declaration?.path == path }) {
            return sameFile
        }
        return globals.first
    }

    /// The members of a structure or union type (one from this module's variables), read on
    /// first use: names, types, byte offsets and bit fields. Nil for other types, and for a
    /// structure declared but defined nowhere in the debug information.
    public func members(of type: SourceType) -> [SourceType.Member]? {
        guard type.isAggregate, let offset = type.dieOffset, let index = loadVariables() else { return nil }
        return index.members(ofTypeAt: offset)
    }

    /// The type C writes as `name` (`struct node`, `union number`, `enum color`, a typedef's
    /// or base type's name), from the debug information; nil when there is none.
    public func type(named name: String) -> SourceType? {
        loadVariables()?.type(named: name)
    }

    // MARK: SourceDescriber

    public func displayName(ofFunction index: UInt32) -> String? {
        if let d = demangled[index] { return d }
        guard let raw = names[index] else { return nil }
        let d = Demangler.demangle(raw) ?? raw
        demangled[index] = d
        return d
    }

    /// `race.c:12:5`; with inlining, `helper at util.h:3:9, inlined at race.c:12:5`.
    public func sourcePosition(moduleOffset offset: Int) -> String? {
        let frames = frames(moduleOffset: offset)
        guard let outer = frames.last else { return nil }
        var parts: [String] = []
        for f in frames.dropLast() {
            parts.append("\(f.function ?? "?") at \(f.location.map { "\($0)" } ?? "?")")
        }
        if let loc = outer.location {
            parts.append(parts.isEmpty ? "\(loc)" : "inlined at \(loc)")
        } else if parts.isEmpty {
            return nil
        }
        return parts.joined(separator: ", ")
    }
}

/// One call inlined into a function's code (a `DW_TAG_inlined_subroutine`).
public struct InlinedCall: Sendable, Equatable {
    /// Identifies the call (the same call at every offset in its code).
    public var id: Int
    /// The module byte ranges of the call's code, in order.
    public var ranges: [Range<Int>]

    /// Whether module byte `offset` is code of the call.
    public func contains(moduleOffset offset: Int) -> Bool {
        ranges.contains { $0.contains(offset) }
    }
}

/// One source-level frame: a function (inlined or not) and the position in it.
public struct SourceFrame: Sendable, Equatable {
    /// The function's name from the debug information (demangled), when known.
    public var function: String?
    /// The position in that function: for the innermost frame the instruction's row, for outer
    /// frames the call site of the function inlined into them.
    public var location: SourceLocation?
}
