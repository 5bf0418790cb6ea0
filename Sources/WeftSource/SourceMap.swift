/// A position in a source file.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    /// The file's full path as the debug information records it (normalized: no `./` parts).
    public var path: String
    /// 1-based line.
    public var line: Int
    /// 1-based column; 0 when unknown.
    public var column: Int

    public init(path: String, line: Int, column: Int) {
        self.path = path
        self.line = line
        self.column = column
    }

    /// The last path component (`race.c`).
    public var fileName: String {
        if let slash = path.lastIndex(of: "/") { return String(path[path.index(after: slash)...]) }
        return path
    }

    /// `race.c:12:5` (or `race.c:12` without a column): the short form used in messages.
    public var description: String {
        column > 0 ? "\(fileName):\(line):\(column)" : "\(fileName):\(line)"
    }
}

/// Code offsets ↔ source lines for a whole module, from its `.debug_line` line programs.
///
/// Addresses are wasm DWARF addresses: byte offsets relative to the start of the Code section's
/// contents (the byte after the section's size). Sequences of functions the linker discarded
/// (start address 0, or the `-1`/`-2` tombstones) are left out.
public struct SourceMap: Sendable {
    /// An address range `[start, end)` of one line-table row.
    struct Range: Sendable {
        var start: UInt64
        var end: UInt64
        var file: Int32
        var line: UInt32
        var column: UInt32
        var isStmt: Bool
    }

    /// Every distinct source file path the line tables name, in first-seen order.
    public private(set) var files: [String] = []
    /// Problems met while reading; each one line. Parts that could not be read are left out.
    public private(set) var warnings: [String] = []
    /// Row ranges sorted by start address.
    var ranges: [Range] = []
    /// `is_stmt` rows (except `end_sequence` rows), sorted by address: where breakpoints for a
    /// line go, including rows that share their address with a later row.
    var statements: [(address: UInt64, file: Int32, line: UInt32)] = []
    /// Addresses of rows flagged `prologue_end`, sorted: where a function's body begins.
    public private(set) var prologueEnds: [UInt64] = []
    /// The decoded line programs (one per compilation unit).
    public private(set) var programs: [LineProgram] = []

    /// An empty map: no source information.
    public init() {}

    /// Builds the map from the contents of `.debug_line` and the string sections.
    /// `compilationDirectories` maps a line program's offset to its unit's `DW_AT_comp_dir`.
    public init(debugLine: [UInt8], strings: DebugStrings, compilationDirectories: [Int: String] = [:]) {
        let (programs, warnings) = LineProgram.decodeAll(debugLine, strings: strings, compilationDirectories: compilationDirectories)
        self.programs = programs
        self.warnings = warnings
        var fileIDs: [String: Int32] = [:]
        for program in programs {
            var idCache: [UInt32: Int32] = [:]
            func fileID(_ register: UInt32) -> Int32 {
                if let id = idCache[register] { return id }
                let path = program.file(register)?.path ?? "<file \(register)>"
                let id: Int32
                if let known = fileIDs[path] {
                    id = known
                } else {
                    id = Int32(files.count)
                    files.append(path)
                    fileIDs[path] = id
                }
                idCache[register] = id
                return id
            }
            for sequence in program.sequences {
                guard let first = sequence.first, Self.isLive(first.address) else { continue }
                for i in 0..<(sequence.count - 1) {
                    let row = sequence[i]
                    // A wasm32 code section is smaller than 4 GiB; rows beyond come from broken programs.
                    guard Self.isLive(row.address) else { continue }
                    if row.isStmt && row.line > 0 { statements.append((row.address, fileID(row.file), row.line)) }
                    if row.prologueEnd { prologueEnds.append(row.address) }
                    let next = min(sequence[i + 1].address, 0xFFFF_FFF0)
                    guard next > row.address else { continue }  // empty (or backwards) range
                    ranges.append(
                        Range(
                            start: row.address, end: next, file: fileID(row.file), line: row.line, column: row.column,
                            isStmt: row.isStmt))
                }
            }
        }
        ranges.sort { $0.start < $1.start }
        statements.sort { $0.address < $1.address }
        prologueEnds.sort()
    }

    /// Whether a sequence starting at `address` describes code in the module (not a function the
    /// linker dropped, whose addresses it resolves to 0 or a tombstone).
    static func isLive(_ address: UInt64) -> Bool {
        address != 0 && address < 0xFFFF_FFF0
    }

    /// Whether the map has any row.
    public var isEmpty: Bool { ranges.isEmpty }

    /// The source position of the instruction at code offset `address`: the row whose range
    /// covers it. Nil when no row covers it or the row has no line (line 0).
    public func location(codeOffset address: Int) -> SourceLocation? {
        guard address >= 0, let r = range(covering: UInt64(address)), r.line > 0 else { return nil }
        return SourceLocation(path: files[Int(r.file)], line: Int(r.line), column: Int(r.column))
    }

    func range(covering address: UInt64) -> Range? {
        // Last range whose start is <= address.
        var lo = 0, hi = ranges.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ranges[mid].start <= address { lo = mid + 1 } else { hi = mid }
        }
        guard lo > 0 else { return nil }
        let r = ranges[lo - 1]
        return address < r.end ? r : nil
    }

    /// Files whose path is `name` or ends with `/name` (so `race.c` and `traces/race.c` both
    /// find `./traces/race.c`).
    public func files(matching name: String) -> [String] {
        let query = normalizePath(name)
        return files.filter { $0 == query || $0.hasSuffix("/" + query) }
    }

    /// Code offsets where execution of source `line` of the files matching `file` begins: the
    /// addresses of all `is_stmt` rows for that line. When the line has no code, the nearest
    /// following line that does is used; `line` in the result says which. Nil when neither the
    /// file nor any later line has code.
    public func codeOffsets(file: String, line: Int) -> (line: Int, offsets: [Int])? {
        let ids = Set(files(matching: file).compactMap { path in files.firstIndex(of: path).map { Int32($0) } })
        guard !ids.isEmpty, line >= 0 else { return nil }
        var best: UInt32?
        for s in statements where ids.contains(s.file) && Int(s.line) >= line {
            if best == nil || s.line < best! { best = s.line }
        }
        guard let target = best else { return nil }
        var offsets: [Int] = []
        for s in statements where ids.contains(s.file) && s.line == target && offsets.last != Int(s.address) {
            offsets.append(Int(s.address))
        }
        return (Int(target), offsets)
    }

    /// Lines of the files matching `file` that have code (an `is_stmt` row), ascending.
    public func linesWithCode(file: String) -> [Int] {
        let ids = Set(files(matching: file).compactMap { path in files.firstIndex(of: path).map { Int32($0) } })
        return Set(statements.filter { ids.contains($0.file) }.map { Int($0.line) }).sorted()
    }
}
