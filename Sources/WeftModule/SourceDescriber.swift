/// Source-level descriptions of a module's code for messages (function names, `file:line`
/// positions). The interpreter asks an attached describer when it formats backtraces and traps;
/// WeftSource implements it from the module's DWARF and name section.
public protocol SourceDescriber: AnyObject {
    /// A display name for function `index` (for example demangled), or nil to use the module's.
    func displayName(ofFunction index: UInt32) -> String?
    /// Where the instruction at module byte offset `offset` comes from, as shown after a frame in
    /// messages (`race.c:12:5`), or nil when unknown.
    func sourcePosition(moduleOffset offset: Int) -> String?
}
